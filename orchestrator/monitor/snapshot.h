#pragma once
// Where a sweep stands right now, read from the database alone (read-only):
// cells by state, each running run's progress and latest metrics, failures
// with their last error line, and an ETA. Shared by `status` and `watch`.

#include <optional>
#include <string>
#include <vector>

#include "orchestrator/core/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct RunningRun {
  int64_t run = 0;
  std::string cell;              // hash prefix
  nlohmann::json parameters;     // swept values
  int64_t step = 0, steps = 0;   // latest logged step, steps configured
  std::optional<double> loss, accuracy, tokens_per_second;
  std::string device, host;
  double seconds = 0;            // since the attempt started
};

struct FailedCell {
  int64_t run = 0;
  std::string cell;
  nlohmann::json parameters;
  std::string state;             // of its last attempt: failed, diverged, invalid, timeout
  std::string error;             // its last error line
};

struct SweepSnapshot {
  SweepRecord sweep;
  int64_t total = 0;
  std::vector<std::pair<std::string, int64_t>> cells_by_state;  // pending, running, succeeded, failed, cancelled
  int64_t count(const std::string& state) const;
  std::vector<RunningRun> running;
  std::vector<FailedCell> failed;
  // The orchestrator that marked the sweep running is alive on this host
  // (unknown for other hosts: treated as alive).
  bool orchestrator_alive = false;
  // Remaining work (estimated FLOPs) over the throughput of finished runs, at
  // the current concurrency; absent until one run has finished.
  std::optional<double> eta_seconds;
  double elapsed_seconds = 0;    // since the sweep's first attempt started
};

Result<SweepSnapshot> take_snapshot(Store& store, const SweepRecord& sweep);

}  // namespace headroom
