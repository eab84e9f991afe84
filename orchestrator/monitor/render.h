#pragma once
// Text for a sweep snapshot: the lines `status` prints once and `watch`
// repaints. Plain ASCII; colour (ANSI) only when asked.

#include <string>
#include <vector>

#include "common/number_format.h"
#include "orchestrator/monitor/snapshot.h"

namespace headroom {

struct RenderOptions {
  bool color = false;
  size_t width = 0;        // truncate lines to this many columns; 0 = no limit
  size_t bar_width = 20;   // characters inside a progress bar
};

// Header (state, counts, a bar of succeeded and failed cells, elapsed time
// and ETA), a table of running runs under a header row (bar, step, loss,
// metric, tokens/s, device, time, parameters), then one line per failed cell
// with its last error line.
std::vector<std::string> render_snapshot(const SweepSnapshot& snapshot, const RenderOptions& options);

// A sweep's cells: "[###--xx.....]", # for those that succeeded, - for
// those stopped early, x for those that failed, . for the rest (running,
// pending, cancelled).
std::string cells_bar(int64_t succeeded, int64_t stopped_early, int64_t failed, int64_t total, size_t width);

// "[#####.....]" for a fraction in [0, 1].
std::string progress_bar(double fraction, size_t width);

}  // namespace headroom
