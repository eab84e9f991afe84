#pragma once
// The statistics a report states: summaries over seeds, 95% intervals and
// p-values for the difference of two configurations (paired by seed, or
// Welch), Holm's correction over a report's claims, and log-log power-law
// fits with where they cross. Pure functions.

#include <cstddef>
#include <cstdint>
#include <map>
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

// How two configurations were compared.
enum class Pairing {
  paired,  // by seed: the per-seed differences (shared seeds share data order and evaluation set)
  welch,   // unpaired: Welch's interval (seeds do not pair)
};

// mean(a) - mean(b) with its 95% interval and the two-sided p-value of "no
// difference". A zero standard error (no spread, or identical differences)
// gives a zero-width interval that says nothing: `degenerate`.
struct Comparison {
  Interval interval;
  double p_value = 1;
  Pairing pairing = Pairing::welch;
  size_t pairs = 0;             // paired: the shared seeds used
  size_t count_a = 0, count_b = 0;  // welch: the replicates of each side
  bool degenerate = false;
};

// Compares two configurations' final values by seed: paired over the seeds
// both have when there are at least two; otherwise Welch over all values.
// Empty when neither test has the two values per side it needs.
std::optional<Comparison> compare_by_seed(const std::map<int64_t, double>& a, const std::map<int64_t, double>& b,
                                          double confidence = 0.95);

// Holm's step-down procedure at level `alpha` over a family of tests: which
// null hypotheses are rejected, in the order of `p_values`. Controls the
// family-wise error rate without assuming independence.
std::vector<bool> holm_rejections(const std::vector<double>& p_values, double alpha = 0.05);

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

// A 95% percentile-bootstrap interval of where the laws fitted to (xa, ya)
// and (xb, yb) cross: `resamples` resamplings of each side's points with
// replacement, from a fixed seed (the same data give the same interval).
// Empty when fewer than 95% of the resamples cross.
std::optional<Interval> power_law_crossover_interval(const std::vector<double>& xa, const std::vector<double>& ya,
                                                     const std::vector<double>& xb, const std::vector<double>& yb,
                                                     int resamples = 2000);

}  // namespace headroom
