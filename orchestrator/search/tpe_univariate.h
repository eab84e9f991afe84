#pragma once
// Univariate TPE (search/tpe.h, steps 2-4): one parameter proposed on its
// own, from Parzen estimators over the counted trials that have it.
// Internal to TpeSampler.

#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/search/tpe_parzen.h"

namespace headroom::tpe {

// The proposal of one modelled parameter: its observations are the counted
// trials that have it, split into below and above; the candidate drawn from
// l with the best log l(x) - log g(x) wins (the first, on ties).
nlohmann::json propose_univariate(const Model& model, const std::vector<Counted>& counted,
                                  const TpeSettings& settings, double prior_weight, int candidates,
                                  boost::random::mt19937_64& engine);

}  // namespace headroom::tpe
