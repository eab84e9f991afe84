#include "orchestrator/search/tpe.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <boost/random/mersenne_twister.hpp>

#include "orchestrator/grid/sampling.h"
#include "orchestrator/search/tpe_multivariate.h"
#include "orchestrator/search/tpe_parzen.h"
#include "orchestrator/search/tpe_univariate.h"

namespace headroom {
namespace {

using tpe::Counted;
using tpe::kInf;
using tpe::Model;
using tpe::model_of;
using tpe::joint_columns;
using tpe::propose_joint;
using tpe::propose_univariate;

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
