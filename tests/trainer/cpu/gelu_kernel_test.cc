// The GELU kernel against the definition in double precision: x * Phi(x) and
// Phi(x) + x * phi(x), with Phi from std::erfc.
#include "trainer/cpu/gelu_kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace headroom::trainer::cpu {
namespace {

double cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

// Every 1/64 from -12 to 12, then far tails, in an order that puts each kind
// of value both in whole vectors and in a tail.
std::vector<float> inputs() {
  std::vector<float> x;
  for (int i = -768; i <= 768; ++i) x.push_back(float(i) / 64.0f);
  for (float far : {-1e4f, -100.0f, -30.0f, -13.5f, 13.5f, 30.0f, 100.0f, 1e4f}) x.push_back(far);
  return x;
}

TEST(GeluKernel, ForwardMatchesTheDefinition) {
  const auto x = inputs();
  std::vector<float> out(x.size());
  gelu_forward(x.data(), out.data(), int64_t(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double expected = double(x[i]) * cdf(x[i]);
    // Phi to 1.5e-7 absolute (Abramowitz-Stegun), then fp32 rounding.
    EXPECT_NEAR(out[i], expected, 2e-7 * std::abs(x[i]) + 1e-6 * std::abs(expected) + 1e-30)
        << "x = " << x[i];
  }
}

TEST(GeluKernel, BackwardMatchesTheDefinition) {
  const auto x = inputs();
  std::vector<float> upstream(x.size()), gradient(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) upstream[i] = 0.5f + float(i % 7);
  gelu_backward(x.data(), upstream.data(), gradient.data(), nullptr, int64_t(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double derivative = cdf(x[i]) + double(x[i]) * density(x[i]);
    const double expected = upstream[i] * derivative;
    EXPECT_NEAR(gradient[i], expected, upstream[i] * (4e-7 + 1e-6 * std::abs(derivative)))
        << "x = " << x[i];
  }
}

TEST(GeluKernel, FarNegativeInputsGiveZeroNotSubnormals) {
  const std::vector<float> x = {-14.0f, -20.0f, -50.0f, -1e30f, -14.0f,
                                -20.0f, -50.0f, -1e30f, -14.0f};
  std::vector<float> out(x.size()), gradient(x.size()), ones(x.size(), 1.0f);
  gelu_forward(x.data(), out.data(), int64_t(x.size()));
  gelu_backward(x.data(), ones.data(), gradient.data(), nullptr, int64_t(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(std::fpclassify(out[i]), FP_ZERO) << x[i] << " -> " << out[i];
    EXPECT_EQ(std::fpclassify(gradient[i]), FP_ZERO) << x[i] << " -> " << gradient[i];
  }
}

TEST(GeluKernel, InfinitiesAndNaNsPropagateLikeTheDefinition) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {inf, std::nanf("")};
  std::vector<float> out(x.size());
  gelu_forward(x.data(), out.data(), int64_t(x.size()));
  EXPECT_EQ(out[0], inf);
  EXPECT_TRUE(std::isnan(out[1]));  // a diverging run must still see its NaN
}

TEST(GeluKernel, EachValueIsTheSameWhereverItSitsAndInPlace) {
  const auto x = inputs();
  std::vector<float> whole(x.size());
  gelu_forward(x.data(), whole.data(), int64_t(x.size()));
  for (std::size_t offset : {1u, 3u, 7u}) {  // shifts every value between vector lanes and tails
    std::vector<float> shifted(x.begin() + offset, x.end());
    gelu_forward(shifted.data(), shifted.data(), int64_t(shifted.size()));
    for (std::size_t i = 0; i < shifted.size(); ++i) ASSERT_EQ(shifted[i], whole[i + offset]);
  }
}

TEST(GeluKernel, TheBackwardPassRecomputesTheForwardOutputBitwise) {
  const auto x = inputs();
  std::vector<float> forward(x.size()), recomputed(x.size()), gradient(x.size());
  std::vector<float> upstream(x.size(), 1.0f);
  gelu_forward(x.data(), forward.data(), int64_t(x.size()));
  gelu_backward(x.data(), upstream.data(), upstream.data(), recomputed.data(), int64_t(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(recomputed[i], forward[i]) << "x = " << x[i];
}

}  // namespace
}  // namespace headroom::trainer::cpu
