#include "orchestrator/search/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include "orchestrator/grid/sampling.h"

namespace headroom {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinBandwidth = 1e-12;        // bandwidth floor without the magic clip (Optuna's EPS)
constexpr double kLogSqrtTwoPi = 0.91893853320467274178;  // log(sqrt(2 pi))
constexpr double kSqrtHalf = 0.70710678118654752440;

// SplitMix64's finaliser: decorrelates nearby seeds and indices.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: a parameter's name as a number, the same on every platform.
uint64_t name_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// The seed of proposal `index`'s random stream; `salt` separates streams.
uint64_t stream_seed(uint64_t seed, uint64_t index, uint64_t salt) {
  return mix(mix(mix(seed) ^ index) ^ salt);
}

// Rounds to a multiple of q (W&B's quantisation, as random search does).
double round_to(double value, double q) { return std::round(value / q) * q; }

// A rounded value as JSON: whole numbers are integers when q is whole.
nlohmann::json quantized_json(double rounded, double q) {
  if (std::floor(q) == q && std::floor(rounded) == rounded && std::fabs(rounded) < 9e15) return int64_t(rounded);
  return rounded;
}

// P(za <= Z <= zb) for a standard normal Z, accurate in both tails.
double normal_mass(double za, double zb) {
  if (!(za < zb)) return 0;
  double mass;
  if (za >= 0) mass = 0.5 * (std::erfc(za * kSqrtHalf) - std::erfc(zb * kSqrtHalf));      // upper tail
  else if (zb <= 0) mass = 0.5 * (std::erfc(-zb * kSqrtHalf) - std::erfc(-za * kSqrtHalf));  // lower tail
  else mass = 1 - 0.5 * std::erfc(-za * kSqrtHalf) - 0.5 * std::erfc(zb * kSqrtHalf);
  return std::max(0.0, mass);
}

// log P(za <= Z <= zb); where that underflows, the density at the point
// nearest the centre times the effective width (finite, and monotone in the
// distance, which is all the comparison of l and g needs).
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

// Mixture weights: the observations' recency weights and the prior's, summing to 1.
std::vector<double> mixture_weights(size_t m, const TpeSettings& settings, double prior_weight) {
  std::vector<double> w = recency_weights(m, settings.flat_weights);
  w.push_back(prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

// A numeric parameter's axis: TPE works on `internal` values (the value, or
// its log), in [lo, hi]; `q` > 0 rounds values to multiples of q.
struct Axis {
  bool log = false;
  double lo = 0, hi = 0;
  double prior_mu = 0, prior_sigma = 0;
  double q = 0;
  double value_lo = 0, value_hi = 0;  // the domain's ends as values
  double grid_lo = 0, grid_hi = 0;    // the smallest and largest rounded values (q > 0)

  double to_internal(double v) const { return log ? (v > 0 ? std::log(v) : -kInf) : v; }
  double from_internal(double y) const { return log ? std::exp(y) : y; }
};

// The axis of a numeric W&B distribution; nullopt when it is not one or its
// domain is empty (such a parameter is drawn as random search draws it).
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

// A draw of N(mu, sigma) truncated to the axis's domain. The centre lies in
// the domain and sigma is at most its width (or the prior's own), so at
// least a third of the mass lies inside: rejection ends quickly.
double truncated_normal_draw(double mu, double sigma, const Axis& axis,
                             boost::random::mt19937_64& engine) {
  boost::random::normal_distribution<double> standard(0.0, 1.0);
  for (int attempt = 0; attempt < 256; ++attempt) {
    const double y = mu + sigma * standard(engine);
    if (y >= axis.lo && y <= axis.hi) return y;
  }
  return std::clamp(mu, axis.lo, axis.hi);
}

// A Parzen estimator over a numeric axis: truncated Gaussian kernels, the
// prior's last.
class NumericEstimator {
 public:
  NumericEstimator(const Axis& axis, const std::vector<double>& points, const TpeSettings& settings,
                   double prior_weight)
      : axis_(axis) {
    const size_t m = points.size();
    const double span = axis.hi - axis.lo;
    weights_ = mixture_weights(m, settings, prior_weight);
    mu_ = points;
    mu_.push_back(axis.prior_mu);
    sigma_.assign(m + 1, span);
    if (m > 0) {
      // Bandwidth: the larger gap to a neighbour, the domain's ends included.
      std::vector<size_t> order(m + 1);
      std::iota(order.begin(), order.end(), size_t(0));
      std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return std::pair(mu_[x], x) < std::pair(mu_[y], y); });
      const double min_sigma = settings.consider_magic_clip ? span / std::min(100.0, double(m) + 2) : kMinBandwidth;
      for (size_t j = 0; j <= m; ++j) {
        const double here = mu_[order[j]];
        const double left = j == 0 ? axis.lo : mu_[order[j - 1]];
        const double right = j == m ? axis.hi : mu_[order[j + 1]];
        double s = std::max(here - left, right - here);
        if (!settings.consider_endpoints) {
          if (j == 0) s = right - here;
          else if (j == m) s = here - left;
        }
        sigma_[order[j]] = std::clamp(s, min_sigma, span);
      }
    }
    sigma_[m] = axis.prior_sigma;
    const size_t n = m + 1;
    inv_sigma_.resize(n);
    log_weight_over_mass_.resize(n);
    log_density_offset_.resize(n);
    weight_over_mass_.resize(n);
    density_scale_.resize(n);
    cumulative_.resize(n);
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      inv_sigma_[i] = 1 / sigma_[i];
      // A kernel's centre lies in the domain and its bandwidth is at most
      // the domain's width, so at least a third of its mass lies inside.
      const double in_domain = log_normal_mass((axis.lo - mu_[i]) * inv_sigma_[i], (axis.hi - mu_[i]) * inv_sigma_[i]);
      log_weight_over_mass_[i] = std::log(weights_[i]) - in_domain;
      log_density_offset_[i] = log_weight_over_mass_[i] - std::log(sigma_[i]) - kLogSqrtTwoPi;
      weight_over_mass_[i] = std::exp(log_weight_over_mass_[i]);
      density_scale_[i] = std::exp(log_density_offset_[i]);
      total += weights_[i];
      cumulative_[i] = total;
    }
    terms_.resize(n);
  }

