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
#include "orchestrator/store/run_names.h"
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
void add_serve_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
// headroom completion bash / sweeps: the completion script and its sweep names.
void add_completion_command(CLI::App& app, const GlobalOptions& global, int& exit_status);

// Prints an error to stderr ("headroom: " before messages without a file
// location) and returns its exit status.
int report_error(const Error& error);

// The one output convention of every command that prints data: -f/--format
// takes one of `formats` (the first is the default; others are refused when
// the command line is parsed) and --json is short for --format json, or
// jsonl for a command that prints a stream of lines.
void add_format_options(CLI::App& command, std::string& format, const std::vector<std::string>& formats);

// Prints a query's rows in `format` (format_table), or its error; returns the exit status.
int print_table(const Result<Table>& table, const std::string& format);

// How a run is named on the command line (store/run_names.h), for --help.
inline constexpr const char* kRunNameHelp =
    "the run: its id ('run' column of 'headroom runs'), a cell-hash prefix ('cell' column) or SWEEP/CELL; "
    "a cell means its latest attempt";

// A sweep by name; an error naming the database and the closest name.
Result<SweepRecord> find_sweep(Store& store, const std::string& name);

// This machine as a local sweep sees it: its usable cores, and the GPUs
// nvidia-smi lists, narrowed by CUDA_VISIBLE_DEVICES, then by the --gpus flag
// ("all", "none" or indices).
Result<Machine> discover_machine(const std::string& gpus_flag);
// The trainer executable: --trainer's value, or headroom-train beside this
// headroom; an error (naming --trainer) when it is not an executable file.
Result<std::string> trainer_executable(const std::string& trainer_flag);
// headroom-supervise beside this headroom (executors/supervise_main.cc);
// an error when it is not an executable file there.
Result<std::string> supervisor_executable();

// The resources of every cell of an expansion, in order.
std::vector<CellResources> cell_resources(const Expansion& expansion);

}  // namespace headroom::cli
