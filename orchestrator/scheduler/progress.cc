#include "orchestrator/scheduler/progress.h"

#include "orchestrator/monitor/snapshot.h"

namespace headroom {

Status ProgressReporter::report(Store& store, const SweepRecord& sweep) {
  if (!callback_) return Ok{};
  HEADROOM_ASSIGN_OR_RETURN(SweepSnapshot snapshot, take_snapshot(store, sweep));
  SweepProgress progress{snapshot.total,          snapshot.count("succeeded"), snapshot.count("failed"),
                         snapshot.count("running"), snapshot.count("pending"),  snapshot.count("cancelled"),
                         snapshot.eta_seconds};
  auto counts = std::make_tuple(progress.succeeded, progress.failed, progress.running, progress.pending,
                                progress.cancelled);
  if (counts == last_counts_) return Ok{};
  last_counts_ = counts;
  callback_(progress);
  return Ok{};
}

Status count_cells(Store& store, int64_t sweep_id, SweepOutcome& outcome) {
  HEADROOM_ASSIGN_OR_RETURN(auto counts, store.cell_state_counts(sweep_id));
  for (const auto& [state, count] : counts) {
    if (state == "succeeded") outcome.succeeded = count;
    if (state == "failed") outcome.failed = count;
    if (state == "pending" || state == "running") outcome.pending += count;
  }
  return Ok{};
}

}  // namespace headroom
