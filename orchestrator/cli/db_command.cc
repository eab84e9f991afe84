// headroom db check | migrate | export: the database's health, its schema
// upgrades, and a database of some sweeps only.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/protocol.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/store/export.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/wide_view.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct DbOptions {
  bool backup = true;
  std::vector<std::string> sweeps;  // export
  std::string output;               // export
};

// One finding of `db check`; problems make the exit status 1.
struct Finding {
  bool problem;
  std::string text;
};

Result<std::vector<Finding>> check(Store& store) {
  std::vector<Finding> findings;
  HEADROOM_ASSIGN_OR_RETURN(auto integrity, store.integrity_problems());
  for (const auto& problem : integrity) findings.push_back({true, "integrity: " + problem});
  if (integrity.empty()) findings.push_back({false, "integrity: ok"});

  HEADROOM_ASSIGN_OR_RETURN(auto orphans, store.orphan_problems());
  for (const auto& problem : orphans) findings.push_back({true, "orphan rows: " + problem});
  if (orphans.empty()) findings.push_back({false, "orphan rows: none"});

  HEADROOM_ASSIGN_OR_RETURN(auto stale, store.stale_summaries(20));
  for (const auto& [run, metric] : stale) {
    findings.push_back({true, "summary of run " + std::to_string(run) + " '" + metric + "' disagrees with its points"});
  }
  if (stale.empty()) findings.push_back({false, "summaries: agree with the metric points"});

  // Ingestion lag: bytes of events.jsonl not yet in the database.
  HEADROOM_ASSIGN_OR_RETURN(auto positions, store.ingestion_positions());
  int64_t lagging = 0;
  for (const auto& position : positions) {
    std::error_code error;
    auto size = fs::file_size(fs::path(position.run_dir) / protocol::kEventsFile, error);
    if (error) continue;  // never started, or its folder was removed
    const int64_t lag = int64_t(size) - position.events_offset;
    if (lag <= 0) continue;
    ++lagging;
    const bool active = is_active(position.run_state);
    // A running sweep catches up on its own; a stopped one needs `headroom run` again.
    findings.push_back({!active || position.sweep_state != SweepState::running,
                        "ingestion lag: run " + std::to_string(position.run_id) + " has " + std::to_string(lag) +
                            " bytes of events not yet ingested" +
                            (active ? "" : "; 'headroom resume' of its sweep ingests them")});
  }
  if (lagging == 0) findings.push_back({false, "ingestion: every events file is fully ingested"});

  // Runs left active by an orchestrator that is gone.
  HEADROOM_ASSIGN_OR_RETURN(auto active, store.sweeps_with_active_runs());
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  for (const auto& sweep : active) {
    const bool alive = sweep.state == SweepState::running && sweep.orchestrator_pid &&
                       sweep.orchestrator_host == std::string(host) &&
                       ::kill(pid_t(*sweep.orchestrator_pid), 0) == 0;
    if (!alive) {
      findings.push_back({true, "sweep '" + sweep.name + "' has " + std::to_string(sweep.active_runs) +
                                    " runs marked running but no live orchestrator: 'headroom resume " + sweep.name +
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

int db_export(const DbOptions& options, const GlobalOptions& global) {
  if (auto exported = export_sweeps(global.database, options.sweeps, options.output); !exported) {
    return report_error(exported.error());
  }
  std::printf("%s: %zu sweep%s from %s\n", options.output.c_str(), options.sweeps.size(),
              options.sweeps.size() == 1 ? "" : "s", global.database.c_str());
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
  auto* export_command = db->add_subcommand(
      "export", "Write a new database of some sweeps only, without hosts, pids or absolute paths (to commit or share)");
  export_command->add_option("sweeps", options->sweeps, "the sweeps to export")->required();
  export_command->add_option("-o,--output", options->output, "the new database file (must not exist)")->required();
  export_command->callback([options, &global, &exit_status] { exit_status = db_export(*options, global); });
}

}  // namespace headroom::cli
