#pragma once
// What an ended attempt means: for the attempt (its final state and the error
// it records) and for its cell (done, failed, cancelled, or to run again, and
// after how long). The one home of these rules for the local and the SLURM
// scheduler alike: each gathers the facts of an attempt's end, asks decide(),
// and records the decision (Store::finish_run hands decide() the cell as it
// stands, inside the transaction that records it). Pure: no I/O, no clock.
//
// The rules, first match wins (tests/orchestrator/lifecycle_test.cc has a row
// for each):
//   0. The executor could not start the worker (sbatch refused, the program
//      could not be run): lost, with the reason; the cell stays pending for
//      the next run, which the caller stops.
//   1. The worker ended "ok" and exited 0 (or its exit status is unknown):
//      succeeded, and so is the cell; nothing after a durable "ok" undoes it.
//      So did a worker that wrote no end event (a program that speaks no
//      protocol) and exited 0, unless the orchestrator stopped it, its
//      supervisor passed a stop signal on to it, or ingestion refused some
//      of its event lines.
//   2. Stopped by the sweep's early_terminate rule (search/hyperband.h):
//      stopped early, and so is the cell: done, never retried; its metrics
//      stay, and the reason (the band, its value, the threshold) is its error.
//      Checked before rule 1's program rule, since a stopped program may
//      exit 0.
//   3. Stopped at the sweep's timeout (or SLURM's TIMEOUT): timeout; the cell
//      failed, not retried.
//   4. Stopped as hung (no event for the hang timeout): failed, as a crash.
//   5. Stopped by the orchestrator's own interruption, or cancelled in SLURM:
//      cancelled; the cell runs again (a SLURM cancellation only on resume).
//   6. Its node failed or SLURM preempted it: lost; the cell runs again.
//   7. The worker checkpointed and ended "preempted" after a SIGTERM nobody
//      here explains, or a program with no end event exited 0 after its
//      supervisor passed on a stop signal nobody here explains (an
//      orchestrator that sent it was killed before it ended, or someone else
//      sent it; it had not finished): cancelled when `headroom cancel` took
//      the cell, else lost; the cell runs again (from the checkpoint, if
//      any). One that a stop killed, or that exited non-zero, is a failure
//      as before (rule 10).
//   8. The worker vanished with no end event and no recorded exit status
//      (headroom-train, or a program whose supervisor died too): lost; the
//      cell runs again.
//   9. The worker says it diverged (status or exit status 3): diverged; the
//      cell failed, not retried. Refused its config (2): invalid, likewise.
//  10. Anything else (a crash, a signal, an unknown status, SLURM's
//      OUT_OF_MEMORY): failed; the cell is retried after a back-off while
//      its failures stay within the sweep's `retries`, else it failed.
//      Failures that `--retry-failed` set aside do not count.
// A cell `headroom cancel` took stays cancelled unless the attempt succeeded.
// Lost and cancelled attempts never count against `retries`.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/executors/slurm.h"
#include "orchestrator/store/states.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Everything known about how one attempt ended.
struct AttemptFacts {
  // Why the executor could not start the worker; empty when it started.
  std::string start_failure;
  // The worker's exit as its executor saw it, or as its supervisor recorded
  // it for an orchestrator that was not its parent (exit_status.h): an exit
  // status, or the signal that killed it (SLURM reports both). Neither when
  // nobody saw it exit.
  std::optional<int> exit_code;
  std::optional<int> signal;
  // A stop signal from outside its process group that its supervisor passed
  // on before it ended (exit_status.h); none for headroom-train and SLURM tasks.
  std::optional<int> stop_signal;
  // The status of the worker's end event as written; "" when it wrote none.
  std::string end_status;
  // The run records an error already (its end event's, or ingestion's).
  bool error_recorded = false;
  // A problem ingestion found in its events (an unknown protocol version),
  // the error when the worker's own words were refused.
  std::string event_problem;
  // Why the sweep's early_terminate rule stopped it (HyperbandStop::reason());
  // empty when it did not.
  std::string stopped_early;
  bool stopped_at_timeout = false;       // the sweep's timeout passed and it was stopped
  bool stopped_as_hung = false;          // no event for the hang timeout and it was stopped
  bool stopped_by_orchestrator = false;  // Ctrl-C or SIGTERM of `headroom run`: not the cell's fault
  // Gone without an exit status: dead, with no exit recorded, when a
  // restarted orchestrator looked, or a task SLURM no longer knows.
  bool vanished = false;
  // SLURM's final state of the task, when the attempt ran there.
  std::optional<slurm::State> slurm_state;
  // Names the attempt in messages ("SLURM task 4711_3"); empty for local workers.
  std::string where;
  // The last lines of the worker's stderr: the error when nothing says more.
  std::string stderr_tail;
};

// A sweep's rules for its attempts (its `retries` and `timeout`, the hang
// timeout of `headroom run`).
struct LifecyclePolicy {
  int retries = 0;                                // extra attempts after failures
  std::chrono::milliseconds retry_backoff{2000};  // the first retry's wait; it doubles
  double timeout_seconds = 0;                     // per attempt; 0 = none
  double hang_seconds = 0;                        // without an event; 0 = never
};

struct Decision {
  // The attempt's state, exit status and signal, and its error (none when the
  // run records one already or nothing went wrong).
  RunEnd end;
  CellState cell = CellState::failed;  // the cell's next state
  std::optional<std::chrono::milliseconds> retry_after;  // a retried cell waits this long first
  // Cancelled in SLURM itself (not by `headroom cancel`): the cell is
  // pending, but this run does not submit it again; `headroom resume` does.
  bool hold_until_resume = false;
};

// `history` is the cell as it stands when the attempt ends (store.h): its
// state (cancelled when `headroom cancel` took it meanwhile) and its other
// attempts.
Decision decide(const AttemptFacts& facts, const CellHistory& history, const LifecyclePolicy& policy);

// The wait before a cell that has now failed `failures` times runs again:
// base x 2^(failures - 1), at most 5 minutes, so that a crash that repeats at
// once (a full disk, a busy GPU) does not burn every retry in a second.
std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds base);

// Failed attempts in `history` that count against `retries`: those in state
// failed, less the ones --retry-failed set aside.
int counted_failures(const CellHistory& history);

// Whether a failed cell whose attempts are all in `history` is one the
// sweep's retries now allow to run again (its `retries` were raised since):
// its last attempt failed (not diverged, invalid or timed out) and its
// counted failures are within `retries`. Run and resume reopen such cells.
bool retries_now_allow(const CellHistory& history, const LifecyclePolicy& policy);

// The cells `headroom cancel` takes: those not finished (pending, running).
const std::vector<CellState>& cancellable_cell_states();

}  // namespace headroom
