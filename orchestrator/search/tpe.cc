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
    // The kernel's centre lies in the domain, so at least a third of its
    // mass does: rejection ends quickly.
    boost::random::normal_distribution<double> standard(0.0, 1.0);
    for (int attempt = 0; attempt < 256; ++attempt) {
      const double y = mu_[k] + sigma_[k] * standard(engine);
      if (y >= axis_.lo && y <= axis_.hi) return y;
    }
    return std::clamp(mu_[k], axis_.lo, axis_.hi);
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

// One trial's observation of one parameter.
struct Observation {
  double x = 0;     // internal value (numeric)
  int choice = -1;  // index into the values (categorical)
  double score = 0; // smaller is better
  bool running = false;
};

// Splits observations (in trial order) into below and above, each in trial order.
std::pair<std::vector<const Observation*>, std::vector<const Observation*>> split(
    const std::vector<Observation>& observations, const TpeSettings& settings) {
  std::vector<size_t> finished;
  for (size_t i = 0; i < observations.size(); ++i) {
    if (!observations[i].running) finished.push_back(i);
  }
  const size_t n = finished.size();
  const double gamma = std::ceil(settings.gamma_fraction * double(n));
  const size_t n_below = size_t(std::clamp(std::min(gamma, double(std::max(settings.gamma_cap, 0))), 0.0, double(n)));
  std::stable_sort(finished.begin(), finished.end(),
                   [&](size_t a, size_t b) { return observations[a].score < observations[b].score; });
  std::vector<bool> below(observations.size(), false);
  for (size_t i = 0; i < n_below; ++i) below[finished[i]] = true;
  std::pair<std::vector<const Observation*>, std::vector<const Observation*>> groups;
  for (size_t i = 0; i < observations.size(); ++i) (below[i] ? groups.first : groups.second).push_back(&observations[i]);
  return groups;
}

}  // namespace

TpeSampler::TpeSampler(std::vector<ParameterSpec> space, bool minimize, TpeSettings settings, uint64_t seed)
    : space_(std::move(space)), minimize_(minimize), settings_(settings), seed_(seed) {}

