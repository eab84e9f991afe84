#pragma once
// Adaptive search (`method: bayes`): a Tree-structured Parzen Estimator
// sampler, as Optuna's TPESampler does it: multivariate by default
// (TPESampler(multivariate=True)), or independent, univariate TPE (Optuna's
// default) with `multivariate` false. Written from the published algorithm,
// not from Optuna's code:
//   - J. Bergstra, R. Bardenet, Y. Bengio, B. Kegl, "Algorithms for
//     Hyper-Parameter Optimization", NeurIPS 2011 (TPE, l(x)/g(x), the prior).
//   - J. Bergstra, D. Yamins, D. Cox, "Making a Science of Model Search",
//     ICML 2013 (the neighbour-gap bandwidth and the "magic clip").
//   - S. Falkner, A. Klein, F. Hutter, "BOHB: Robust and Efficient
//     Hyperparameter Optimization at Scale", ICML 2018 (the multivariate
//     kernel density and its Scott's-rule bandwidth).
//   - S. Watanabe, "Tree-Structured Parzen Estimator: Understanding Its
//     Algorithm Components and Their Roles for Better Empirical Performance",
//     arXiv:2304.11127 (2023): the components as Optuna implements them,
//     multivariate kernels among them.
//   - Optuna's reference for optuna.samplers.TPESampler
//     (https://optuna.readthedocs.io/en/stable/reference/samplers/generated/optuna.samplers.TPESampler.html).
//
// Files: tpe.cc (TpeSampler: step 1 and the choice between samplers),
// tpe_parzen.h (axes, observations, the split, the kernels' arithmetic),
// tpe_univariate.h (steps 2-4), tpe_multivariate.h (step 5).
//
// Contract. TpeSampler::propose(history, index) returns the index-th proposal
// (a JSON object: parameter name -> value, one entry per parameter of the
// space) given every trial so far. It is a pure function of (seed, index,
// history): its random stream is derived from the seed and the index alone,
// so a resumed search makes the same proposal again without storing any
// generator state. Values are always ones W&B's random search could draw for
// the parameter (bounds and quantisation kept, integers as JSON integers,
// categorical values returned exactly as listed), except that TPE's proposals
// of normal kinds are truncated (see below; startup draws are random search's).
//
// Algorithm, per proposal:
//  1. Trials: failed ones (no value, not running) and NaN values are ignored.
//     With fewer than `startup_trials` finished trials, every parameter is a
//     random draw (Sampler, orchestrator/grid/sampling.h, seeded from
//     (seed, index)), exactly as random search draws it.
//  2. Univariate (`multivariate` false, and for the parameters step 5 leaves
//     out): each parameter is proposed on its own (Optuna's default
//     multivariate=False). Its observations are the finished trials that have
//     a valid value for it (a trial lacking it - a conditional parameter - is
//     left out of its split), plus the running ones when constant_liar.
//     The n finished observations are ranked by the goal (ties: the older
//     first) and the best gamma(n) = min(ceil(0.1 n), 25) form "below"
//     (Optuna's default_gamma); the others, and every running trial (the
//     constant liar: a running trial counts as the worst value seen), form
//     "above".
//  3. Each group becomes a Parzen estimator: one kernel per observation plus a
//     prior kernel. Kernel weights, in trial order, are Optuna's
//     default_weights (all 1 below 25 observations; else the 25 most recent
//     weigh 1 and the older ones ramp linearly from 1/m up), and the prior
//     weighs `prior_weight`; the mixture is normalised.
//     - Numbers (TPE works on an internal axis: the value itself for uniform,
//       normal and beta kinds, its natural log for every log kind): a
//       Gaussian truncated to the parameter's domain at each observation.
//       Bandwidth: the larger gap to its neighbours among the sorted
//       observations, the prior's centre and the domain's ends (Bergstra et
//       al. 2011); with consider_endpoints false the outermost kernels use
//       the gap to their inner neighbour only; then clipped to
//       [span / min(100, m + 2), span] ("magic clip", span = domain width,
//       m observations) or [1e-12, span] without it. The prior kernel sits
//       at the domain's centre with bandwidth span.
//     - Quantised and integer kinds: the same kernels; a value's probability
//       is the kernels' mass over the part of the domain that rounds to it.
//     - Categorical (Optuna's categorical estimator): each observation's
//       kernel puts weight 1 on its own choice plus prior_weight / (m + 1) on
//       every choice (C * prior_weight / (m + 1) spread by the W&B
//       `probabilities` when given; C choices), renormalised; the prior
//       kernel is that spread alone (uniform, or the probabilities).
//  4. `ei_candidates` values are drawn from l (the "below" estimator) and the
//     one maximising log l(x) - log g(x) (the expected-improvement criterion
//     of TPE) is proposed; the first wins ties.
//  5. Multivariate (`multivariate`; BOHB's kernel density, Optuna's
//     multivariate=True): the "joint" parameters - those every counted trial
//     (finished with a value, or running under constant_liar) has a valid
//     value for - are proposed together; the others (conditional parameters
//     some counted trial lacks) by steps 2-4, as Optuna's multivariate TPE
//     falls back to independent sampling for them. The counted trials are
//     split as in step 2. l and g are each a mixture of one component per
//     observation plus the prior component, weighted as in step 3; a
//     component is the product over the joint parameters of step 3's
//     kernels (truncated Gaussian, its mass over a rounding interval for
//     quantised kinds, categorical), except that every observation's numeric
//     kernel has bandwidth 0.2 n^(-1/(d+4)) * span (Scott's rule as BOHB
//     uses it; n observations in the group, at least 1; d joint parameters),
//     then the magic clip as in step 3 (consider_endpoints plays no part).
//     `ei_candidates` points are drawn from l - a component by weight, then
//     every parameter from that component's kernel - and the one maximising
//     log l(x) - log g(x), each summed over the components by log-sum-exp,
//     is proposed; the first wins ties.
//
// Cost: O(n log n) to fit and O(candidates * n) to score, per parameter;
// multivariate, O(candidates * n * d) to score (about 3-5 ms either way for
// 1,000 trials and 6 parameters at -O3 on a loaded machine;
// Tpe.TimingAtAThousandTrials and TpeMultivariate.TimingAtAThousandTrials
// print it).
//
// Defaults that match Optuna's TPESampler: n_startup_trials=10,
// n_ei_candidates=24, gamma=default_gamma (min(ceil(0.1 n), 25)),
// weights=default_weights (flat 25, ramp for older), prior_weight=1.0 (the
// prior is always used, as consider_prior=True), consider_magic_clip=True,
// consider_endpoints=False, the quantised kernels' mass over a value's
// rounding interval, the constant liar's effect (running trials join
// "above"), and, multivariate, the bandwidth 0.2 n^(-1/(d+4)) * span.
// Where Headroom differs, and why:
//  - multivariate defaults to true (Optuna: False, its multivariate TPE
//    being experimental there): modelling the parameters jointly is what
//    BOHB and Watanabe (2023) recommend and what Optuna's documentation
//    reports to outperform independent TPE; on Headroom's benchmark
//    (docs/results/search-bench.md, `scripts/bench search`) it was at least
//    as good as univariate TPE overall, the rule fixed before the runs that
//    decided it. Where many parameters meet few trials it learns more slowly
//    (its kernels are as wide in every dimension: 16 parameters and 80
//    trials in tpe_test.cc). A search keeps the setting it started with
//    unless its sweep file sets `tpe: {multivariate: ...}`
//    (scheduler/bayes_search.h).
//  - constant_liar defaults to true (Optuna: False): Headroom's sweeps run
//    cells in parallel, and without it parallel proposals from the same
//    history crowd the same spot.
//  - A conditional parameter's split uses only the trials that have it
//    (Optuna splits all trials, then drops those without the parameter):
//    the best trials that set the parameter, not the best trials overall,
//    say where it is good.
//  - Distributions are W&B's, which Optuna lacks. Quantised kinds round as
//    W&B does (to multiples of q, not to low + k*step), and their domain is
//    the one random search draws from before rounding (int_uniform:
//    [min - 0.5, max + 0.5], so every integer is equally likely a priori, as
//    Optuna extends a stepped range by half a step). Normal kinds are
//    unbounded but TPE needs bounds: they are truncated to
//    mu +- normal_truncation * sigma (4 by default: 99.994% of the mass), and
//    the prior kernel is the distribution's own N(mu, sigma), as hyperopt
//    does for hp.normal, rather than a kernel as wide as the domain. Beta
//    kinds use the domain [0, 1] and Optuna's prior.
//  - Every continuous density is evaluated on the internal (log) axis; the
//    Jacobian Optuna includes for log kinds is the same in l and g, so the
//    choice is unchanged.
// Tried and not adopted: quasi-random startup draws (a digitally shifted
// Sobol sequence through each parameter's inverse distribution, as Ax and
// BoTorch start). The rule fixed before its runs - adopt it if the mean
// P(better than random startup) over the benchmark's 12 (problem, trials)
// rows is at least 0.5, multivariate sampler, 50 repetitions - gave 0.49
// (best of 10 trials: better on branin and mixed, worse on hartmann6), so
// startup draws stay random search's, as Optuna's (session of 2026-12-02).

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

