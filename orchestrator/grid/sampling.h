#pragma once
// Draws parameter values from W&B distributions for random search, through
// Boost.Random's engine and distributions: their algorithms are fixed by
// Boost, not by the standard library (whose distributions' output is
// implementation-defined), so a seed gives the same cells on every platform.
// Bit-for-bit agreement with W&B's own sampler is not possible anyway (it
// samples with NumPy); what W&B fixes is each distribution's meaning, kept here.

#include <cstdint>

#include <boost/random/mersenne_twister.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

class Sampler {
 public:
  explicit Sampler(uint64_t seed) : engine_(seed) {}
  // One value of the parameter, with W&B's semantics for its distribution.
  nlohmann::json draw(const ParameterSpec& parameter);

 private:
  double uniform(double low, double high);
  double normal(double mu, double sigma);
  boost::random::mt19937_64 engine_;
};

}  // namespace headroom
