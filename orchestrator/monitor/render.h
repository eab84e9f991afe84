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

// Header (state, counts, a progress bar, elapsed time and ETA), one line per
// running run (bar, step, loss, metric, tokens/s, device), then one per
// failed cell with its last error line.
std::vector<std::string> render_snapshot(const SweepSnapshot& snapshot, const RenderOptions& options);

// "[#####.....]" for a fraction in [0, 1].
std::string progress_bar(double fraction, size_t width);

}  // namespace headroom
