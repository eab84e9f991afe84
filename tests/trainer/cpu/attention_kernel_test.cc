// The fused attention kernel against a naive double-precision implementation
// of softmax(scale * Q K^T [causal]) V and its gradients, on the layouts the
// model hands it: queries, keys and values interleaved in one stacked
// projection, heads side by side in the output.
#include "trainer/cpu/attention_kernel.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace headroom::trainer::cpu {
namespace {

std::vector<float> filled(std::size_t size, uint32_t seed, float amplitude) {
  std::vector<float> data(size);
  for (auto& value : data) {  // deterministic values in [-amplitude, amplitude)
    seed = seed * 1664525u + 1013904223u;
    value = amplitude * (float(seed >> 8) / float(1u << 23) - 1.0f);
  }
  return data;
}

// Indexes into the shared layouts (attention_kernel.h).
struct Indexing {
  AttentionShape s;
  std::size_t projection(int64_t b, int64_t i, int64_t part, int64_t h, int64_t c) const {
    return std::size_t(((b * s.n + i) * 3 + part) * s.heads * s.head_size + h * s.head_size + c);
  }
  std::size_t out(int64_t b, int64_t i, int64_t h, int64_t c) const {
    return std::size_t((b * s.n + i) * s.heads * s.head_size + h * s.head_size + c);
  }
};

struct Reference {
  std::vector<double> weights, out, projections_gradient;
};

// The textbook computation, one (batch, head) at a time, in double.
Reference naive(const AttentionShape& s, const std::vector<float>& x,
                const std::vector<float>& upstream) {
  const Indexing at{s};
  const int64_t n = s.n, d = s.head_size;
  Reference r;
  r.weights.assign(std::size_t(s.batch * s.heads * n * n), 0.0);
  r.out.assign(std::size_t(s.batch * n * s.heads * d), 0.0);
  r.projections_gradient.assign(x.size(), 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.heads; ++h) {
      auto q = [&](int64_t i, int64_t c) { return double(x[at.projection(b, i, 0, h, c)]); };
      auto k = [&](int64_t i, int64_t c) { return double(x[at.projection(b, i, 1, h, c)]); };
      auto v = [&](int64_t i, int64_t c) { return double(x[at.projection(b, i, 2, h, c)]); };
      auto g = [&](int64_t i, int64_t c) { return double(upstream[at.out(b, i, h, c)]); };
      auto cell = [n](int64_t i, int64_t j) { return std::size_t(i * n + j); };
      std::vector<double> p(cell(n, 0), 0.0), dp(cell(n, 0), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t visible = s.causal ? i + 1 : n;
        std::vector<double> scores(static_cast<std::size_t>(visible));
        for (int64_t j = 0; j < visible; ++j) {
          for (int64_t c = 0; c < d; ++c) scores[std::size_t(j)] += q(i, c) * k(j, c);
          scores[std::size_t(j)] *= s.scale;
        }
        const double top = *std::max_element(scores.begin(), scores.end());
        double total = 0;
        for (auto& score : scores) total += (score = std::exp(score - top));
        for (int64_t j = 0; j < visible; ++j) p[cell(i, j)] = scores[std::size_t(j)] / total;
      }
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          r.weights[std::size_t(((b * s.heads + h) * n + i) * n + j)] = p[cell(i, j)];
          for (int64_t c = 0; c < d; ++c) {
            r.out[at.out(b, i, h, c)] += p[cell(i, j)] * v(j, c);
            dp[cell(i, j)] += g(i, c) * v(j, c);
            r.projections_gradient[at.projection(b, j, 2, h, c)] += p[cell(i, j)] * g(i, c);
          }
        }
        double dot = 0;
        for (int64_t j = 0; j < n; ++j) dot += p[cell(i, j)] * dp[cell(i, j)];
        for (int64_t j = 0; j < n; ++j) {
          const double ds = s.scale * p[cell(i, j)] * (dp[cell(i, j)] - dot);
          for (int64_t c = 0; c < d; ++c) {
            r.projections_gradient[at.projection(b, i, 0, h, c)] += ds * k(j, c);
            r.projections_gradient[at.projection(b, j, 1, h, c)] += ds * q(i, c);
          }
        }
      }
    }
  }
  return r;
}

template <typename Computed>
void expect_near(const Computed& computed, const std::vector<double>& expected, double tolerance,
                 const char* what, const AttentionShape& s) {
  ASSERT_EQ(computed.size(), expected.size());
  for (std::size_t e = 0; e < expected.size(); ++e) {
    ASSERT_NEAR(computed[e], expected[e], tolerance * (1 + std::abs(expected[e])))
        << what << " element " << e << " of batch " << s.batch << ", n " << s.n << ", " << s.heads
        << " heads of " << s.head_size << (s.causal ? ", causal" : "");
  }
}

// Forward and backward over the (batch, head) pairs in two calls on disjoint
// ranges, as parallel workers make them.
void expect_matches(const AttentionShape& s, float amplitude = 1.0f) {
  const auto x = filled(std::size_t(s.batch * s.n * 3 * s.heads * s.head_size), 7, amplitude);
  const auto upstream = filled(std::size_t(s.batch * s.n * s.heads * s.head_size), 9, 1.0f);
  const auto expected = naive(s, x, upstream);
  std::vector<float> weights(expected.weights.size(), std::nanf("")),
      out(expected.out.size(), std::nanf("")), gradient(x.size(), std::nanf(""));
  const int64_t pairs = s.batch * s.heads, middle = pairs / 2;
  attention_forward(s, x.data(), weights.data(), out.data(), 0, middle);
  attention_forward(s, x.data(), weights.data(), out.data(), middle, pairs);
  attention_backward(s, x.data(), weights.data(), upstream.data(), gradient.data(), 0, middle);
  attention_backward(s, x.data(), weights.data(), upstream.data(), gradient.data(), middle, pairs);
  expect_near(weights, expected.weights, 1e-5, "weights", s);
  expect_near(out, expected.out, 1e-5, "out", s);
  expect_near(gradient, expected.projections_gradient, 1e-4, "gradient", s);
}

TEST(AttentionKernel, TheModelsShapesMatchTheNaiveComputation) {
  for (int64_t head_size : {4, 16, 32, 64}) {
    for (bool causal : {false, true}) {
      const int64_t heads = 64 / std::min<int64_t>(head_size, 16);
      expect_matches({3, 32, heads, head_size, causal, 1.0f / std::sqrt(float(head_size))});
    }
  }
}

// Rows and heads that are not whole vectors, a single position, and scores
// large enough that the softmax saturates (exp underflows for most columns).
TEST(AttentionKernel, RaggedSizesAndSaturatedScoresMatch) {
  expect_matches({2, 13, 3, 5, false, 0.7f});
  expect_matches({2, 13, 3, 5, true, 0.7f});
  expect_matches({1, 1, 2, 3, true, 1.0f});
  expect_matches({2, 9, 2, 8, false, 4.0f}, 6.0f);
}

RC_GTEST_PROP(AttentionKernel, AnyShapeMatchesTheNaiveComputation, ()) {
  const AttentionShape s{*rc::gen::inRange<int64_t>(1, 3), *rc::gen::inRange<int64_t>(1, 41),
                         *rc::gen::inRange<int64_t>(1, 4), *rc::gen::inRange<int64_t>(1, 41),
                         *rc::gen::arbitrary<bool>(),      0.3f};
  expect_matches(s);
  RC_ASSERT(!::testing::Test::HasFailure());
}

}  // namespace
}  // namespace headroom::trainer::cpu
