#include "orchestrator/search/tpe_univariate.h"

#include <algorithm>
#include <numeric>

#include <boost/random/uniform_01.hpp>

namespace headroom::tpe {
namespace {

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

}  // namespace

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

}  // namespace headroom::tpe
