#pragma once
// W&B's hyperband early termination (`early_terminate: {type: hyperband}`),
// as a pure rule over the runs' metric histories: which running runs to
// stop. What W&B's sweeps library does (hyperband_stopping.py), read there
// and written here:
//
// - Iterations are positions in a run's history of the sweep's metric (the
//   n-th value it logged, counting from 0), not its steps.
// - Brackets ("bands"): with min_iter, min_iter * eta^k for k = 0, 1, ...;
//   with max_iter and s, max_iter / eta^k for k = 1..s (whole numbers, those
//   of at least 1), ascending.
// - At each band b, the threshold is the value at position b of every run
//   (running or ended) whose history reaches past b, sorted best first, taken
//   at index floor(n / eta): a run must be within the best 1/eta to go on.
// - A running run is judged at the last band its history has passed: it is
//   stopped when its value there is worse than that band's threshold.
// W&B's `strict` is accepted but, as in W&B, changes nothing.
//
// Pure: no I/O. The scheduler feeds it histories from the store.

#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

// The bands of an early_terminate block; empty when none is at least 1.
std::vector<int64_t> hyperband_bands(const EarlyTerminate& rule);

struct HyperbandRun {
  int64_t id = 0;
  bool running = false;
  std::vector<double> history;  // the metric's values in the order logged (non-finite values left out)
};

struct HyperbandStop {
  int64_t id = 0;
  int64_t band = 0;          // the band it was judged at
  double value = 0;          // its value there
  double threshold = 0;      // the band's threshold
  std::string reason() const;  // a sentence for the run's record
};

// The running runs to stop now. `maximize`: the metric's goal (higher is better).
std::vector<HyperbandStop> hyperband_stops(const EarlyTerminate& rule, bool maximize,
                                           const std::vector<HyperbandRun>& runs);

}  // namespace headroom
