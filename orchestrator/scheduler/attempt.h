#pragma once
// What every executor does around one attempt of a cell: preparing its run
// folder (config, the newest checkpoint of an earlier attempt) and deciding
// from how it ended what happens to the attempt and to its cell.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/core/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Worker exit statuses (trainer/train.h; docs/events.md).
constexpr int kWorkerInvalidConfig = 2;
constexpr int kWorkerDiverged = 3;

struct PreparedAttempt {
  RunRecord run;        // 'starting'
  bool resume = false;  // the folder holds an earlier attempt's checkpoint: pass --resume
};

// Records the cell's next attempt and prepares its run folder: emptied,
// `config` written as config.json, and the newest checkpoint an earlier
// attempt left copied in.
Result<PreparedAttempt> prepare_attempt(Store& store, const SweepRecord& sweep, const CellRecord& cell,
                                        const nlohmann::json& config);

// How an attempt ended as far as the worker says: its end event's status
// (ingested) and its exit code. "succeeded", "diverged", "invalid" or
// "failed" (a crash, retried while the sweep's retries allow).
std::string attempt_state(const std::string& end_status, std::optional<int64_t> exit_code);

// The cell's state after a failed attempt: pending while the sweep's
// retries allow another, else failed.
Result<std::string> cell_state_after_failure(Store& store, const RunRecord& run, int retries);

// The wait before the cell of `failed` (an attempt that just failed) runs
// again: base x 2^(failures - 1) counting every failed attempt of the cell,
// at most 5 minutes.
Result<std::chrono::milliseconds> retry_delay(Store& store, const RunRecord& failed, std::chrono::milliseconds base);

// Pending cells in the order they start: higher `priority` first, then the
// costliest (estimated FLOPs) first, which keeps the makespan near its bound.
void sort_for_start(std::vector<CellRecord>& cells);

// The last `count` non-empty lines of a text file ("" when unreadable).
std::string last_lines(const std::string& path, size_t count);

}  // namespace headroom
