#pragma once
// The headroom subcommands. Each add_*_command registers one subcommand on
// the app; when it runs, it stores its exit status (0 ok, 1 runtime failure,
// 2 bad input) in `exit_status`.

#include <CLI/CLI.hpp>
#include <string>

#include "common/result.h"
#include "common/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/scheduler/placement.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {

struct GlobalOptions {
  std::string database = "headroom.db";
};

void add_plan_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_run_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_runs_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_report_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_query_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_show_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_export_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_cancel_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_delete_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_db_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_annotate_commands(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_logs_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
void add_watch_command(CLI::App& app, const GlobalOptions& global, int& exit_status);

// Prints an error to stderr ("headroom: " before messages without a file
// location) and returns its exit status.
int report_error(const Error& error);

// Prints a query's rows in `format` (format_table), or its error; returns the exit status.
int print_table(const Result<Table>& table, const std::string& format);

// A run named on the command line by its id (as `headroom runs` shows it).
Result<RunRecord> find_run(Store& store, const std::string& text);
// A sweep by name; an error naming the database and the closest name.
Result<SweepRecord> find_sweep(Store& store, const std::string& name);

// This machine as a local sweep sees it: its usable cores, and the GPUs
// nvidia-smi lists, narrowed by CUDA_VISIBLE_DEVICES, then by the --gpus flag
// ("all", "none" or indices).
Result<Machine> discover_machine(const std::string& gpus_flag);
// The resources of every cell of an expansion, in order.
std::vector<CellResources> cell_resources(const Expansion& expansion);

}  // namespace headroom::cli
