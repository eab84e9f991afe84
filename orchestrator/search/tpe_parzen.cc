#include "orchestrator/search/tpe_parzen.h"

#include <algorithm>
#include <numeric>
#include <string>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

namespace headroom::tpe {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;

// Optuna's default_weights: 1 for the `flat` most recent of m observations
// (in trial order), a linear ramp from 1/m towards 1 for the older ones.
std::vector<double> recency_weights(size_t m, int flat) {
  std::vector<double> w(m, 1.0);
  if (flat <= 0 || m <= size_t(flat)) return w;
  const size_t ramp = m - size_t(flat);
  const double start = 1.0 / double(m);
  for (size_t i = 0; i < ramp; ++i) {
    w[i] = ramp == 1 ? start : start + (1.0 - start) * double(i) / double(ramp - 1);
  }
  return w;
}

std::vector<double> categorical_base(const ParameterSpec& p) {
  const Distribution& d = p.distribution;
  std::vector<double> base(p.values.size(), 1.0 / double(p.values.size()));
  if (d.probabilities.size() == p.values.size()) {
    const double total = std::accumulate(d.probabilities.begin(), d.probabilities.end(), 0.0);
    if (total > 0 && std::all_of(d.probabilities.begin(), d.probabilities.end(),
                                 [](double x) { return x >= 0 && std::isfinite(x); })) {
      for (size_t j = 0; j < base.size(); ++j) base[j] = d.probabilities[j] / total;
    }
  }
  return base;
}

}  // namespace

double round_to(double value, double q) { return std::round(value / q) * q; }

nlohmann::json quantized_json(double rounded, double q) {
  if (std::floor(q) == q && std::floor(rounded) == rounded && std::fabs(rounded) < 9e15) return int64_t(rounded);
  return rounded;
}

double normal_mass(double za, double zb) {
  if (!(za < zb)) return 0;
  double mass;
  if (za >= 0) mass = 0.5 * (std::erfc(za * kSqrtHalf) - std::erfc(zb * kSqrtHalf));      // upper tail
  else if (zb <= 0) mass = 0.5 * (std::erfc(-zb * kSqrtHalf) - std::erfc(-za * kSqrtHalf));  // lower tail
  else mass = 1 - 0.5 * std::erfc(-za * kSqrtHalf) - 0.5 * std::erfc(zb * kSqrtHalf);
  return std::max(0.0, mass);
}

double log_normal_mass(double za, double zb) {
  const double mass = normal_mass(za, zb);
  if (mass > 1e-280) return std::log(mass);
  const double nearest = std::clamp(0.0, za, zb);
  const double width = std::max(zb - za, 1e-300);
  const double tail_width = std::fabs(nearest) > 0 ? std::min(width, 1 / std::fabs(nearest)) : width;
  return -0.5 * nearest * nearest - kLogSqrtTwoPi + std::log(tail_width);
}