nlohmann::json TpeSampler::propose(const std::vector<Trial>& history, uint64_t index) const {
  nlohmann::json proposal = nlohmann::json::object();
  Sampler random(stream_seed(seed_, index, 0x52414e444f4dULL));  // startup and fallback draws

  auto usable = [&](const Trial& t) {
    if (t.running) return settings_.constant_liar;
    return t.value.has_value() && !std::isnan(*t.value);
  };
  int64_t finished = 0;
  for (const Trial& t : history) finished += !t.running && t.value.has_value() && !std::isnan(*t.value);
  if (finished < settings_.startup_trials) {
    for (const ParameterSpec& p : space_) proposal[p.name] = random.draw(p);
    return proposal;
  }
  const double prior_weight =
      std::isfinite(settings_.prior_weight) && settings_.prior_weight > 0 ? settings_.prior_weight : 1e-12;
  const int candidates = std::max(settings_.ei_candidates, 1);
  const double sign = minimize_ ? 1.0 : -1.0;

  for (const ParameterSpec& p : space_) {
    const Distribution& d = p.distribution;
    if (d.kind == "constant" && !p.values.empty()) {
      proposal[p.name] = p.values.front().value;
      continue;
    }
    boost::random::mt19937_64 engine(stream_seed(seed_, index, name_hash(p.name)));
    const bool categorical = d.kind == "categorical";
    const std::optional<Axis> axis = categorical ? std::nullopt : numeric_axis(d, settings_);
    if (categorical ? p.values.empty() : !axis) {
      proposal[p.name] = random.draw(p);
      continue;
    }

    // This parameter's observations, in trial order.
    std::vector<Observation> observations;
    observations.reserve(history.size());
    for (const Trial& t : history) {
      if (!usable(t) || !t.parameters.is_object()) continue;
      const auto found = t.parameters.find(p.name);
      if (found == t.parameters.end()) continue;
      Observation o;
      o.running = t.running;
      o.score = t.running ? kInf : sign * *t.value;
      if (categorical) {
        for (size_t j = 0; j < p.values.size(); ++j) {
          if (p.values[j].value == *found) {
            o.choice = int(j);
            break;
          }
        }
        if (o.choice < 0) continue;
      } else {
        if (!found->is_number()) continue;
        const double v = found->get<double>();
        if (!std::isfinite(v)) continue;
        const double y = axis->to_internal(v);
        if (std::isnan(y)) continue;
        o.x = std::clamp(y, axis->lo, axis->hi);
      }
      observations.push_back(o);
    }
    const auto [below, above] = split(observations, settings_);

    if (categorical) {
      std::vector<double> base(p.values.size(), 1.0 / double(p.values.size()));
      if (d.probabilities.size() == p.values.size()) {
        const double total = std::accumulate(d.probabilities.begin(), d.probabilities.end(), 0.0);
        if (total > 0 && std::all_of(d.probabilities.begin(), d.probabilities.end(),
                                     [](double x) { return x >= 0 && std::isfinite(x); })) {
          for (size_t j = 0; j < base.size(); ++j) base[j] = d.probabilities[j] / total;
        }
      }
      auto choices_of = [](const std::vector<const Observation*>& group) {
        std::vector<int> c;
        for (const Observation* o : group) c.push_back(o->choice);
        return c;
      };
      const auto l = categorical_probabilities(choices_of(below), base, settings_, prior_weight);
      const auto g = categorical_probabilities(choices_of(above), base, settings_, prior_weight);
      size_t best = 0;
      double best_score = -kInf;
      for (int c = 0; c < candidates; ++c) {
        const size_t j = draw_index(l, engine);
        double score = std::log(l[j]) - std::log(g[j]);
        if (std::isnan(score)) score = -kInf;
        if (c == 0 || score > best_score) best = j, best_score = score;
      }
      proposal[p.name] = p.values[best].value;
      continue;
    }

    auto points_of = [](const std::vector<const Observation*>& group) {
      std::vector<double> x;
      x.reserve(group.size());
      for (const Observation* o : group) x.push_back(o->x);
      return x;
    };
    const NumericEstimator l(*axis, points_of(below), settings_, prior_weight);
    const NumericEstimator g(*axis, points_of(above), settings_, prior_weight);
    nlohmann::json best;
    double best_score = -kInf;
    std::vector<std::pair<double, double>> scored;  // rounded value -> score, for repeated candidates
    for (int c = 0; c < candidates; ++c) {
      const double y = l.sample(engine);
      const double v = std::clamp(axis->from_internal(y), axis->value_lo, axis->value_hi);
      double score;
      nlohmann::json value;
      if (axis->q > 0) {
        const double rounded = std::clamp(round_to(v, axis->q), axis->grid_lo, axis->grid_hi);
        const auto seen = std::find_if(scored.begin(), scored.end(), [&](const auto& s) { return s.first == rounded; });
        if (seen != scored.end()) {
          score = seen->second;
        } else {
          // The internal interval of values that round to `rounded`.
          const double a = axis->to_internal(std::max(rounded - axis->q / 2, axis->value_lo));
          const double b = axis->to_internal(std::min(rounded + axis->q / 2, axis->value_hi));
          if (a < b) {
            score = l.log_mass(a, b) - g.log_mass(a, b);
          } else {
            const double at = std::clamp(axis->to_internal(rounded), axis->lo, axis->hi);
            score = l.log_density(at) - g.log_density(at);
          }
          scored.emplace_back(rounded, score);
        }
        value = quantized_json(rounded, axis->q);
      } else {
        score = l.log_density(y) - g.log_density(y);
        value = v;
      }
      if (std::isnan(score)) score = -kInf;
      if (c == 0 || score > best_score) best = std::move(value), best_score = score;
    }
    proposal[p.name] = std::move(best);
  }
  return proposal;
}

}  // namespace headroom