  // An internal value drawn from the mixture.
  double sample(boost::random::mt19937_64& engine) const {
    const double u = boost::random::uniform_01<double>()(engine) * cumulative_.back();
    size_t k = size_t(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    k = std::min(k, mu_.size() - 1);
    return truncated_normal_draw(mu_[k], sigma_[k], axis_, engine);
  }

  // log density at an internal value. Summed directly, kernels too far away
  // to count skipped; in log space only where that sum underflows.
  double log_density(double y) const {
    double sum = 0;
    for (size_t i = 0; i < mu_.size(); ++i) {
      const double z = (y - mu_[i]) * inv_sigma_[i];
      if (z * z < kFarSquared) sum += density_scale_[i] * std::exp(-0.5 * z * z);
    }
    if (sum > kTiny) return std::log(sum);
    for (size_t i = 0; i < mu_.size(); ++i) {
      const double z = (y - mu_[i]) * inv_sigma_[i];
      terms_[i] = log_density_offset_[i] - 0.5 * z * z;
    }
    return log_sum_exp(terms_);
  }

  // log probability of the internal interval [a, b] (a rounded value's), likewise.
  double log_mass(double a, double b) const {
    double sum = 0;
    for (size_t i = 0; i < mu_.size(); ++i) {
      const double za = (a - mu_[i]) * inv_sigma_[i], zb = (b - mu_[i]) * inv_sigma_[i];
      if (za < kFar && zb > -kFar) sum += weight_over_mass_[i] * normal_mass(za, zb);
    }
    if (sum > kTiny) return std::log(sum);
    for (size_t i = 0; i < mu_.size(); ++i) {
      terms_[i] = log_weight_over_mass_[i] + log_normal_mass((a - mu_[i]) * inv_sigma_[i], (b - mu_[i]) * inv_sigma_[i]);
    }
    return log_sum_exp(terms_);
  }

 private:
  Axis axis_;
  // Beyond kFar standard deviations a normal's mass and density vanish in
  // double precision; sums below kTiny are redone in log space.
  static constexpr double kFar = 38.5, kFarSquared = 1500, kTiny = 1e-250;
  std::vector<double> weights_, mu_, sigma_, inv_sigma_, log_weight_over_mass_, log_density_offset_;
  std::vector<double> weight_over_mass_, density_scale_, cumulative_;
  mutable std::vector<double> terms_;  // scratch (an estimator lives within one const propose call)
};

// Optuna's categorical estimator, collapsed to one distribution over the choices.
std::vector<double> categorical_probabilities(const std::vector<int>& choices, const std::vector<double>& base,
                                              const TpeSettings& settings, double prior_weight) {
  const size_t m = choices.size();
  if (m == 0) return base;
  const std::vector<double> w = mixture_weights(m, settings, prior_weight);
  const double c = double(base.size());
  const double smoothing = prior_weight / double(m + 1) * c;  // per kernel, spread by `base`
  double observed_weight = 0;
  std::vector<double> counts(base.size(), 0.0);
  for (size_t i = 0; i < m; ++i) {
    counts[size_t(choices[i])] += w[i];
    observed_weight += w[i];
  }
  std::vector<double> p(base.size());
  for (size_t j = 0; j < base.size(); ++j) {
    p[j] = (smoothing * base[j] * observed_weight + counts[j]) / (smoothing + 1) + w[m] * base[j];
  }
  return p;
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

// A parameter as TPE models it.
struct Model {
  enum class Kind { constant, random, categorical, numeric };
  const ParameterSpec* parameter = nullptr;
  Kind kind = Kind::random;  // random: drawn as random search draws it (TPE cannot model it)
  Axis axis;                 // numeric
  std::vector<double> base;  // categorical: the prior over the values (W&B's probabilities)
};

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

// One trial's observation of one parameter.
struct Observation {
  double x = 0;     // internal value (numeric)
  int choice = -1;  // index into the values (categorical)
  double score = 0; // smaller is better
  bool running = false;
};

// A trial TPE counts: finished with a value, or running (the constant liar).
struct Counted {
  const nlohmann::json* parameters = nullptr;
  double score = 0;  // the goal's value, smaller is better; +inf while running
  bool running = false;
};

// A counted trial's value of a modelled parameter (x or choice; score and
// running left to the caller); nullopt when the trial lacks it, it is not a
// listed value or not a finite number. Numbers outside the domain (a changed
// sweep) are clamped to it.
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

// Splits rows (in trial order; each with a score and a running flag) into
// the indices of below and above, each in trial order.
template <class Row>
std::pair<std::vector<size_t>, std::vector<size_t>> split(const std::vector<Row>& rows,
                                                          const TpeSettings& settings) {
  std::vector<size_t> finished;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].running) finished.push_back(i);
  }
  const size_t n = finished.size();
  const double gamma = std::ceil(settings.gamma_fraction * double(n));
  const size_t n_below = size_t(std::clamp(std::min(gamma, double(std::max(settings.gamma_cap, 0))), 0.0, double(n)));
  std::stable_sort(finished.begin(), finished.end(),
                   [&](size_t a, size_t b) { return rows[a].score < rows[b].score; });
  std::vector<bool> below(rows.size(), false);
  for (size_t i = 0; i < n_below; ++i) below[finished[i]] = true;
  std::pair<std::vector<size_t>, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i) (below[i] ? groups.first : groups.second).push_back(i);
  return groups;
}

