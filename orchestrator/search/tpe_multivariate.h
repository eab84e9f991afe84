#pragma once
// Multivariate TPE (search/tpe.h, step 5; BOHB's kernel density, Optuna's
// multivariate=True): the parameters every counted trial has, proposed
// together from joint Parzen estimators. Internal to TpeSampler.

#include <string>
#include <utility>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/search/tpe_parzen.h"

namespace headroom::tpe {

// A joint parameter: its index into the models and its observations, one
// per counted trial in trial order.
using JointColumn = std::pair<size_t, std::vector<Observation>>;

// The parameters proposed jointly: the modelled ones every counted trial has.
std::vector<JointColumn> joint_columns(const std::vector<Model>& models, const std::vector<Counted>& counted);

// The joint proposal of the parameters of `columns`: name -> value, in
// their order.
std::vector<std::pair<std::string, nlohmann::json>> propose_joint(
    const std::vector<Model>& models, const std::vector<JointColumn>& columns,
    const std::vector<Counted>& counted, const TpeSettings& settings, double prior_weight,
    int candidates, boost::random::mt19937_64& engine);

}  // namespace headroom::tpe
