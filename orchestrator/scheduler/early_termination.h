#pragma once
// A sweep's `early_terminate` rule applied to its running attempts: both
// schedulers ask which of their workers to stop, stop them, and report each
// as stopped early (lifecycle.h). The rule itself is search/hyperband.h; this
// file reads the histories it judges from the store.

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct EarlyTermination {
  EarlyTerminate rule;
  std::string metric;     // the sweep's metric: its logged values are the iterations
  bool maximize = true;   // its goal
};

// The rule of a sweep that declares one (early_terminate, or its search's
// inside each grid cell, and a metric; the spec refuses a rule without one).
std::optional<EarlyTermination> early_termination_of(const SweepSpec& spec);

struct EarlyStop {
  int64_t run_id = 0;
  std::string reason;  // the band, the run's value there, the threshold
};

// The sweep's running attempts the rule stops now, judged against every
// attempt of the sweep that logged the metric (running or ended, as W&B's);
// with a search inside each grid cell, against that cell's trials only.
Result<std::vector<EarlyStop>> early_stops(Store& store, int64_t sweep_id, const EarlyTermination& termination);

// A stop is recorded in the attempt's run folder (protocol::kEarlyStopFile,
// written before the worker is signalled), so that an
// orchestrator killed between its decision and the attempt's end still ends
// it as stopped early when it (or a restarted one) sees the worker gone:
// end_attempt reads it back. Each attempt has a folder of its own, so the
// record never reaches another attempt.
Status record_early_stop(const std::string& run_dir, const std::string& reason);
// The reason recorded in `run_dir`; empty when none was.
std::string recorded_early_stop(const std::string& run_dir);

}  // namespace headroom
