// headroom: runs hyperparameter sweeps of the paper's encoders and keeps
// every result in a SQLite database. A thin client: each subcommand parses
// its flags and calls one library function.

#include <CLI/CLI.hpp>

#include "orchestrator/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"headroom: sweeps of transformer attention (standard vs fixed head size), "
               "a results database and reports"};
  app.require_subcommand(1);
  headroom::cli::GlobalOptions global;
  app.add_option("--db", global.database, "the results database (default ./headroom.db)")
      ->capture_default_str();
  int exit_status = 0;
  headroom::cli::add_plan_command(app, global, exit_status);
  headroom::cli::add_run_command(app, global, exit_status);
  headroom::cli::add_status_command(app, global, exit_status);
  headroom::cli::add_runs_command(app, global, exit_status);
  headroom::cli::add_report_command(app, global, exit_status);
  headroom::cli::add_query_command(app, global, exit_status);
  headroom::cli::add_show_command(app, global, exit_status);
  headroom::cli::add_export_command(app, global, exit_status);
  headroom::cli::add_logs_command(app, global, exit_status);
  headroom::cli::add_watch_command(app, global, exit_status);
  headroom::cli::add_annotate_commands(app, global, exit_status);
  headroom::cli::add_cancel_command(app, global, exit_status);
  headroom::cli::add_delete_command(app, global, exit_status);
  headroom::cli::add_db_command(app, global, exit_status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int status = app.exit(error);
    // CLI11 uses 0 for --help and 106/109 etc. for usage errors: bad input is 2.
    return status == 0 ? 0 : 2;
  }
  return exit_status;
}
