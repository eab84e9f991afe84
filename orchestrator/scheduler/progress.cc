#include "orchestrator/scheduler/progress.h"

#include "orchestrator/monitor/snapshot.h"

namespace headroom {

Status ProgressReporter::report(Store& store, const SweepRecord& sweep) {
  if (!callback_) return Ok{};
  HEADROOM_ASSIGN_OR_RETURN(SweepSnapshot snapshot, take_snapshot(store, sweep));
  SweepProgress progress{snapshot.total,
                         snapshot.count(CellState::succeeded),
                         snapshot.count(CellState::failed),
                         snapshot.count(CellState::running),
                         snapshot.count(CellState::pending),
                         snapshot.count(CellState::cancelled),
                         snapshot.count(CellState::stopped_early),
                         snapshot.eta_seconds};
  auto counts = std::make_tuple(progress.succeeded, progress.failed, progress.running, progress.pending,
                                progress.cancelled, progress.stopped_early);
  if (counts == last_counts_) return Ok{};
  last_counts_ = counts;
  callback_(progress);
  return Ok{};
}

Status count_cells(Store& store, int64_t sweep_id, SweepOutcome& outcome) {
  HEADROOM_ASSIGN_OR_RETURN(auto counts, store.cell_state_counts(sweep_id));
  for (const auto& [state, count] : counts) {
    if (state == CellState::succeeded) outcome.succeeded = count;
    if (state == CellState::failed) outcome.failed = count;
    if (state == CellState::stopped_early) outcome.stopped_early = count;
    if (state == CellState::cancelled) outcome.cancelled = count;
    if (state == CellState::pending || state == CellState::running) outcome.pending += count;
  }
  return Ok{};
}

}  // namespace headroom