struct TpeSettings {
  // Proposals are random draws until this many trials have finished
  // (Optuna's n_startup_trials).
  int startup_trials = 10;
  // Values drawn from l(x) per parameter (multivariate: points, per
  // proposal); the best l/g ratio wins (Optuna's n_ei_candidates).
  int ei_candidates = 24;
  // The prior kernel's weight relative to an observation's (weight 1 for the
  // 25 most recent). Must be positive: values <= 0 are treated as 1e-12, so
  // that every density stays finite (Optuna allows 0).
  double prior_weight = 1.0;
  // Bandwidths at least span / min(100, m + 2) (Optuna's consider_magic_clip).
  bool consider_magic_clip = true;
  // The outermost kernels' bandwidth may grow to reach the domain's ends
  // (Optuna's consider_endpoints).
  bool consider_endpoints = false;
  // Running trials count as the worst value seen (they join "above"), so
  // that parallel proposals spread out (Optuna's constant_liar; off there).
  bool constant_liar = true;
  // gamma(n) = min(ceil(gamma_fraction * n), gamma_cap): the size of "below"
  // (Optuna's default_gamma: 0.1 and 25).
  double gamma_fraction = 0.1;
  int gamma_cap = 25;
  // The most recent observations of a group that weigh fully; older ones
  // ramp down (Optuna's default_weights: 25). 0 or less: all weigh 1.
  int flat_weights = 25;
  // Normal kinds are truncated to mu +- this many sigma (not in Optuna).
  double normal_truncation = 4.0;
  // Propose the parameters every counted trial has jointly, from
  // multivariate Parzen estimators (step 5 above; Optuna's multivariate=True,
  // which is off by default there).
  bool multivariate = true;
};

struct Trial {
  nlohmann::json parameters;    // name -> value, for the parameters it has (a trial may lack some: conditional)
  std::optional<double> value;  // the objective as the sweep's goal reads it; nullopt while running or if it failed
  bool running = false;
};

class TpeSampler {
 public:
  // `space`: the sweep's parameters, W&B distributions (constant,
  // categorical, int_uniform, uniform, q_uniform, log_uniform (bounds are
  // exponents), log_uniform_values, q_log_uniform(_values),
  // inv_log_uniform(_values), normal, q_normal, log_normal, q_log_normal,
  // beta, q_beta). `minimize`: the goal.
  TpeSampler(std::vector<ParameterSpec> space, bool minimize, TpeSettings settings, uint64_t seed);

  // The `index`-th proposal (0-based) given every trial so far; see above.
  nlohmann::json propose(const std::vector<Trial>& history, uint64_t index) const;

  const TpeSettings& settings() const { return settings_; }

 private:
  std::vector<ParameterSpec> space_;
  bool minimize_;
  TpeSettings settings_;
  uint64_t seed_;
};

}  // namespace headroom
