// headroom db check | migrate | export: the database's health, its schema
// upgrades, and a database of some sweeps only.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/protocol.h"
#include "common/text_file.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/store/export.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/wide_view.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct DbOptions {
  std::string format;  // check: text | json
  bool backup = true;
  std::vector<std::string> sweeps;  // export
  std::string output;               // export
};

// One finding of `db check`. Problems are the database's and make the exit
// status 1; notes are facts worth knowing that need no repair (a worker's
// refused event lines, an unfinished last line it left when it ended).
enum class Level { ok, note, problem };
struct Finding {
  Level level;
  std::string text;
};

// Runs one part of the check: an error in it becomes a problem finding and
// the check goes on, so a damaged file still shows all that can be read.
void check_part(std::vector<Finding>& findings, const std::string& what, const std::function<Status()>& part) {
  Status status = part();
  if (!status.ok()) findings.push_back({Level::problem, "could not check " + what + ": " + status.error().to_string()});
}

// Whether the bytes of `path` from `offset` on hold a newline (a complete line).
bool tail_has_newline(const fs::path& path, int64_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  char buffer[65536];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    if (std::memchr(buffer, '\n', size_t(in.gcount()))) return true;
  }
  return false;
}

// At most this many runs are named per kind of note; the rest are counted.
constexpr int kNamedRuns = 20;

std::vector<Finding> check(Store& store) {
  std::vector<Finding> findings;
  check_part(findings, "integrity", [&]() -> Status {
    HEADROOM_ASSIGN_OR_RETURN(auto integrity, store.integrity_problems());
    for (const auto& problem : integrity) findings.push_back({Level::problem, "integrity: " + problem});
    if (integrity.empty()) findings.push_back({Level::ok, "integrity: ok"});
    return Ok{};
  });
  check_part(findings, "orphan rows", [&]() -> Status {
    HEADROOM_ASSIGN_OR_RETURN(auto orphans, store.orphan_problems());
    for (const auto& problem : orphans) findings.push_back({Level::problem, "orphan rows: " + problem});
    if (orphans.empty()) findings.push_back({Level::ok, "orphan rows: none"});
    return Ok{};
  });
  check_part(findings, "summaries", [&]() -> Status {
    HEADROOM_ASSIGN_OR_RETURN(auto stale, store.stale_summaries(20));
    for (const auto& [run, metric] : stale) {
      findings.push_back({Level::problem, "summary of run " + std::to_string(run) + " '" + metric +
                                              "' disagrees with its points"});
    }
    if (stale.empty()) findings.push_back({Level::ok, "summaries: agree with the metric points"});
    return Ok{};
  });
  check_part(findings, "ingestion", [&]() -> Status {
    HEADROOM_ASSIGN_OR_RETURN(auto positions, store.ingestion_positions());
    int lagging = 0, refusing = 0, unfinished = 0;
    for (const auto& position : positions) {
      if (position.rejected_lines > 0 && ++refusing <= kNamedRuns) {
        findings.push_back({Level::note, "run " + std::to_string(position.run_id) + ": " +
                                             std::to_string(position.rejected_lines) + " event line(s) refused; the "
                                             "first: " + position.event_problem.value_or("?")});
      }
      std::error_code error;
      auto size = fs::file_size(fs::path(position.run_dir) / protocol::kEventsFile, error);
      if (error) continue;  // never started, or its folder was removed
      const int64_t lag = int64_t(size) - position.events_offset;
      if (lag <= 0) continue;
      if (!is_active(position.run_state)) {
        // Its attempt ended before this version read an unfinished last line
        // at the end (ingest.h), or something wrote to the file after the
        // attempt ended: nothing will read these bytes, and nothing needs to.
        if (++unfinished <= kNamedRuns) {
          const bool whole_lines = tail_has_newline(fs::path(position.run_dir) / protocol::kEventsFile,
                                                    position.events_offset);
          findings.push_back({Level::note, "run " + std::to_string(position.run_id) + " has " + std::to_string(lag) +
                                               " bytes of " + std::string(protocol::kEventsFile) + " " +
                                               (whole_lines ? "written after its attempt ended"
                                                            : "in an unfinished last line its worker left") +
                                               ": not ingested, and nothing will ingest them"});
        }
        continue;
      }
      ++lagging;
      // A running sweep catches up on its own; a stopped one needs `headroom resume`.
      const bool running = position.sweep_state == SweepState::running;
      findings.push_back({running ? Level::ok : Level::problem,
                          "ingestion lag: run " + std::to_string(position.run_id) + " has " + std::to_string(lag) +
                              " bytes of events not yet ingested" +
                              (running ? " (its sweep is running)" : "; 'headroom resume' of its sweep ingests them")});
    }
    if (refusing > kNamedRuns) {
      findings.push_back({Level::note, std::to_string(refusing - kNamedRuns) + " more runs with refused event lines"});
    }
    if (unfinished > kNamedRuns) {
      findings.push_back({Level::note, std::to_string(unfinished - kNamedRuns) + " more runs with an unfinished last line"});
    }
    if (lagging == 0) findings.push_back({Level::ok, "ingestion: every active run's events file is fully ingested"});
    return Ok{};
  });
  check_part(findings, "active runs", [&]() -> Status {
    // Runs left active by an orchestrator that is gone.
    HEADROOM_ASSIGN_OR_RETURN(auto active, store.sweeps_with_active_runs());
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    for (const auto& sweep : active) {
      const bool alive = sweep.state == SweepState::running && sweep.orchestrator_pid &&
                         sweep.orchestrator_host == std::string(host) &&
                         ::kill(pid_t(*sweep.orchestrator_pid), 0) == 0;
      if (!alive) {
        findings.push_back({Level::problem, "sweep '" + sweep.name + "' has " + std::to_string(sweep.active_runs) +
                                                " runs marked running but no live orchestrator: 'headroom resume " +
                                                sweep.name + "' adopts or retries them"});
      }
    }
    return Ok{};
  });
  return findings;
}

