#pragma once
// Parameter importance as the dashboard shows it: each parameter's main
// effect on a metric, the share of the metric's variance that the metric's
// mean per value of that parameter explains. That is the correlation ratio
// eta^2 of a one-way analysis of variance, computed per parameter:
//
//   importance(p) = sum over values v of p: n_v (mean_v - mean)^2
//                   / sum over runs i: (y_i - mean)^2
//
// 0: the parameter's values do not move the metric's mean; 1: they explain
// all of its variance. Each parameter is taken alone (no interactions), so
// shares need not add up to 1 and a correlated pair shares the credit. With
// few runs per value it is biased upwards (a seed's share is what noise
// alone earns). A numeric parameter with more than kMaxLevels distinct values
// (random search) is grouped into kMaxLevels bins of nearly equal counts by
// rank, or every run would be its own group and explain everything.
// Pure: no I/O.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace headroom {

inline constexpr size_t kMaxLevels = 10;

// One finished run: its parameter values (a JSON object; a missing name is a
// value of its own) and its metric.
struct ImportanceSample {
  nlohmann::json parameters;
  double metric = 0;
};

// The runs that share one value (or one bin) of a parameter.
struct ParameterLevel {
  std::string label;  // the value as text ("8", "fixed", "(none)"), or "LOW..HIGH" for a bin
  double mean = 0;    // of the metric over these runs
  int64_t runs = 0;
};

struct ParameterImportance {
  std::string parameter;
  // Absent when the metric does not vary (or fewer than two runs): nothing to explain.
  std::optional<double> importance;
  std::vector<ParameterLevel> levels;  // in the parameter's order (numbers ascending, then text)
  bool binned = false;                 // levels are bins of a parameter with many values
};

// The importance of each of `parameters` for the samples' metric, most
// important first (absent importances last, then by name). Non-finite
// metrics must be left out by the caller.
std::vector<ParameterImportance> main_effects(const std::vector<ImportanceSample>& samples,
                                              const std::vector<std::string>& parameters);

}  // namespace headroom
