#pragma once
// The headroom subcommands. Each add_*_command registers one subcommand on
// the app; when it runs, it stores its exit status (0 ok, 1 runtime failure,
// 2 bad input) in `exit_status`.

#include <CLI/CLI.hpp>
#include <string>

#include "orchestrator/core/result.h"

namespace headroom::cli {

struct GlobalOptions {
  std::string database = "headroom.db";
};

void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_run_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_runs_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_report_command(CLI::App& app, const GlobalOptions& global, int& exit_status);

// Prints an error to stderr ("headroom: " before messages without a file
// location) and returns its exit status.
int report_error(const Error& error);

}  // namespace headroom::cli
