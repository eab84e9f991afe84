// headroom delete sweep NAME | delete run ID: remove a sweep, or one ended
// attempt, from the database after saying what goes and asking (--yes skips
// the question; without a terminal to ask on, it is required). Other sweeps
// keep every row. Run folders stay on disk unless --files is given.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "orchestrator/cli/commands.h"
#include "orchestrator/scheduler/sweep_lock.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct DeleteOptions {
  std::string target;  // the sweep's name or the run's id
  bool yes = false;    // do not ask
  bool files = false;  // remove the run folders too
};

std::string describe(const RemovalSize& size) {
  auto count = [](int64_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  std::string text = size.cells > 0 ? count(size.cells, "cell") + ", " : "";
  return text + count(size.runs, "run") + " and " + count(size.points, "metric point");
}

// Asks on the terminal; without one, --yes must have been given.
Status confirm(const std::string& question, const DeleteOptions& options) {
  if (options.yes) return Ok{};
  if (!::isatty(STDIN_FILENO)) {
    return Error::invalid(question + " No terminal to ask on: pass --yes to delete without asking");
  }
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return Ok{};
  return Error::invalid("nothing deleted");
}

// Removes folders, saying which could not be.
void remove_folders(const std::vector<fs::path>& folders) {
  for (const auto& folder : folders) {
    std::error_code error;
    fs::remove_all(folder, error);
    if (error) std::fprintf(stderr, "headroom: could not remove '%s': %s\n", folder.c_str(), error.message().c_str());
  }
}

int delete_sweep(const DeleteOptions& options, const GlobalOptions& global) {
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  auto sweep = find_sweep(*store.value(), options.target);
  if (!sweep) return report_error(sweep.error());
  // No orchestrator may be running it meanwhile.
  auto lock = SweepLock::acquire(global.database, sweep->name);
  if (!lock) return report_error(lock.error());
  auto size = store.value()->sweep_size(sweep->id);
  if (!size) return report_error(size.error());
  const fs::path folder = fs::path(sweep->runs_root) / sweep->name;
  const std::string question = "Delete sweep '" + sweep->name + "' (" + describe(size.value()) + ") from " +
                               global.database + (options.files ? " and its run folders under " + folder.string()
                                                                : "? Its run folders under " + folder.string() + " stay") +
                               (options.files ? "?" : ".");
  if (auto confirmed = confirm(question, options); !confirmed) return report_error(confirmed.error());
  if (auto deleted = store.value()->delete_sweep(sweep->id); !deleted) return report_error(deleted.error());
  if (options.files) remove_folders({folder});
  std::printf("deleted sweep '%s': %s\n", sweep->name.c_str(), describe(size.value()).c_str());
  return 0;
}

int delete_run(const DeleteOptions& options, const GlobalOptions& global) {
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  auto run = find_run(*store.value(), options.target);
  if (!run) return report_error(run.error());
  auto cell = store.value()->cell(run->cell_id);
  if (!cell) return report_error(cell.error());
  auto sweep = store.value()->sweep(cell->sweep_id);
  if (!sweep) return report_error(sweep.error());
  auto lock = SweepLock::acquire(global.database, sweep->name);
  if (!lock) return report_error(lock.error());
  auto size = store.value()->run_size(run->id);
  if (!size) return report_error(size.error());
  const std::string question = "Delete run " + std::to_string(run->id) + " (attempt " + std::to_string(run->attempt) +
                               " of cell " + cell->hash.substr(0, 12) + " of sweep '" + sweep->name + "', " +
                               std::string(to_string(run->state)) + ", " + describe(size.value()) + ")" +
                               (options.files ? " and its folder " + run->run_dir : "") +
                               "? Its cell runs again unless another attempt of it succeeded.";
  if (auto confirmed = confirm(question, options); !confirmed) return report_error(confirmed.error());
  if (auto deleted = store.value()->delete_run(run->id); !deleted) return report_error(deleted.error());
  if (options.files) remove_folders({run->run_dir});
  std::printf("deleted run %lld: %s\n", static_cast<long long>(run->id), describe(size.value()).c_str());
  return 0;
}

}  // namespace

void add_delete_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto* command = app.add_subcommand("delete", "Delete a sweep or one run from the database, after asking");
  command->require_subcommand(1);
  auto add = [&](const std::string& what, const std::string& help, const std::string& target_help,
                 int (*act)(const DeleteOptions&, const GlobalOptions&)) {
    auto options = std::make_shared<DeleteOptions>();
    auto* sub = command->add_subcommand(what, help);
    sub->add_option(what == "sweep" ? "name" : "run", options->target, target_help)->required();
    sub->add_flag("-y,--yes", options->yes, "do not ask");
    sub->add_flag("--files", options->files, "remove the run folders too");
    sub->callback([options, act, &global, &exit_status] { exit_status = act(*options, global); });
  };
  add("sweep", "Delete a sweep: its cells, runs, metric points, notes and tags; other sweeps are untouched",
      "the sweep's name", delete_sweep);
  add("run", "Delete one ended run (attempt) with its points, notes and tags; its cell runs again unless another "
             "attempt of it succeeded",
      kRunNameHelp, delete_run);
}

}  // namespace headroom::cli
