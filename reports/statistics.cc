#include "reports/statistics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <boost/math/distributions/students_t.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>

namespace headroom {
namespace {

// The two-sided critical value of Student's t with `degrees` of freedom.
double t_critical(double degrees, double confidence) {
  boost::math::students_t distribution(degrees);
  return boost::math::quantile(distribution, 0.5 + confidence / 2);
}

// The two-sided p-value of t with `degrees` of freedom.
double two_sided_p(double t, double degrees) {
  boost::math::students_t distribution(degrees);
  return 2 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)));
}

// The interval and p-value of `estimate` with its standard error and degrees of freedom.
Comparison t_comparison(double estimate, double standard_error, double degrees, double confidence) {
  Comparison comparison;
  comparison.interval.estimate = estimate;
  // Equal differences leave only rounding in the spread: no spread at all.
  if (!(standard_error > 1e-12 * std::max(1.0, std::fabs(estimate)))) {
    comparison.interval.low = comparison.interval.high = estimate;
    comparison.degenerate = true;
    return comparison;
  }
  const double half_width = t_critical(degrees, confidence) * standard_error;
  comparison.interval.low = estimate - half_width;
  comparison.interval.high = estimate + half_width;
  comparison.p_value = two_sided_p(estimate / standard_error, degrees);
  return comparison;
}

// Welch's standard error and Welch-Satterthwaite degrees of freedom.
std::pair<double, double> welch_error(const Summary& sa, const Summary& sb) {
  const double va = sa.standard_deviation * sa.standard_deviation / double(sa.count);
  const double vb = sb.standard_deviation * sb.standard_deviation / double(sb.count);
  const double standard_error = std::sqrt(va + vb);
  if (!(standard_error > 0)) return {0, 1};
  return {standard_error, (va + vb) * (va + vb) / (va * va / double(sa.count - 1) + vb * vb / double(sb.count - 1))};
}

}  // namespace

Summary summarize(const std::vector<double>& values) {
  Summary summary;
  summary.count = values.size();
  if (values.empty()) return summary;
  double sum = 0;
  for (double v : values) sum += v;
  summary.mean = sum / double(values.size());
  if (values.size() < 2) return summary;
  double squares = 0;
  for (double v : values) squares += (v - summary.mean) * (v - summary.mean);
  summary.standard_deviation = std::sqrt(squares / double(values.size() - 1));
  return summary;
}

std::optional<Interval> welch_difference_interval(const std::vector<double>& a, const std::vector<double>& b,
                                                  double confidence) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const Summary sa = summarize(a), sb = summarize(b);
  const auto [standard_error, degrees] = welch_error(sa, sb);
  return t_comparison(sa.mean - sb.mean, standard_error, degrees, confidence).interval;
}

std::optional<Comparison> compare_by_seed(const std::map<int64_t, double>& a, const std::map<int64_t, double>& b,
                                          double confidence) {
  std::vector<double> differences;
  for (const auto& [seed, value] : a) {
    auto other = b.find(seed);
    if (other != b.end()) differences.push_back(value - other->second);
  }
  if (differences.size() >= 2) {
    const Summary d = summarize(differences);
    Comparison comparison = t_comparison(d.mean, d.standard_deviation / std::sqrt(double(d.count)),
                                         double(d.count - 1), confidence);
    comparison.pairing = Pairing::paired;
    comparison.pairs = d.count;
    comparison.count_a = a.size();
    comparison.count_b = b.size();
    return comparison;
  }
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  std::vector<double> va, vb;
  for (const auto& [seed, value] : a) va.push_back(value);
  for (const auto& [seed, value] : b) vb.push_back(value);
  const Summary sa = summarize(va), sb = summarize(vb);
  const auto [standard_error, degrees] = welch_error(sa, sb);
  Comparison comparison = t_comparison(sa.mean - sb.mean, standard_error, degrees, confidence);
  comparison.pairing = Pairing::welch;
  comparison.count_a = va.size();
  comparison.count_b = vb.size();
  return comparison;
}

