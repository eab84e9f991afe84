#include "orchestrator/store/export.h"

#include <filesystem>

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/removal.h"
#include "orchestrator/store/rows.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/wide_view.h"

namespace headroom {

namespace fs = std::filesystem;

Status export_sweeps(const std::string& source, const std::vector<std::string>& sweeps, const std::string& target) {
  if (sweeps.empty()) return Error::invalid("name at least one sweep to export");
  if (!fs::exists(source)) return Error::invalid("no database at '" + source + "'");
  if (fs::exists(target)) return Error::invalid("'" + target + "' exists already: export writes a new file");
  Status exported = store_rows::guarded("exporting to '" + target + "'", [&]() -> Status {
    {
      sqlite::Connection original(source, sqlite::Connection::Mode::read_only);
      const int version = check_schema(original, source);
      if (version < latest_schema_version()) {
        return Error::invalid("database '" + source + "' has schema version " + std::to_string(version) +
                              ": run 'headroom db migrate' first");
      }
      std::string missing;
      for (const auto& name : sweeps) {
        sqlite::Statement find(original.handle(), "SELECT 1 FROM sweeps WHERE name = ?");
        find.bind(1, name);
        if (!find.step()) missing += (missing.empty() ? "'" : ", '") + name + "'";
      }
      if (!missing.empty()) return Error::invalid("no sweep " + missing + " in '" + source + "'");
      // A consistent copy even while a sweep writes to the original.
      original.execute("VACUUM INTO " + quote_literal(target));
    }
    sqlite::Connection copy(target, sqlite::Connection::Mode::read_write_create);
    copy.execute("PRAGMA journal_mode = DELETE");  // one self-contained file
    sqlite::Transaction transaction(copy);
    copy.execute("CREATE TEMP TABLE kept (name TEXT PRIMARY KEY)");
    sqlite::Statement keep(copy.handle(), "INSERT OR IGNORE INTO kept VALUES (?)");
    for (const auto& name : sweeps) {
      keep.bind(1, name);
      keep.run();
    }
    create_gone_tables(copy);
    copy.execute(R"sql(
      INSERT INTO gone_sweeps SELECT id FROM sweeps WHERE name NOT IN (SELECT name FROM kept);
      INSERT INTO gone_runs SELECT r.id FROM runs r JOIN cells c ON c.id = r.cell_id
        WHERE c.sweep_id IN (SELECT id FROM gone_sweeps);
    )sql");
    delete_gone_rows(copy);
    copy.execute(R"sql(
      DELETE FROM metric_names WHERE id NOT IN (SELECT DISTINCT metric_id FROM metrics)
        AND name NOT IN (SELECT DISTINCT name FROM summaries);
      UPDATE sweeps SET runs_root = 'runs', orchestrator_host = NULL, orchestrator_pid = NULL,
        state = CASE WHEN state = 'running' THEN 'interrupted' ELSE state END;
      UPDATE runs SET host = NULL, pid = NULL, run_dir = (
        SELECT 'runs/' || s.name || '/' || substr(c.hash, 1, 12) || '/' || runs.attempt
        FROM cells c JOIN sweeps s ON s.id = c.sweep_id WHERE c.id = runs.cell_id);
    )sql");
    // A sweep file named by its absolute path keeps only its name.
    sqlite::Statement paths(copy.handle(), "SELECT id, spec_path FROM sweeps");
    std::vector<std::pair<int64_t, std::string>> relative;
    while (paths.step()) {
      const fs::path path = paths.text(1);
      if (path.is_absolute()) relative.push_back({paths.integer(0), path.filename().string()});
    }
    for (const auto& [id, name] : relative) {
      sqlite::Statement update(copy.handle(), "UPDATE sweeps SET spec_path = ? WHERE id = ?");
      update.bind(1, name).bind(2, id);
      update.run();
    }
    transaction.commit();
    copy.execute("VACUUM");
    return Ok{};
  });
  if (!exported.ok()) {
    std::error_code ignored;
    fs::remove(target, ignored);  // no half-made export is left behind
  }
  return exported;
}

}  // namespace headroom
