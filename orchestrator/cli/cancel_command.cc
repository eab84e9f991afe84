// headroom cancel SWEEP [CELL]: stop a sweep or one cell. Pending cells are
// marked cancelled; running workers get SIGTERM (they checkpoint and end
// "preempted"), SLURM tasks are scancel-ed, and their cells stay cancelled.
// `headroom resume SWEEP --include-cancelled` runs them again.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/executors/local_executor.h"
#include "orchestrator/executors/slurm.h"
#include "orchestrator/scheduler/lifecycle.h"

namespace headroom::cli {
namespace {

struct CancelOptions {
  std::string sweep;
  std::string cell;  // a cell or run of the sweep (store/run_names.h); empty = every cell
};

int cancel(const CancelOptions& options, const GlobalOptions& global) {
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  auto sweep = find_sweep(*store.value(), options.sweep);
  if (!sweep) return report_error(sweep.error());
  std::string hash;  // the named cell's whole hash; empty: every cell
  if (!options.cell.empty()) {
    auto cell = find_cell(*store.value(), options.cell, sweep.value());
    if (!cell) return report_error(cell.error());
    hash = cell->hash;
  }
  auto running = store.value()->cancel_cells(sweep->id, hash, cancellable_cell_states());
  if (!running) return report_error(running.error());
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  int stopped = 0, elsewhere = 0;
  for (const auto& run : running.value()) {
    if (run.slurm_job) {
      // SLURM sends the task SIGTERM (it checkpoints); the orchestrator sees it end CANCELLED.
      const std::string& job = *run.slurm_job;
      const auto underscore = job.rfind('_');
      if (job.rfind("submitting:", 0) == 0 || underscore == std::string::npos) continue;
      auto cancelled = slurm::cancel(job.substr(0, underscore), std::stoi(job.substr(underscore + 1)));
      if (!cancelled) return report_error(cancelled.error());
      ++stopped;
      continue;
    }
    if (run.host && *run.host != host) {
      ++elsewhere;
      continue;
    }
    // A program's through its supervisor, to its process group: it and
    // anything it started (ask_worker_to_stop; headroom-train gets it alone).
    if (run.pid && is_worker_of(*run.pid, run.run_dir) && ask_worker_to_stop(*run.pid)) ++stopped;
  }
  std::printf("sweep '%s': cancelled%s; %d running worker%s asked to stop\n", sweep->name.c_str(),
              hash.empty() ? "" : (" cell " + hash.substr(0, 12)).c_str(), stopped, stopped == 1 ? "" : "s");
  if (elsewhere > 0) {
    std::fprintf(stderr, "headroom: %d worker%s on other hosts: their orchestrator stops them\n", elsewhere,
                 elsewhere == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

void add_cancel_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<CancelOptions>();
  auto* command = app.add_subcommand("cancel", "Cancel a sweep, or one of its cells: pending cells are skipped, "
                                               "running workers stopped (they checkpoint)");
  command->add_option("sweep", options->sweep, "the sweep's name")->required();
  command->add_option("cell", options->cell, "only this cell: a hash prefix (the 'cell' column of 'headroom runs'), SWEEP/CELL or a run id of it");
  command->callback([options, &global, &exit_status] { exit_status = cancel(*options, global); });
}

}  // namespace headroom::cli
