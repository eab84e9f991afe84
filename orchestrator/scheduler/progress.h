#pragma once
// What both schedulers tell their caller about a sweep: its cell counts
// while it runs, and how it ended.

#include <functional>
#include <tuple>

#include "common/result.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Calls a callback with the sweep's counts and ETA when a count changed
// since the last call (not on every poll). No callback: does nothing.
class ProgressReporter {
 public:
  explicit ProgressReporter(std::function<void(const SweepProgress&)> callback) : callback_(std::move(callback)) {}
  Status report(Store& store, const SweepRecord& sweep);

 private:
  std::function<void(const SweepProgress&)> callback_;
  std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t> last_counts_{-1, -1, -1, -1, -1, -1};
};

// Fills the outcome's succeeded, stopped early, failed and pending (running included) counts.
Status count_cells(Store& store, int64_t sweep_id, SweepOutcome& outcome);

}  // namespace headroom