// Where a drawn value is evaluated: the internal value itself (continuous),
// the internal interval that rounds to the proposed value (quantised), or
// a choice (categorical).
struct Coordinate {
  double y = 0;
  double a = 0, b = 0;
  bool interval = false;  // a < b: the quantised value's mass, not a density
  int choice = -1;
};

// A value drawn on the internal axis, as proposed (bounds kept, rounded
// when quantised) and as evaluated.
struct Settled {
  nlohmann::json value;
  Coordinate at;
  double rounded = 0;  // q > 0: the proposed number
};

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

// The univariate proposal of a categorical parameter from its below and above choices.
nlohmann::json choose_categorical(const Model& model, const std::vector<int>& below,
                                  const std::vector<int>& above, const TpeSettings& settings,
                                  double prior_weight, int candidates,
                                  boost::random::mt19937_64& engine) {
  const auto l = categorical_probabilities(below, model.base, settings, prior_weight);
  const auto g = categorical_probabilities(above, model.base, settings, prior_weight);
  size_t best = 0;
  double best_score = -kInf;
  for (int c = 0; c < candidates; ++c) {
    const size_t j = draw_index(l, engine);
    double score = std::log(l[j]) - std::log(g[j]);
    if (std::isnan(score)) score = -kInf;
    if (c == 0 || score > best_score) best = j, best_score = score;
  }
  return model.parameter->values[best].value;
}

