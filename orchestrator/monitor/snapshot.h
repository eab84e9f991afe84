#pragma once
// Where a sweep stands right now, read from the database alone (read-only):
// cells by state, each running run's progress and latest metrics, failures
// with their last error line, and an ETA. Shared by `status` and `watch`.

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct RunningRun {
  int64_t run = 0;
  std::string cell;              // hash prefix
  nlohmann::json parameters;     // swept values
  int64_t step = 0, steps = 0;   // latest logged step, steps configured
  std::optional<double> loss, accuracy, tokens_per_second;  // accuracy: the sweep's metric
  std::string device, host;
  double seconds = 0;            // since the attempt started
};

struct FailedCellSummary {
  int64_t run = 0;
  std::string cell;
  nlohmann::json parameters;
  RunState state = RunState::failed;  // of its last attempt: failed, diverged, invalid, timeout
  std::string error;                  // its last error line
};

struct SweepSnapshot {
  SweepRecord sweep;
  int64_t total = 0;
  std::vector<std::pair<CellState, int64_t>> cells_by_state;  // every state, in all_cell_states() order
  int64_t count(CellState state) const;
  std::vector<RunningRun> running;
  std::vector<FailedCellSummary> failed;
  // The orchestrator that marked the sweep running is alive on this host
  // (unknown for other hosts: treated as alive).
  bool orchestrator_alive = false;
  // Remaining work (estimated FLOPs) over the throughput of finished runs, at
  // the current concurrency; absent until one run has finished, and when the
  // work left is none or unknown (a program's cells have no FLOP estimate).
  std::optional<double> eta_seconds;
  double elapsed_seconds = 0;    // since the sweep's first attempt started
};

// The metric `status` shows for running runs when the sweep names none.
inline constexpr const char* kDefaultProgressMetric = "eval/accuracy";

Result<SweepSnapshot> take_snapshot(Store& store, const SweepRecord& sweep);

// The snapshot as `headroom status --json` prints it and `headroom serve`'s
// /api/sweeps answers: cells by state, totals, ETA, running runs, failures.
nlohmann::json snapshot_json(const SweepSnapshot& snapshot);

}  // namespace headroom
