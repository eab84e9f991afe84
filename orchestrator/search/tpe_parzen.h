#pragma once
// The building blocks of TPE's Parzen estimators (search/tpe.h says the
// algorithm): how a W&B distribution becomes an axis TPE can model, the
// trials' observations of a parameter, the split into "below" and "above",
// the mixture weights, and the normal-mass arithmetic both samplers use.
// Internal to TpeSampler (tpe.cc) and its two samplers (tpe_univariate.h,
// tpe_multivariate.h); not an interface for other parts.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/search/tpe.h"
#include "orchestrator/spec/sweep_spec.h"

namespace headroom::tpe {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kMinBandwidth = 1e-12;        // bandwidth floor without the magic clip (Optuna's EPS)
inline constexpr double kLogSqrtTwoPi = 0.91893853320467274178;  // log(sqrt(2 pi))

// Rounds to a multiple of q (W&B's quantisation, as random search does).
double round_to(double value, double q);

// A rounded value as JSON: whole numbers are integers when q is whole.
nlohmann::json quantized_json(double rounded, double q);

// P(za <= Z <= zb) for a standard normal Z, accurate in both tails.
double normal_mass(double za, double zb);

// log P(za <= Z <= zb); where that underflows, the density at the point
// nearest the centre times the effective width (finite, and monotone in the
// distance, which is all the comparison of l and g needs).
double log_normal_mass(double za, double zb);

// log(sum(exp(terms))), without overflow; -inf for no terms.
double log_sum_exp(const std::vector<double>& terms);

// Mixture weights: m observations' recency weights (Optuna's
// default_weights: 1 for the `flat_weights` most recent, in trial order, a
// linear ramp from 1/m towards 1 for the older ones) and the prior's,
// summing to 1.
std::vector<double> mixture_weights(size_t m, const TpeSettings& settings, double prior_weight);

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
std::optional<Axis> numeric_axis(const Distribution& d, const TpeSettings& settings);

// A draw of N(mu, sigma) truncated to the axis's domain. The centre lies in
// the domain and sigma is at most its width (or the prior's own), so at
// least a third of the mass lies inside: rejection ends quickly.
double truncated_normal_draw(double mu, double sigma, const Axis& axis, boost::random::mt19937_64& engine);

// An index drawn with probability proportional to p (weights >= 0, not all 0).
size_t draw_index(const std::vector<double>& p, boost::random::mt19937_64& engine);

// A parameter as TPE models it.
struct Model {
  enum class Kind { constant, random, categorical, numeric };
  const ParameterSpec* parameter = nullptr;
  Kind kind = Kind::random;  // random: drawn as random search draws it (TPE cannot model it)
  Axis axis;                 // numeric
  std::vector<double> base;  // categorical: the prior over the values (W&B's probabilities)
};

// How TPE models a parameter: a constant, a categorical over its values (with
// W&B's probabilities as the prior), a number on its axis, or, when it is none
// of these TPE can model, drawn as random search draws it.
Model model_of(const ParameterSpec& p, const TpeSettings& settings);

// Whether TPE models it (categorical or numeric), rather than copying a
// constant or drawing it as random search would.
bool modelled(const Model& model);

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
std::optional<Observation> observe(const Model& model, const nlohmann::json& parameters);

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

// A value drawn on the internal axis, settled: clamped to the domain,
// rounded when quantised, with where it is evaluated.
Settled settle(const Axis& axis, double y);

}  // namespace headroom::tpe