// The univariate proposal of a numeric parameter from its below and above internal values.
nlohmann::json choose_numeric(const Model& model, const std::vector<double>& below,
                              const std::vector<double>& above, const TpeSettings& settings,
                              double prior_weight, int candidates,
                              boost::random::mt19937_64& engine) {
  const NumericEstimator l(model.axis, below, settings, prior_weight);
  const NumericEstimator g(model.axis, above, settings, prior_weight);
  nlohmann::json best;
  double best_score = -kInf;
  std::vector<std::pair<double, double>> scored;  // rounded value -> score, for repeated candidates
  for (int c = 0; c < candidates; ++c) {
    Settled s = settle(model.axis, l.sample(engine));
    double score;
    const auto seen = std::find_if(scored.begin(), scored.end(),
                                   [&](const auto& x) { return x.first == s.rounded; });
    if (model.axis.q > 0 && seen != scored.end()) {
      score = seen->second;
    } else {
      score = s.at.interval ? l.log_mass(s.at.a, s.at.b) - g.log_mass(s.at.a, s.at.b)
                            : l.log_density(s.at.y) - g.log_density(s.at.y);
      if (model.axis.q > 0) scored.emplace_back(s.rounded, score);
    }
    if (std::isnan(score)) score = -kInf;
    if (c == 0 || score > best_score) best = std::move(s.value), best_score = score;
  }
  return best;
}

// One parameter proposed on its own (step 2 of the header): its observations
// are the counted trials that have it.
nlohmann::json propose_univariate(const Model& model, const std::vector<Counted>& counted,
                                  const TpeSettings& settings, double prior_weight, int candidates,
                                  boost::random::mt19937_64& engine) {
  std::vector<Observation> observations;
  observations.reserve(counted.size());
  for (const Counted& t : counted) {
    std::optional<Observation> o = observe(model, *t.parameters);
    if (!o) continue;
    o->score = t.score, o->running = t.running;
    observations.push_back(*o);
  }
  const auto [below, above] = split(observations, settings);
  if (model.kind == Model::Kind::categorical) {
    auto choices_of = [&](const std::vector<size_t>& group) {
      std::vector<int> c;
      for (size_t i : group) c.push_back(observations[i].choice);
      return c;
    };
    return choose_categorical(model, choices_of(below), choices_of(above), settings, prior_weight,
                              candidates, engine);
  }
  auto points_of = [&](const std::vector<size_t>& group) {
    std::vector<double> x;
    x.reserve(group.size());
    for (size_t i : group) x.push_back(observations[i].x);
    return x;
  };
  return choose_numeric(model, points_of(below), points_of(above), settings, prior_weight,
                        candidates, engine);
}

// A multivariate Parzen estimator (step 5 of the header): one component
// per observation plus the prior's, each a product over the dimensions of
// the univariate kernels (a numeric dimension's bandwidth by the Scott-like
// rule); densities in log space, summed over components by log-sum-exp.
class JointEstimator {
 public:
  // `rows`: each observation's values, one per dimension, in trial order.
  JointEstimator(const std::vector<const Model*>& dimensions,
                 const std::vector<const std::vector<Observation>*>& rows,
                 const TpeSettings& settings, double prior_weight) {
    const size_t m = rows.size();
    const std::vector<double> weights = mixture_weights(m, settings, prior_weight);
    double total = 0;
    for (double w : weights) {
      log_weights_.push_back(std::log(w));
      cumulative_.push_back(total += w);
    }
    for (size_t j = 0; j < dimensions.size(); ++j) {
      dimensions_.push_back(
          dimensions[j]->kind == Model::Kind::numeric
              ? numeric_dimension(*dimensions[j], rows, j, dimensions.size(), settings)
              : categorical_dimension(*dimensions[j], rows, j, prior_weight));
    }
    terms_.resize(m + 1);
    interval_cache_.resize(dimensions_.size());
  }

