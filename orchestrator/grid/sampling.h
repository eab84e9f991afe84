#pragma once
// Draws parameter values from W&B distributions for random search. Uses
// std::mt19937_64 with its own transforms (not <random>'s distributions, whose
// output is implementation-defined), so a seed gives the same cells on every
// platform.

#include <cstdint>
#include <random>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

class Sampler {
 public:
  explicit Sampler(uint64_t seed) : engine_(seed) {}
  // One value of the parameter, with W&B's semantics for its distribution.
  nlohmann::json draw(const ParameterSpec& parameter);

 private:
  double uniform();  // [0, 1)
  double normal();   // standard normal
  double gamma(double shape);
  std::mt19937_64 engine_;
};

}  // namespace headroom
