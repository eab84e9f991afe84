#include "orchestrator/search/tpe_multivariate.h"

#include <algorithm>
#include <cmath>

#include <boost/random/uniform_01.hpp>

namespace headroom::tpe {
namespace {

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

}  // namespace

// The parameters proposed jointly - the modelled ones every counted trial
// has - each with its observations, one per counted trial in trial order.
std::vector<JointColumn> joint_columns(
    const std::vector<Model>& models, const std::vector<Counted>& counted) {
  std::vector<JointColumn> columns;
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
    const std::vector<JointColumn>& columns,
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

}  // namespace headroom::tpe
