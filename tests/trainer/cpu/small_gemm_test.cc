// The attention kernel against a naive triple loop, over the shapes and
// memory layouts attention hands it: transposed views, heads interleaved in
// the rows of a projection, broadcast batches, narrow and ragged sizes.
#include "trainer/cpu/small_gemm.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace headroom::trainer::cpu {
namespace {

struct Layout {  // strides of a (outer, inner, rows, columns) batch in its buffer
  int64_t outer, inner, row, column;
};

float element(const std::vector<float>& data, const Layout& l, int64_t o, int64_t n, int64_t i,
              int64_t j) {
  return data[std::size_t(o * l.outer + n * l.inner + i * l.row + j * l.column)];
}

std::vector<float> naive(const GemmBatch& s, const std::vector<float>& a, const Layout& la,
                         const std::vector<float>& b, const Layout& lb) {
  std::vector<float> out(std::size_t(s.outer * s.inner * s.rows * s.columns));
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t n = 0; n < s.inner; ++n)
      for (int64_t i = 0; i < s.rows; ++i)
        for (int64_t j = 0; j < s.columns; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < s.depth; ++p)
            sum += double(element(a, la, o, n, i, p)) * element(b, lb, o, n, p, j);
          out[std::size_t(((o * s.inner + n) * s.rows + i) * s.columns + j)] = float(sum);
        }
  return out;
}

std::vector<float> filled(std::size_t size, uint32_t seed) {
  std::vector<float> data(size);
  for (auto& value : data) {  // deterministic values in [-1, 1)
    seed = seed * 1664525u + 1013904223u;
    value = float(seed >> 8) / float(1u << 23) - 1.0f;
  }
  return data;
}

// Row-major (outer, inner, rows, columns), or its transpose (columns stored
// as rows) when `transposed`; `interleaved` stores (outer, rows, inner,
// columns), the layout of one head inside a projection.
Layout layout(int64_t inner, int64_t rows, int64_t columns, bool transposed, bool interleaved) {
  int64_t row = transposed ? 1 : columns, column = transposed ? rows : 1;
  if (interleaved) {
    row = transposed ? 1 : inner * columns;
    column = transposed ? inner * rows : 1;
    return {rows * columns * inner, transposed ? rows : columns, row, column};
  }
  return {inner * rows * columns, rows * columns, row, column};
}

struct Operands {  // how the two operands lie in memory
  bool a_transposed, a_interleaved, b_transposed, b_interleaved, b_broadcast;
};

void expect_matches(const GemmBatch& s, const Operands& o) {
  Layout la = layout(s.inner, s.rows, s.depth, o.a_transposed, o.a_interleaved);
  Layout lb = layout(s.inner, s.depth, s.columns, o.b_transposed, o.b_interleaved);
  if (o.b_broadcast) lb.outer = 0;
  auto a = filled(std::size_t(s.outer * s.inner * s.rows * s.depth), 1);
  auto b = filled(std::size_t(s.outer * s.inner * s.depth * s.columns), 2);
  auto expected = naive(s, a, la, b, lb);
  std::vector<float> out(expected.size(), std::nanf(""));
  const int64_t batches = s.outer * s.inner, middle = batches / 2;
  // Two calls over disjoint ranges, as parallel workers make them.
  small_gemm(s, {a.data(), la.outer, la.inner, la.row, la.column},
             {b.data(), lb.outer, lb.inner, lb.row, lb.column}, out.data(), 0, middle);
  small_gemm(s, {a.data(), la.outer, la.inner, la.row, la.column},
             {b.data(), lb.outer, lb.inner, lb.row, lb.column}, out.data(), middle, batches);
  for (std::size_t k = 0; k < out.size(); ++k) {
    ASSERT_NEAR(out[k], expected[k], 1e-5 * (1 + s.depth))
        << "element " << k << " of " << s.outer << "x" << s.inner << " batches of " << s.rows << "x"
        << s.depth << " * " << s.depth << "x" << s.columns;
  }
}

TEST(SmallGemm, AttentionShapesMatchTheNaiveProduct) {
  // queries x keys^T, weights x values and the backward products, for head
  // sizes below, at and above one vector.
  for (int64_t head_size : {4, 16, 32}) {
    const int64_t batch = 3, heads = 2, n = 32;
    // Q K^T: both heads of projections, K transposed.
    expect_matches({batch, heads, n, head_size, n}, {.a_transposed = false,
                                                     .a_interleaved = true,
                                                     .b_transposed = true,
                                                     .b_interleaved = true,
                                                     .b_broadcast = false});
    // P V: weights contiguous, V a head of a projection.
    expect_matches({batch, heads, n, n, head_size}, {.a_transposed = false,
                                                     .a_interleaved = false,
                                                     .b_transposed = false,
                                                     .b_interleaved = true,
                                                     .b_broadcast = false});
    // dP = dO V^T
    expect_matches({batch, heads, n, head_size, n}, {.a_transposed = false,
                                                     .a_interleaved = false,
                                                     .b_transposed = true,
                                                     .b_interleaved = true,
                                                     .b_broadcast = false});
    // dV = P^T dO
    expect_matches({batch, heads, n, n, head_size}, {.a_transposed = true,
                                                     .a_interleaved = false,
                                                     .b_transposed = false,
                                                     .b_interleaved = false,
                                                     .b_broadcast = false});
  }
}

// Results narrower than a vector, and rows left over after the blocks of four.
TEST(SmallGemm, NarrowAndRaggedResultsMatch) {
  expect_matches({2, 3, 41, 9, 1}, {false, false, false, false, false});
  expect_matches({2, 3, 43, 9, 7}, {true, true, true, false, true});
}

RC_GTEST_PROP(SmallGemm, AnyShapeAndLayoutMatchesTheNaiveProduct, ()) {
  const GemmBatch s{*rc::gen::inRange<int64_t>(1, 4), *rc::gen::inRange<int64_t>(1, 4),
                    *rc::gen::inRange<int64_t>(1, 41), *rc::gen::inRange<int64_t>(1, 41),
                    *rc::gen::inRange<int64_t>(1, 41)};
  expect_matches(
      s, {*rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(),
          *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()});
  RC_ASSERT(!::testing::Test::HasFailure());
}

}  // namespace
}  // namespace headroom::trainer::cpu