double log_sum_exp(const std::vector<double>& terms) {
  double top = -kInf;
  for (double t : terms) top = std::max(top, t);
  if (!(top > -kInf)) return -kInf;
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

std::vector<double> mixture_weights(size_t m, const TpeSettings& settings, double prior_weight) {
  std::vector<double> w = recency_weights(m, settings.flat_weights);
  w.push_back(prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

std::optional<Axis> numeric_axis(const Distribution& d, const TpeSettings& settings) {
  Axis a;
  const std::string& k = d.kind;
  bool exact_values = false;  // *_values kinds: the value bounds are d.min and d.max themselves
  if (k == "int_uniform") {
    a.lo = std::ceil(d.min) - 0.5;
    a.hi = std::floor(d.max) + 0.5;
    a.q = 1;
  } else if (k == "uniform" || k == "q_uniform") {
    a.lo = d.min, a.hi = d.max;
  } else if (k == "log_uniform" || k == "q_log_uniform") {
    a.log = true, a.lo = d.min, a.hi = d.max;
  } else if (k == "log_uniform_values" || k == "q_log_uniform_values" || k == "inv_log_uniform_values") {
    if (!(d.min > 0) || !(d.max > 0)) return std::nullopt;
    a.log = true, a.lo = std::log(d.min), a.hi = std::log(d.max), exact_values = true;
  } else if (k == "inv_log_uniform") {
    a.log = true, a.lo = -d.max, a.hi = -d.min;
  } else if (k == "normal" || k == "q_normal" || k == "log_normal" || k == "q_log_normal") {
    a.log = k == "log_normal" || k == "q_log_normal";
    const double sigma = std::fabs(d.sigma);
    a.lo = d.mu - settings.normal_truncation * sigma;
    a.hi = d.mu + settings.normal_truncation * sigma;
    a.prior_mu = d.mu, a.prior_sigma = sigma;
  } else if (k == "beta" || k == "q_beta") {
    a.lo = 0, a.hi = 1;
  } else {
    return std::nullopt;
  }
  if (k.rfind("q_", 0) == 0) a.q = d.q;
  if (!std::isfinite(a.lo) || !std::isfinite(a.hi) || !(a.lo < a.hi) || !(a.q >= 0) || !std::isfinite(a.q)) {
    return std::nullopt;
  }
  if (a.prior_sigma <= 0) a.prior_mu = 0.5 * (a.lo + a.hi), a.prior_sigma = a.hi - a.lo;
  a.value_lo = exact_values ? d.min : a.from_internal(a.lo);
  a.value_hi = exact_values ? d.max : a.from_internal(a.hi);
  if (k == "int_uniform") {
    a.grid_lo = std::ceil(d.min), a.grid_hi = std::floor(d.max);
  } else if (a.q > 0) {
    a.grid_lo = round_to(a.value_lo, a.q), a.grid_hi = round_to(a.value_hi, a.q);
  }
  if (!std::isfinite(a.value_lo) || !std::isfinite(a.value_hi)) return std::nullopt;
  return a;
}

double truncated_normal_draw(double mu, double sigma, const Axis& axis,
                             boost::random::mt19937_64& engine) {
  boost::random::normal_distribution<double> standard(0.0, 1.0);
  for (int attempt = 0; attempt < 256; ++attempt) {
    const double y = mu + sigma * standard(engine);
    if (y >= axis.lo && y <= axis.hi) return y;
  }
  return std::clamp(mu, axis.lo, axis.hi);
}

size_t draw_index(const std::vector<double>& p, boost::random::mt19937_64& engine) {
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  double u = boost::random::uniform_01<double>()(engine) * total;
  for (size_t j = 0; j < p.size(); ++j) {
    if (p[j] <= 0) continue;
    if (u < p[j]) return j;
    u -= p[j];
  }
  for (size_t j = p.size(); j-- > 0;) {
    if (p[j] > 0) return j;
  }
  return 0;
}

Model model_of(const ParameterSpec& p, const TpeSettings& settings) {
  Model model;
  model.parameter = &p;
  const Distribution& d = p.distribution;
  if (d.kind == "constant" && !p.values.empty()) {
    model.kind = Model::Kind::constant;
  } else if (d.kind == "categorical") {
    if (!p.values.empty()) model.kind = Model::Kind::categorical, model.base = categorical_base(p);
  } else if (const std::optional<Axis> axis = numeric_axis(d, settings)) {
    model.kind = Model::Kind::numeric, model.axis = *axis;
  }
  return model;
}

bool modelled(const Model& model) {
  return model.kind == Model::Kind::categorical || model.kind == Model::Kind::numeric;
}

std::optional<Observation> observe(const Model& model, const nlohmann::json& parameters) {
  if (!parameters.is_object()) return std::nullopt;
  const auto found = parameters.find(model.parameter->name);
  if (found == parameters.end()) return std::nullopt;
  Observation o;
  if (model.kind == Model::Kind::categorical) {
    const auto& values = model.parameter->values;
    for (size_t j = 0; j < values.size(); ++j) {
      if (values[j].value == *found) {
        o.choice = int(j);
        return o;
      }
    }
    return std::nullopt;
  }
  if (!found->is_number()) return std::nullopt;
  const double v = found->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  const double y = model.axis.to_internal(v);
  if (std::isnan(y)) return std::nullopt;
  o.x = std::clamp(y, model.axis.lo, model.axis.hi);
  return o;
}

Settled settle(const Axis& axis, double y) {
  Settled s;
  const double v = std::clamp(axis.from_internal(y), axis.value_lo, axis.value_hi);
  if (!(axis.q > 0)) {
    s.value = v;
    s.at.y = y;
    return s;
  }
  s.rounded = std::clamp(round_to(v, axis.q), axis.grid_lo, axis.grid_hi);
  s.value = quantized_json(s.rounded, axis.q);
  // The internal interval of values that round to `rounded`.
  s.at.a = axis.to_internal(std::max(s.rounded - axis.q / 2, axis.value_lo));
  s.at.b = axis.to_internal(std::min(s.rounded + axis.q / 2, axis.value_hi));
  s.at.interval = s.at.a < s.at.b;
  if (!s.at.interval) s.at.y = std::clamp(axis.to_internal(s.rounded), axis.lo, axis.hi);
  return s;
}

}  // namespace headroom::tpe