std::vector<bool> holm_rejections(const std::vector<double>& p_values, double alpha) {
  std::vector<size_t> order(p_values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<bool> rejected(p_values.size(), false);
  const size_t m = p_values.size();
  for (size_t rank = 0; rank < m; ++rank) {
    // The k-th smallest p-value is held to alpha / (m - k + 1); the first that fails stops the procedure.
    if (!(p_values[order[rank]] <= alpha / double(m - rank))) break;
    rejected[order[rank]] = true;
  }
  return rejected;
}

double PowerLawFit::predict(double x) const { return std::pow(10.0, log10_coefficient + exponent * std::log10(x)); }

std::optional<PowerLawFit> fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 3) return std::nullopt;
  std::set<double> distinct;
  std::vector<double> lx, ly;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0)) return std::nullopt;
    distinct.insert(x[i]);
    lx.push_back(std::log10(x[i]));
    ly.push_back(std::log10(y[i]));
  }
  if (distinct.size() < 2) return std::nullopt;
  const double n = double(lx.size());
  const double mx = summarize(lx).mean, my = summarize(ly).mean;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    sxx += (lx[i] - mx) * (lx[i] - mx);
    sxy += (lx[i] - mx) * (ly[i] - my);
    syy += (ly[i] - my) * (ly[i] - my);
  }
  PowerLawFit fit;
  fit.points = lx.size();
  fit.exponent = sxy / sxx;
  fit.log10_coefficient = my - fit.exponent * mx;
  double residual = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    const double e = ly[i] - (fit.log10_coefficient + fit.exponent * lx[i]);
    residual += e * e;
  }
  fit.r_squared = syy > 0 ? 1 - residual / syy : 1;
  const double slope_error = std::sqrt(residual / (n - 2) / sxx);
  const double half_width = slope_error > 0 ? t_critical(n - 2, 0.95) * slope_error : 0;
  fit.exponent_low = fit.exponent - half_width;
  fit.exponent_high = fit.exponent + half_width;
  fit.min_x = *distinct.begin();
  fit.max_x = *distinct.rbegin();
  return fit;
}

std::optional<double> power_law_crossover(const PowerLawFit& a, const PowerLawFit& b) {
  if (a.exponent == b.exponent) return std::nullopt;
  return std::pow(10.0, (b.log10_coefficient - a.log10_coefficient) / (a.exponent - b.exponent));
}

std::optional<Interval> power_law_crossover_interval(const std::vector<double>& xa, const std::vector<double>& ya,
                                                     const std::vector<double>& xb, const std::vector<double>& yb,
                                                     int resamples) {
  auto fa = fit_power_law(xa, ya), fb = fit_power_law(xb, yb);
  if (!fa || !fb || resamples < 1) return std::nullopt;
  auto estimate = power_law_crossover(*fa, *fb);
  if (!estimate) return std::nullopt;
  boost::random::mt19937_64 engine(20200213);  // fixed: the same data give the same interval
  auto resample = [&](const std::vector<double>& x, const std::vector<double>& y) {
    boost::random::uniform_int_distribution<size_t> pick(0, x.size() - 1);
    std::vector<double> rx, ry;
    for (size_t i = 0; i < x.size(); ++i) {
      const size_t j = pick(engine);
      rx.push_back(x[j]);
      ry.push_back(y[j]);
    }
    return fit_power_law(rx, ry);
  };
  std::vector<double> crossings;  // in log10, where percentiles are symmetric to the fit
  for (int i = 0; i < resamples; ++i) {
    auto ra = resample(xa, ya), rb = resample(xb, yb);
    if (!ra || !rb) continue;
    if (auto crossing = power_law_crossover(*ra, *rb); crossing && std::isfinite(std::log10(*crossing))) {
      crossings.push_back(std::log10(*crossing));
    }
  }
  if (double(crossings.size()) < 0.95 * resamples) return std::nullopt;
  std::sort(crossings.begin(), crossings.end());
  auto percentile = [&](double q) { return crossings[size_t(std::floor(q * double(crossings.size() - 1)))]; };
  return Interval{*estimate, std::pow(10.0, percentile(0.025)), std::pow(10.0, percentile(0.975))};
}

}  // namespace headroom
