#pragma once
// Drives one sweep to completion: claims pending cells (most expensive first),
// starts workers through the local executor, ingests their events while they
// run, records how each attempt ended, retries crashed ones, and on start-up
// recovers the attempts a previous orchestrator left behind (finished ones
// are ingested and kept; dead ones are marked lost and their cells retried).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "orchestrator/scheduler/early_termination.h"
#include "orchestrator/scheduler/lifecycle.h"
#include "orchestrator/scheduler/placement.h"
#include "orchestrator/scheduler/bayes_search.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Cells by state and the estimated time left (monitor/snapshot.h).
struct SweepProgress {
  int64_t total = 0, succeeded = 0, failed = 0, running = 0, pending = 0, cancelled = 0, stopped_early = 0;
  std::optional<double> eta_seconds;
};

// What to do with running workers when the user presses Ctrl-C.
enum class InterruptChoice { stop_workers, leave_workers };

struct SchedulerOptions {
  std::string trainer_path;  // the headroom-train executable
  // headroom-supervise: every program's worker runs under it, which records
  // how the worker ended for an orchestrator that is not there to see it
  // (empty: none; headroom-train never does, its end event says it).
  std::string supervisor_path;
  // Retries, their back-off, the per-attempt timeout and the hang timeout:
  // the scheduler stops workers by the last two, lifecycle.h decides the rest.
  LifecyclePolicy lifecycle;
  // The sweep's early_terminate rule: workers it judges behind are stopped
  // and end stopped early. Judged whenever new events arrived, at most once
  // per `early_termination_interval`.
  std::optional<EarlyTermination> early_termination;
  std::chrono::milliseconds early_termination_interval{1000};
  std::chrono::milliseconds poll_interval{200};
  // An adaptive search's next cell (bayes_search.h): asked for when a
  // slot is free and no pending cell could take it, and again after a wait
  // only once a cell has ended; never again once over. Empty for grids and
  // random search, whose cells exist up front.
  std::function<Result<SearchStep>()> add_cell;
  std::chrono::milliseconds stop_grace{10000};  // SIGTERM to SIGKILL
  // Called whenever a cell changes state.
  std::function<void(const struct SweepProgress&)> progress;
  // Asked on the first Ctrl-C (SIGINT) while workers run; without it, or on
  // SIGTERM or SIGHUP, workers are stopped. `interrupted_again` turns true
  // when a second Ctrl-C (or a SIGTERM) arrives while it waits for an answer.
  std::function<InterruptChoice(size_t running, const std::function<bool()>& interrupted_again)> on_interrupt;
};

struct SweepOutcome {
  int64_t succeeded = 0, failed = 0, pending = 0, stopped_early = 0, cancelled = 0;
  bool interrupted = false;  // stopped by SIGINT/SIGTERM; `headroom run` again resumes
  size_t left_running = 0;   // workers the user chose to leave running; the next run adopts them
};

// Runs every pending cell of the sweep, as many at once as `placement` has
// slots, each worker in the seat placement gives it (its threads, its GPUs
// by CUDA_VISIBLE_DEVICES, device "cuda" in its config when it has GPUs).
// Pending cells start by priority, then costliest first (attempt.h).
// SIGINT, SIGTERM or SIGHUP stops the workers (they checkpoint), leaves their
// cells pending and returns interrupted; on SIGINT, options.on_interrupt may
// choose to leave them running instead.
Result<SweepOutcome> run_sweep(Store& store, const SweepRecord& sweep, const Placement& placement,
                               const SchedulerOptions& options);

}  // namespace headroom
