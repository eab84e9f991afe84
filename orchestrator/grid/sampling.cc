#include "orchestrator/grid/sampling.h"

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

double Sampler::uniform() { return double(engine_() >> 11) * 0x1.0p-53; }

double Sampler::normal() {
  // Box-Muller; 1 - u keeps the logarithm finite.
  double u = 1.0 - uniform(), v = uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

double Sampler::gamma(double shape) {
  // Marsaglia and Tsang (2000); shapes below 1 through the boost U^(1/shape).
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(1.0 - uniform(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = normal(), v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = 1.0 - uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

nlohmann::json Sampler::draw(const ParameterSpec& parameter) {
  const Distribution& d = parameter.distribution;
  const std::string& kind = d.kind;
  if (kind == "constant") return parameter.values.front().value;
  if (kind == "categorical") {
    double u = uniform(), cumulative = 0;
    for (size_t i = 0; i < parameter.values.size(); ++i) {
      cumulative += d.probabilities.empty() ? 1.0 / double(parameter.values.size()) : d.probabilities[i];
      if (u < cumulative) return parameter.values[i].value;
    }
    return parameter.values.back().value;
  }
  auto between = [&](double low, double high) { return low + (high - low) * uniform(); };
  if (kind == "int_uniform") {
    int64_t low = int64_t(std::ceil(d.min)), high = int64_t(std::floor(d.max));
    return low + int64_t(uniform() * double(high - low + 1));
  }
  if (kind == "uniform") return between(d.min, d.max);
  if (kind == "q_uniform") return quantize(between(d.min, d.max), d.q);
  if (kind == "log_uniform") return std::exp(between(d.min, d.max));
  if (kind == "q_log_uniform") return quantize(std::exp(between(d.min, d.max)), d.q);
  if (kind == "log_uniform_values") return std::exp(between(std::log(d.min), std::log(d.max)));
  if (kind == "q_log_uniform_values") {
    return quantize(std::exp(between(std::log(d.min), std::log(d.max))), d.q);
  }
  if (kind == "inv_log_uniform") return std::exp(-between(d.min, d.max));
  if (kind == "inv_log_uniform_values") {
    return 1.0 / std::exp(between(std::log(1.0 / d.max), std::log(1.0 / d.min)));
  }
  if (kind == "normal") return d.mu + d.sigma * normal();
  if (kind == "q_normal") return quantize(d.mu + d.sigma * normal(), d.q);
  if (kind == "log_normal") return std::exp(d.mu + d.sigma * normal());
  if (kind == "q_log_normal") return quantize(std::exp(d.mu + d.sigma * normal()), d.q);
  double x = gamma(d.a), y = gamma(d.b);  // beta and q_beta
  return kind == "beta" ? nlohmann::json(x / (x + y)) : quantize(x / (x + y), d.q);
}

}  // namespace headroom
