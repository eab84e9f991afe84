#include "orchestrator/search/hyperband.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/number_format.h"

namespace headroom {

std::vector<int64_t> hyperband_bands(const EarlyTerminate& rule) {
  std::vector<int64_t> bands;
  if (rule.max_iter > 0) {
    double band = double(rule.max_iter);
    for (int64_t i = 0; i < rule.s; ++i) {
      band /= rule.eta;
      if (band < 1) break;
      bands.push_back(int64_t(band));
    }
    std::sort(bands.begin(), bands.end());
    return bands;
  }
  // W&B takes the first 100; past int64 they mean nothing.
  double band = double(rule.min_iter);
  for (int i = 0; i < 100 && band < 9e18; ++i, band *= rule.eta) bands.push_back(int64_t(band));
  return bands;
}

std::string HyperbandStop::reason() const {
  return "stopped early by hyperband: its metric at iteration " + std::to_string(band) + " was " + shortest(value) +
         ", outside the best of the runs that got there (threshold " + shortest(threshold) + ")";
}

std::vector<HyperbandStop> hyperband_stops(const EarlyTerminate& rule, bool maximize,
                                           const std::vector<HyperbandRun>& runs) {
  const auto bands = hyperband_bands(rule);
  // Lower is better from here on.
  const double sign = maximize ? -1.0 : 1.0;
  std::vector<double> thresholds;
  for (int64_t band : bands) {
    std::vector<double> values;
    for (const auto& run : runs) {
      if (int64_t(run.history.size()) > band) values.push_back(sign * run.history[size_t(band)]);
    }
    if (values.empty()) {
      thresholds.push_back(std::numeric_limits<double>::infinity());
      continue;
    }
    std::sort(values.begin(), values.end());
    thresholds.push_back(values[size_t(double(values.size()) / rule.eta)]);
  }
  std::vector<HyperbandStop> stops;
  for (const auto& run : runs) {
    if (!run.running) continue;
    int64_t closest = -1;
    double threshold = 0;
    for (size_t i = 0; i < bands.size() && bands[i] < int64_t(run.history.size()); ++i) {
      closest = bands[i];
      threshold = thresholds[i];
    }
    if (closest < 0) continue;  // no band reached yet
    const double value = sign * run.history[size_t(closest)];
    if (value > threshold) stops.push_back({run.id, closest, sign * value, sign * threshold});
  }
  return stops;
}

}  // namespace headroom
