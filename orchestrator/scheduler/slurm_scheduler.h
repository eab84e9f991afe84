#pragma once
// Drives a sweep on SLURM: pending cells go out as job arrays (one per
// resource shape, throttled with --array=0-N%K), the orchestrator on the
// submit node ingests the run folders the workers write on the shared
// filesystem, and each task's end is read from squeue / scontrol and the
// run's own end event. The array task of every attempt is in the database
// before and after sbatch answers, so an orchestrator killed at any moment
// re-adopts its arrays instead of submitting a cell twice.

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"
#include "orchestrator/scheduler/lifecycle.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Trials of a search out in SLURM at once when the sweep sets no throttle (-j).
inline constexpr int kSearchTrialsInFlightOnSlurm = 4;

struct SlurmSchedulerOptions {
  std::string trainer_path;  // headroom-train, as the compute nodes see it
  SlurmSpec slurm;           // partition, account, throttle, ... (sweep file and flags)
  int threads_per_run = 1;   // --cpus-per-task, unless a cell sets its own `threads`
  // Retries and their back-off; the timeout becomes --time when slurm.time is empty.
  LifecyclePolicy lifecycle;
  // The sweep's early_terminate rule: tasks it judges behind are cancelled
  // (scancel) and their attempts end stopped early. Judged at every poll.
  std::optional<EarlyTermination> early_termination;
  std::chrono::milliseconds poll_interval{1000};
  // An adaptive search's next cell (as SchedulerOptions::add_cell): asked
  // for while fewer than slurm.throttle trials (default
  // kSearchTrialsInFlightOnSlurm) are submitted and unfinished; the cells
  // made since the last submission go out as one array.
  std::function<Result<SearchStep>()> add_cell;
  // How long a task that looks over but may come back (missing from the
  // listings, or a stopped worker in a task not called cancelled, timed out
  // or preempted) is watched before its attempt ends (slurm_task_end.h).
  std::chrono::milliseconds task_end_settle{20000};
  std::function<void(const SweepProgress&)> progress;
};

// Runs every pending cell of the sweep through SLURM and waits for them.
// Each attempt's end is decided by lifecycle.h from SLURM's final state of
// its task, its exit code and the worker's own end event (a task SLURM
// requeues stays the same attempt, resumed from its own checkpoint;
// slurm_task_end.h says when a task has really ended). A cell whose task
// someone cancelled in SLURM itself is not submitted again by this run.
// SIGINT, SIGTERM or SIGHUP returns interrupted and leaves the jobs to SLURM:
// the next `headroom run` or `resume` adopts them.
Result<SweepOutcome> run_sweep_on_slurm(Store& store, const SweepRecord& sweep, const SlurmSchedulerOptions& options);

}  // namespace headroom
