#pragma once
// Which failed cells run again when a sweep is run or resumed:
//   - those the sweep's `retries` now allow (raised with --extend since they
//     failed: lifecycle.h, retries_now_allow), always;
//   - those the user names with --retry-failed (every failed cell when none
//     are named, whatever it failed of), whose failed attempts then stop
//     counting against `retries`: each gets a fresh set.
// Their earlier attempts stay, as history; a retried cell's new attempt gets
// the next attempt number and its own run folder.

#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/scheduler/lifecycle.h"
#include "orchestrator/store/store.h"

namespace headroom {

// What `--retry-failed [CELL,...]` asked for.
struct RetryFailed {
  bool asked = false;
  std::vector<std::string> cells;  // hash prefixes (the `cell` column); empty = every failed cell
};

struct Reopening {
  std::vector<int64_t> allowed_by_retries;  // reopened as they are
  std::vector<int64_t> asked_for;           // reopened with their failures set aside
  bool empty() const { return allowed_by_retries.empty() && asked_for.empty(); }
};

// Decides, reading only. A named cell that is not in the sweep, is ambiguous
// or has not failed is an invalid-input error naming it.
Result<Reopening> failed_cells_to_reopen(Store& store, const SweepRecord& sweep, const LifecyclePolicy& policy,
                                         const RetryFailed& retry);

// Applies a decision: the cells become pending.
Status reopen(Store& store, const SweepRecord& sweep, const Reopening& reopening);

}  // namespace headroom
