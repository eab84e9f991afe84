// headroom db check | migrate: the database's health and its schema upgrades.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "orchestrator/cli/commands.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/wide_view.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct DbOptions {
  bool backup = true;
};

// One finding of `db check`; problems make the exit status 1.
struct Finding {
  bool problem;
  std::string text;
};

Result<std::vector<Finding>> check(Store& store) {
  std::vector<Finding> findings;
  HEADROOM_ASSIGN_OR_RETURN(Table integrity, store.select("PRAGMA integrity_check"));
  for (const auto& row : integrity.rows) {
    if (row[0] != "ok") findings.push_back({true, "integrity: " + row[0].get<std::string>()});
  }
  if (findings.empty()) findings.push_back({false, "integrity: ok"});

  HEADROOM_ASSIGN_OR_RETURN(Table foreign, store.select("PRAGMA foreign_key_check"));
  for (const auto& row : foreign.rows) {
    findings.push_back({true, "orphan row: table " + row[0].get<std::string>() + " rowid " + row[1].dump() +
                                  " points at a missing " + row[2].get<std::string>() + " row"});
  }
  // Tables WITHOUT ROWID have no rowid for foreign_key_check to name: count them directly.
  HEADROOM_ASSIGN_OR_RETURN(
      Table orphans,
      store.select("SELECT 'metrics', count(*) FROM metrics WHERE run_id NOT IN (SELECT id FROM runs) "
                   "UNION ALL SELECT 'summaries', count(*) FROM summaries WHERE run_id NOT IN (SELECT id FROM runs) "
                   "UNION ALL SELECT 'cell_parameters', count(*) FROM cell_parameters "
                   "  WHERE cell_id NOT IN (SELECT id FROM cells) "
                   "UNION ALL SELECT 'tags', count(*) FROM tags WHERE run_id NOT IN (SELECT id FROM runs)"));
  bool orphan_free = foreign.rows.empty();
  for (const auto& row : orphans.rows) {
    if (row[1].get<int64_t>() > 0) {
      orphan_free = false;
      findings.push_back({true, "orphan rows: " + row[1].dump() + " in " + row[0].get<std::string>()});
    }
  }
  if (orphan_free) findings.push_back({false, "orphan rows: none"});

  // Summaries are derived at ingestion: they must agree with the points.
  HEADROOM_ASSIGN_OR_RETURN(
      Table stale,
      store.select("SELECT s.run_id, s.name FROM summaries s JOIN metric_names n ON n.name = s.name "
                   "WHERE s.last_step IS NOT (SELECT max(step) FROM metrics m "
                   "WHERE m.run_id = s.run_id AND m.metric_id = n.id) LIMIT 20"));
  for (const auto& row : stale.rows) {
    findings.push_back({true, "summary of run " + row[0].dump() + " '" + row[1].get<std::string>() +
                                  "' disagrees with its points"});
  }
  if (stale.rows.empty()) findings.push_back({false, "summaries: agree with the metric points"});

  // Ingestion lag: bytes of events.jsonl not yet in the database.
  HEADROOM_ASSIGN_OR_RETURN(Table runs, store.select("SELECT r.id, r.run_dir, r.events_offset, r.state, s.state "
                                                     "FROM runs r JOIN cells c ON c.id = r.cell_id "
                                                     "JOIN sweeps s ON s.id = c.sweep_id ORDER BY r.id"));
  int64_t lagging = 0, lag_bytes = 0;
  for (const auto& row : runs.rows) {
    std::error_code error;
    auto size = fs::file_size(fs::path(row[1].get<std::string>()) / "events.jsonl", error);
    if (error) continue;  // never started, or its folder was removed
    int64_t lag = int64_t(size) - row[2].get<int64_t>();
    if (lag > 0) {
      ++lagging;
      lag_bytes += lag;
      const bool active = row[3] == "running" || row[3] == "starting";
      // A running sweep catches up on its own; a stopped one needs `headroom run` again.
      findings.push_back({!active || row[4] != "running",
                          "ingestion lag: run " + row[0].dump() + " has " + std::to_string(lag) +
                              " bytes of events not yet ingested" +
                              (active ? "" : "; 'headroom resume' of its sweep ingests them")});
    }
  }
  if (lagging == 0) findings.push_back({false, "ingestion: every events file is fully ingested"});

  // Runs left 'running' by an orchestrator that is gone.
  HEADROOM_ASSIGN_OR_RETURN(Table active, store.select("SELECT s.name, count(*), s.state, s.orchestrator_pid, "
                                                       "s.orchestrator_host FROM runs r JOIN cells c ON c.id = "
                                                       "r.cell_id JOIN sweeps s ON s.id = c.sweep_id WHERE r.state "
                                                       "IN ('starting', 'running') GROUP BY s.id"));
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  for (const auto& row : active.rows) {
    bool alive = row[2] == "running" && row[3].is_number() && row[4] == std::string(host) &&
                 ::kill(pid_t(row[3].get<int64_t>()), 0) == 0;
    if (!alive) {
      const std::string name = row[0].get<std::string>();
      findings.push_back({true, "sweep '" + name + "' has " + row[1].dump() +
                                    " runs marked running but no live orchestrator: 'headroom resume " + name +
                                    "' adopts or retries them"});
    }
  }
  return findings;
}

int db_check(const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto findings = check(*store.value());
  if (!findings) return report_error(findings.error());
  int problems = 0;
  for (const auto& finding : findings.value()) {
    std::printf("%s %s\n", finding.problem ? "PROBLEM" : "ok     ", finding.text.c_str());
    problems += finding.problem;
  }
  std::printf("%s: %d problem%s\n", global.database.c_str(), problems, problems == 1 ? "" : "s");
  return problems ? 1 : 0;
}

int db_migrate(const DbOptions& options, const GlobalOptions& global) {
  if (!fs::exists(global.database)) {
    return report_error(Error::invalid("no database at '" + global.database + "'"));
  }
  int from = 0;
  try {
    sqlite::Connection connection(global.database, sqlite::Connection::Mode::read_only);
    from = check_schema(connection, global.database);
    if (from < latest_schema_version() && options.backup) {
      std::string backup = global.database + ".v" + std::to_string(from) + ".bak";
      if (fs::exists(backup)) {
        return report_error(Error::invalid("backup '" + backup + "' exists already: move it away, or pass --no-backup"));
      }
      // A consistent copy even while readers are open.
      connection.execute("VACUUM INTO " + quote_literal(backup));
      std::printf("backup: %s\n", backup.c_str());
    }
  } catch (const std::exception& error) {
    return report_error(Error::invalid(error.what()));
  }
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  if (from == latest_schema_version()) {
    std::printf("%s is at schema version %d already\n", global.database.c_str(), from);
  } else {
    std::printf("%s: migrated from schema version %d to %d\n", global.database.c_str(), from,
                latest_schema_version());
  }
  return 0;
}

}  // namespace

void add_db_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<DbOptions>();
  auto* db = app.add_subcommand("db", "Check the database or upgrade its schema");
  db->require_subcommand(1);
  auto* check_command = db->add_subcommand(
      "check", "Integrity, orphan rows, summaries against points, ingestion lag, runs without an orchestrator");
  check_command->callback([&global, &exit_status] { exit_status = db_check(global); });
  auto* migrate_command =
      db->add_subcommand("migrate", "Upgrade the schema to this headroom's version (a backup copy first)");
  migrate_command->add_flag("!--no-backup", options->backup, "skip the backup copy");
  migrate_command->callback([options, &global, &exit_status] { exit_status = db_migrate(*options, global); });
}

}  // namespace headroom::cli
