#include "orchestrator/grid/sampling.h"

#include <boost/random/beta_distribution.hpp>
#include <boost/random/discrete_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

namespace headroom {
namespace {

// Rounds to a multiple of q; whole numbers come back as integers when q is one.
nlohmann::json quantize(double value, double q) {
  double rounded = std::round(value / q) * q;
  if (std::floor(q) == q && std::floor(rounded) == rounded) return int64_t(rounded);
  return rounded;
}

}  // namespace

double Sampler::uniform(double low, double high) {
  return boost::random::uniform_real_distribution<double>(low, high)(engine_);
}

double Sampler::normal(double mu, double sigma) {
  return boost::random::normal_distribution<double>(mu, sigma)(engine_);
}

nlohmann::json Sampler::draw(const ParameterSpec& parameter) {
  const Distribution& d = parameter.distribution;
  const std::string& kind = d.kind;
  if (kind == "constant") return parameter.values.front().value;
  if (kind == "categorical") {
    if (d.probabilities.empty()) {
      return parameter.values[boost::random::uniform_int_distribution<size_t>(0, parameter.values.size() - 1)(engine_)]
          .value;
    }
    boost::random::discrete_distribution<size_t> choose(d.probabilities.begin(), d.probabilities.end());
    return parameter.values[choose(engine_)].value;
  }
  if (kind == "int_uniform") {
    return boost::random::uniform_int_distribution<int64_t>(int64_t(std::ceil(d.min)), int64_t(std::floor(d.max)))(
        engine_);
  }
  if (kind == "uniform") return uniform(d.min, d.max);
  if (kind == "q_uniform") return quantize(uniform(d.min, d.max), d.q);
  if (kind == "log_uniform") return std::exp(uniform(d.min, d.max));
  if (kind == "q_log_uniform") return quantize(std::exp(uniform(d.min, d.max)), d.q);
  if (kind == "log_uniform_values") return std::exp(uniform(std::log(d.min), std::log(d.max)));
  if (kind == "q_log_uniform_values") return quantize(std::exp(uniform(std::log(d.min), std::log(d.max))), d.q);
  if (kind == "inv_log_uniform") return std::exp(-uniform(d.min, d.max));
  if (kind == "inv_log_uniform_values") return 1.0 / std::exp(uniform(std::log(1.0 / d.max), std::log(1.0 / d.min)));
  if (kind == "normal") return normal(d.mu, d.sigma);
  if (kind == "q_normal") return quantize(normal(d.mu, d.sigma), d.q);
  if (kind == "log_normal") return std::exp(normal(d.mu, d.sigma));
  if (kind == "q_log_normal") return quantize(std::exp(normal(d.mu, d.sigma)), d.q);
  const double x = boost::random::beta_distribution<double>(d.a, d.b)(engine_);  // beta and q_beta
  return kind == "beta" ? nlohmann::json(x) : quantize(x, d.q);
}

}  // namespace headroom
