#include "reports/statistics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <boost/math/distributions/students_t.hpp>

namespace headroom {
namespace {

// The two-sided critical value of Student's t with `degrees` of freedom.
double t_critical(double degrees, double confidence) {
  boost::math::students_t distribution(degrees);
  return boost::math::quantile(distribution, 0.5 + confidence / 2);
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
  const double va = sa.standard_deviation * sa.standard_deviation / double(sa.count);
  const double vb = sb.standard_deviation * sb.standard_deviation / double(sb.count);
  Interval interval;
  interval.estimate = sa.mean - sb.mean;
  const double standard_error = std::sqrt(va + vb);
  if (standard_error == 0) {
    interval.low = interval.high = interval.estimate;
    return interval;
  }
  const double degrees =
      (va + vb) * (va + vb) / (va * va / double(sa.count - 1) + vb * vb / double(sb.count - 1));
  const double half_width = t_critical(degrees, confidence) * standard_error;
  interval.low = interval.estimate - half_width;
  interval.high = interval.estimate + half_width;
  return interval;
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

}  // namespace headroom
