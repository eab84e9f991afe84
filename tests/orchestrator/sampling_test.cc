// Random search's draws (orchestrator/grid/sampling.h): each W&B distribution
// keeps its meaning, over many seeded draws.
#include "orchestrator/grid/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace headroom {
namespace {

ParameterSpec parameter(const std::string& yaml_body) {
  auto spec = parse_sweep("method: random\nrun_cap: 1\nparameters:\n  lr: " + yaml_body + "\n", "s.yaml");
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  return spec->parameters.front();
}

std::vector<double> draws(const std::string& yaml_body, int count = 20000) {
  Sampler sampler(11);
  const ParameterSpec p = parameter(yaml_body);
  std::vector<double> values;
  for (int i = 0; i < count; ++i) values.push_back(sampler.draw(p).get<double>());
  return values;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / double(values.size());
}

double variance(const std::vector<double>& values) {
  const double m = mean(values);
  double sum = 0;
  for (double v : values) sum += (v - m) * (v - m);
  return sum / double(values.size() - 1);
}

TEST(Sampling, TheSameSeedDrawsTheSameValues) {
  const ParameterSpec p = parameter("{distribution: normal, mu: 0, sigma: 1}");
  Sampler a(3), b(3), c(4);
  for (int i = 0; i < 100; ++i) {
    const auto first = a.draw(p);
    EXPECT_EQ(first, b.draw(p));
    EXPECT_NE(first, c.draw(p));
  }
}

TEST(Sampling, ContinuousDistributionsHaveTheirMeansAndBounds) {
  const auto uniform = draws("{distribution: uniform, min: 2, max: 4}");
  EXPECT_NEAR(mean(uniform), 3.0, 0.02);
  for (double v : uniform) EXPECT_TRUE(v >= 2 && v < 4);
  const auto normal = draws("{distribution: normal, mu: 5, sigma: 2}");
  EXPECT_NEAR(mean(normal), 5.0, 0.05);
  EXPECT_NEAR(variance(normal), 4.0, 0.15);
  const auto beta = draws("{distribution: beta, a: 2, b: 6}");
  EXPECT_NEAR(mean(beta), 0.25, 0.005);
  for (double v : beta) EXPECT_TRUE(v >= 0 && v <= 1);
  // log_uniform_values: uniform in log space between the values.
  const auto log_uniform = draws("{distribution: log_uniform_values, min: 0.001, max: 1}");
  std::vector<double> logs;
  for (double v : log_uniform) {
    EXPECT_TRUE(v >= 0.001 && v <= 1);
    logs.push_back(std::log10(v));
  }
  EXPECT_NEAR(mean(logs), -1.5, 0.02);
  const auto log_normal = draws("{distribution: log_normal, mu: 0, sigma: 0.5}");
  for (double v : log_normal) EXPECT_GT(v, 0);
}

TEST(Sampling, DiscreteDistributionsCoverTheirValuesAsWeighted) {
  std::map<int64_t, int> counts;
  Sampler sampler(5);
  const ParameterSpec integers = parameter("{distribution: int_uniform, min: 1, max: 4}");
  for (int i = 0; i < 8000; ++i) ++counts[sampler.draw(integers).get<int64_t>()];
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [value, count] : counts) EXPECT_NEAR(count, 2000, 200) << value;

  std::map<std::string, int> chosen;
  const ParameterSpec weighted = parameter("{values: [a, b], probabilities: [0.2, 0.8]}");
  for (int i = 0; i < 10000; ++i) ++chosen[sampler.draw(weighted).get<std::string>()];
  EXPECT_NEAR(chosen["a"], 2000, 200);
  EXPECT_NEAR(chosen["b"], 8000, 200);

  const ParameterSpec quantized = parameter("{distribution: q_uniform, min: 0, max: 1, q: 0.25}");
  for (int i = 0; i < 1000; ++i) {
    const double v = sampler.draw(quantized).get<double>();
    EXPECT_DOUBLE_EQ(std::round(v / 0.25) * 0.25, v);
  }
}

}  // namespace
}  // namespace headroom
