#pragma once
// The statistics a report states: summaries over seeds, a 95% interval for
// the difference of two means, and a log-log power-law fit. Pure functions.

#include <cstddef>
#include <optional>
#include <vector>

namespace headroom {

// Mean and sample standard deviation (n - 1) of replicate values; the
// deviation is 0 for fewer than two values.
struct Summary {
  double mean = 0;
  double standard_deviation = 0;
  size_t count = 0;
};
Summary summarize(const std::vector<double>& values);

// A two-sided interval around an estimate.
struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// Welch's interval for mean(a) - mean(b) at `confidence`, with the
// Welch-Satterthwaite degrees of freedom: replicates of two configurations
// are independent and their spreads may differ. Empty when either side has
// fewer than two values (no spread to estimate). When both spreads are 0 the
// interval is the estimate itself.
std::optional<Interval> welch_difference_interval(const std::vector<double>& a, const std::vector<double>& b,
                                                  double confidence = 0.95);

// y = coefficient * x^exponent fitted by least squares on log10 x and
// log10 y (every point, replicates included).
struct PowerLawFit {
  double exponent = 0;
  double exponent_low = 0, exponent_high = 0;  // 95% interval of the slope
  double log10_coefficient = 0;
  double r_squared = 0;
  size_t points = 0;
  double min_x = 0, max_x = 0;
  double predict(double x) const;
};
// Empty unless there are at least 3 points, all positive, over at least 2
// distinct x values. With exactly 2 distinct x the slope interval is
// still defined when points > 2.
std::optional<PowerLawFit> fit_power_law(const std::vector<double>& x, const std::vector<double>& y);

// Where two fitted laws cross (same y), if their exponents differ.
std::optional<double> power_law_crossover(const PowerLawFit& a, const PowerLawFit& b);

}  // namespace headroom