  // A point drawn from the mixture: a component by weight, then every
  // dimension from that component's kernel (x: internal values; choice).
  std::vector<Observation> sample(boost::random::mt19937_64& engine) const {
    const double u = boost::random::uniform_01<double>()(engine) * cumulative_.back();
    size_t k =
        size_t(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    k = std::min(k, cumulative_.size() - 1);
    std::vector<Observation> point(dimensions_.size());
    for (size_t j = 0; j < dimensions_.size(); ++j) {
      const Dimension& d = dimensions_[j];
      if (d.model->kind == Model::Kind::numeric) {
        point[j].x = truncated_normal_draw(d.mu[k], d.sigma[k], d.model->axis, engine);
      } else {
        std::vector<double> p = d.model->base;
        if (d.choice[k] >= 0) {
          for (size_t c = 0; c < p.size(); ++c) p[c] = int(c) == d.choice[k] ? d.hit[c] : d.miss[c];
        }
        point[j].choice = int(draw_index(p, engine));
      }
    }
    return point;
  }

  // log density (a quantised dimension: log mass) at a point.
  double log_density(const std::vector<Coordinate>& point) const {
    terms_ = log_weights_;
    for (size_t j = 0; j < dimensions_.size(); ++j) {
      const Dimension& d = dimensions_[j];
      const Coordinate& at = point[j];
      if (at.interval) {
        const std::vector<double>& masses = interval_terms(j, at);
        for (size_t k = 0; k < terms_.size(); ++k) terms_[k] += masses[k];
      } else {
        for (size_t k = 0; k < terms_.size(); ++k) terms_[k] += d.log_kernel(k, at);
      }
    }
    return log_sum_exp(terms_);
  }

 private:
  // One dimension's kernels, per component (the prior's last).
  struct Dimension {
    const Model* model = nullptr;
    // Numeric: centre, bandwidth, -log of the mass inside the domain, and
    // that minus log(sigma sqrt(2 pi)) (the log density's constant).
    std::vector<double> mu, sigma, inv_sigma, log_norm, log_density_offset;
    // Categorical: the component's choice (-1: the prior, which is `base`),
    // and an observation kernel's probability of a value that is (hit) or
    // is not (miss) its own choice.
    std::vector<int> choice;
    std::vector<double> hit, miss, log_hit, log_miss, log_base;

    // log of component k's kernel at `at` (a quantised value: its mass).
    double log_kernel(size_t k, const Coordinate& at) const {
      if (model->kind == Model::Kind::categorical) {
        const size_t c = size_t(at.choice);
        return choice[k] < 0 ? log_base[c] : (choice[k] == at.choice ? log_hit[c] : log_miss[c]);
      }
      if (at.interval) {
        return log_norm[k] +
               log_normal_mass((at.a - mu[k]) * inv_sigma[k], (at.b - mu[k]) * inv_sigma[k]);
      }
      const double z = (at.y - mu[k]) * inv_sigma[k];
      return log_density_offset[k] - 0.5 * z * z;
    }
  };

  // Scott's-rule-like bandwidth for every observation, 0.2 n^(-1/(d+4)) of
  // the domain's width (n observations, d dimensions; Falkner et al. 2018,
  // as Optuna's multivariate TPE), then the magic clip.
  static Dimension numeric_dimension(const Model& model,
                                     const std::vector<const std::vector<Observation>*>& rows,
                                     size_t j, size_t d, const TpeSettings& settings) {
    const Axis& axis = model.axis;
    const size_t m = rows.size();
    const double span = axis.hi - axis.lo;
    const double min_sigma =
        settings.consider_magic_clip ? span / std::min(100.0, double(m) + 2) : kMinBandwidth;
    const double scott =
        0.2 * std::pow(double(std::max<size_t>(m, 1)), -1.0 / (double(d) + 4)) * span;
    Dimension dim;
    dim.model = &model;
    for (const auto* row : rows) dim.mu.push_back((*row)[j].x);
    dim.sigma.assign(m, std::clamp(scott, min_sigma, span));
    dim.mu.push_back(axis.prior_mu);
    dim.sigma.push_back(axis.prior_sigma);
    for (size_t k = 0; k <= m; ++k) {
      dim.inv_sigma.push_back(1 / dim.sigma[k]);
      const double below_domain = (axis.lo - dim.mu[k]) / dim.sigma[k],
                   above_domain = (axis.hi - dim.mu[k]) / dim.sigma[k];
      dim.log_norm.push_back(-log_normal_mass(below_domain, above_domain));
      dim.log_density_offset.push_back(dim.log_norm[k] - std::log(dim.sigma[k]) - kLogSqrtTwoPi);
    }
    return dim;
  }

  // The univariate categorical kernels (header, step 3), kept per component.
  static Dimension categorical_dimension(const Model& model,
                                         const std::vector<const std::vector<Observation>*>& rows,
                                         size_t j, double prior_weight) {
    const size_t m = rows.size();
    const std::vector<double>& base = model.base;
    const double smoothing = prior_weight / double(m + 1) * double(base.size());
    Dimension dim;
    dim.model = &model;
    for (const auto* row : rows) dim.choice.push_back((*row)[j].choice);
    dim.choice.push_back(-1);
    for (double b : base) {
      dim.hit.push_back((1 + smoothing * b) / (1 + smoothing));
      dim.miss.push_back(smoothing * b / (1 + smoothing));
      dim.log_hit.push_back(std::log(dim.hit.back()));
      dim.log_miss.push_back(std::log(dim.miss.back()));
      dim.log_base.push_back(std::log(b));
    }
    return dim;
  }

  // A quantised dimension's log kernel masses over an interval, per
  // component: computed once per rounded value, as candidates often repeat
  // one (each costs two erfc per component: most of a proposal's time).
  const std::vector<double>& interval_terms(size_t j, const Coordinate& at) const {
    auto& seen = interval_cache_[j];
    for (const auto& [interval, masses] : seen) {
      if (interval == std::pair(at.a, at.b)) return masses;
    }
    std::vector<double> masses(terms_.size());
    for (size_t k = 0; k < masses.size(); ++k) masses[k] = dimensions_[j].log_kernel(k, at);
    return seen.emplace_back(std::pair(at.a, at.b), std::move(masses)).second;
  }

  std::vector<Dimension> dimensions_;
  std::vector<double> log_weights_, cumulative_;
  // Scratch and caches (an estimator lives within one const propose call).
  mutable std::vector<double> terms_;
  mutable std::vector<std::vector<std::pair<std::pair<double, double>, std::vector<double>>>>
      interval_cache_;
};

// The parameters proposed jointly - the modelled ones every counted trial
// has - each with its observations, one per counted trial in trial order.
std::vector<std::pair<size_t, std::vector<Observation>>> joint_columns(
    const std::vector<Model>& models, const std::vector<Counted>& counted) {
  std::vector<std::pair<size_t, std::vector<Observation>>> columns;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!modelled(models[i])) continue;
    std::vector<Observation> column;
    column.reserve(counted.size());
    for (const Counted& t : counted) {
      const std::optional<Observation> o = observe(models[i], *t.parameters);
      if (!o) break;
      column.push_back(*o);
    }
    if (column.size() == counted.size()) columns.emplace_back(i, std::move(column));
  }
  return columns;
}