// A file too damaged to open as a Headroom database: what SQLite's own
// integrity check finds in it, when it can read that much.
std::vector<Finding> check_unopenable(const std::string& path, const Error& why) {
  std::vector<Finding> findings = {{Level::problem, "cannot open: " + why.to_string()}};
  try {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_only);
    sqlite::Statement integrity(connection.handle(), "PRAGMA integrity_check");
    while (integrity.step()) {
      if (integrity.text(0) != "ok") findings.push_back({Level::problem, "integrity: " + integrity.text(0)});
    }
  } catch (const std::exception& error) {
    findings.push_back({Level::problem, std::string("integrity: cannot run the check: ") + error.what()});
  }
  return findings;
}

int db_check(const DbOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store && store.error().kind != ErrorKind::corrupt) return report_error(store.error());
  auto findings = store ? check(*store.value()) : check_unopenable(global.database, store.error());
  int problems = 0, notes = 0;
  if (options.format == "json") {
    nlohmann::json out = {{"database", global.database}, {"findings", nlohmann::json::array()}};
    for (const auto& finding : findings) {
      const char* level = finding.level == Level::problem ? "problem" : finding.level == Level::note ? "note" : "ok";
      out["findings"].push_back({{"level", level}, {"text", finding.text}});
      problems += finding.level == Level::problem;
      notes += finding.level == Level::note;
    }
    out["problems"] = problems;
    out["notes"] = notes;
    std::printf("%s\n", json_text(out, 2).c_str());
    return problems ? 1 : 0;
  }
  for (const auto& finding : findings) {
    const char* label = finding.level == Level::problem ? "PROBLEM" : finding.level == Level::note ? "note   " : "ok     ";
    std::printf("%s %s\n", label, printable(finding.text).c_str());
    problems += finding.level == Level::problem;
    notes += finding.level == Level::note;
  }
  std::printf("%s: %d problem%s", global.database.c_str(), problems, problems == 1 ? "" : "s");
  if (notes) std::printf(", %d note%s", notes, notes == 1 ? "" : "s");
  std::printf("\n");
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
  add_format_options(*check_command, options->format, {"text", "json"});
  check_command->callback([options, &global, &exit_status] { exit_status = db_check(*options, global); });
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
