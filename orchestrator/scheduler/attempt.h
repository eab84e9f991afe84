#pragma once
// What both schedulers do around one attempt of a cell: preparing its run
// folder, the environment its worker starts with, and at its end gathering
// what the run records (end status, errors, stderr) into the facts
// lifecycle.h decides on, and recording the decision.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/scheduler/lifecycle.h"
#include "orchestrator/scheduler/worker_command.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct PreparedAttempt {
  RunRecord run;        // starting
  bool resume = false;  // the folder holds an earlier attempt's checkpoint: the worker resumes
  WorkerLaunch launch;  // how to start its worker (worker_command.h)
};

// Records the cell's next attempt and prepares its run folder: emptied, the
// newest checkpoint an earlier attempt left copied in, and the files its
// worker reads (config.json, ...) written; for a program's cell, Headroom's
// Python modules written under RUNS_ROOT/SWEEP/.headroom/ too.
// `setup.support_folder` is filled in here.
Result<PreparedAttempt> prepare_attempt(Store& store, const SweepRecord& sweep, const CellRecord& cell,
                                        AttemptSetup setup);

// The variables that size a worker's thread pools: LibTorch's (OpenMP) and
// the BLAS libraries' own, which ignore LibTorch's setting (docs/performance.md).
const std::vector<std::string>& thread_count_variables();

// The environment a local worker starts with: each thread-count variable set
// to `threads`, and CUDA_VISIBLE_DEVICES (empty: no GPU at all).
std::map<std::string, std::string> worker_environment(int threads, const std::string& cuda_visible_devices);

// Ingests the attempt's last events (its worker has ended, so an unfinished
// last line is read as it stands: ingest.h), adds what its run records to `facts`
// (end status, errors, the tail of stderr) and records what lifecycle.h
// decides about it and its cell; returns the decision.
Result<Decision> end_attempt(Store& store, int64_t run_id, AttemptFacts facts, const LifecyclePolicy& policy);

// Cells waiting out the back-off before their retry. Not thread-safe.
class RetryBackoffs {
 public:
  using Clock = std::chrono::steady_clock;
  void wait(int64_t cell_id, std::chrono::milliseconds delay) { until_[cell_id] = Clock::now() + delay; }
  bool waiting(int64_t cell_id) const;
  bool any_waiting() const;

 private:
  std::map<int64_t, Clock::time_point> until_;
};

// Pending cells in the order they start: higher `priority` first, then the
// costliest (estimated FLOPs) first, which keeps the makespan near its bound.
void sort_for_start(std::vector<CellRecord>& cells);

// The last `count` non-empty lines of a text file ("" when unreadable).
std::string last_lines(const std::string& path, size_t count);

}  // namespace headroom