// The joint proposal of the parameters of `columns` (indices into `models`,
// with their observations): name -> value.
std::vector<std::pair<std::string, nlohmann::json>> propose_joint(
    const std::vector<Model>& models,
    const std::vector<std::pair<size_t, std::vector<Observation>>>& columns,
    const std::vector<Counted>& counted, const TpeSettings& settings, double prior_weight,
    int candidates, boost::random::mt19937_64& engine) {
  struct Row {
    std::vector<Observation> values;  // one per joint parameter
    double score = 0;
    bool running = false;
  };
  std::vector<const Model*> dimensions;
  for (const auto& [i, column] : columns) dimensions.push_back(&models[i]);
  std::vector<Row> rows;
  rows.reserve(counted.size());
  for (size_t t = 0; t < counted.size(); ++t) {
    Row row{{}, counted[t].score, counted[t].running};
    for (const auto& [i, column] : columns) row.values.push_back(column[t]);
    rows.push_back(std::move(row));
  }
  const auto [below, above] = split(rows, settings);
  auto group = [&](const std::vector<size_t>& indices) {
    std::vector<const std::vector<Observation>*> g;
    for (size_t i : indices) g.push_back(&rows[i].values);
    return g;
  };
  const JointEstimator l(dimensions, group(below), settings, prior_weight);
  const JointEstimator g(dimensions, group(above), settings, prior_weight);

  std::vector<nlohmann::json> best;
  double best_score = -kInf;
  for (int c = 0; c < candidates; ++c) {
    const std::vector<Observation> drawn = l.sample(engine);
    std::vector<nlohmann::json> values;
    std::vector<Coordinate> at;
    for (size_t j = 0; j < dimensions.size(); ++j) {
      if (dimensions[j]->kind == Model::Kind::categorical) {
        values.push_back(dimensions[j]->parameter->values[size_t(drawn[j].choice)].value);
        at.push_back(Coordinate{0, 0, 0, false, drawn[j].choice});
      } else {
        Settled s = settle(dimensions[j]->axis, drawn[j].x);
        values.push_back(std::move(s.value));
        at.push_back(s.at);
      }
    }
    double score = l.log_density(at) - g.log_density(at);
    if (std::isnan(score)) score = -kInf;
    if (c == 0 || score > best_score) best = std::move(values), best_score = score;
  }
  std::vector<std::pair<std::string, nlohmann::json>> proposal;
  for (size_t j = 0; j < dimensions.size(); ++j) {
    proposal.emplace_back(dimensions[j]->parameter->name, std::move(best[j]));
  }
  return proposal;
}

}  // namespace

TpeSampler::TpeSampler(std::vector<ParameterSpec> space, bool minimize, TpeSettings settings, uint64_t seed)
    : space_(std::move(space)), minimize_(minimize), settings_(settings), seed_(seed) {}

nlohmann::json TpeSampler::propose(const std::vector<Trial>& history, uint64_t index) const {
  nlohmann::json proposal = nlohmann::json::object();
  Sampler random(stream_seed(seed_, index, 0x52414e444f4dULL));  // startup and fallback draws

  int64_t finished = 0;
  std::vector<Counted> counted;
  const double sign = minimize_ ? 1.0 : -1.0;
  for (const Trial& t : history) {
    const bool valued = !t.running && t.value.has_value() && !std::isnan(*t.value);
    finished += valued;
    if (valued || (t.running && settings_.constant_liar)) {
      counted.push_back({&t.parameters, t.running ? kInf : sign * *t.value, t.running});
    }
  }
  if (finished < settings_.startup_trials) {
    for (const ParameterSpec& p : space_) proposal[p.name] = random.draw(p);
    return proposal;
  }
  const double prior_weight =
      std::isfinite(settings_.prior_weight) && settings_.prior_weight > 0 ? settings_.prior_weight : 1e-12;
  const int candidates = std::max(settings_.ei_candidates, 1);

  std::vector<Model> models;
  models.reserve(space_.size());
  for (const ParameterSpec& p : space_) models.push_back(model_of(p, settings_));
  std::vector<bool> done(models.size(), false);
  if (settings_.multivariate) {
    const auto columns = joint_columns(models, counted);
    if (!columns.empty()) {
      boost::random::mt19937_64 engine(stream_seed(seed_, index, 0x4a4f494e54ULL));  // "JOINT"
      auto joint =
          propose_joint(models, columns, counted, settings_, prior_weight, candidates, engine);
      for (auto& [name, value] : joint) proposal[name] = std::move(value);
      for (const auto& column : columns) done[column.first] = true;
    }
  }
  for (size_t i = 0; i < models.size(); ++i) {
    const Model& model = models[i];
    const ParameterSpec& p = *model.parameter;
    if (done[i]) continue;
    if (model.kind == Model::Kind::constant) {
      proposal[p.name] = p.values.front().value;
    } else if (model.kind == Model::Kind::random) {
      proposal[p.name] = random.draw(p);
    } else {
      boost::random::mt19937_64 engine(stream_seed(seed_, index, name_hash(p.name)));
      proposal[p.name] =
          propose_univariate(model, counted, settings_, prior_weight, candidates, engine);
    }
  }
  return proposal;
}

}  // namespace headroom
