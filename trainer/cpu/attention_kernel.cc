#include "trainer/cpu/attention_kernel.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "trainer/cpu/small_gemm.h"
#include "trainer/cpu/vector_math.h"

namespace headroom::trainer::cpu {
namespace {

using vector_kernels::exp_of;
using vector_kernels::kLanes;
using vector_kernels::load;
using vector_kernels::load_partial;
using vector_kernels::store;
using vector_kernels::store_partial;
using vector_kernels::sum_of_lanes;
using vector_kernels::Vector;

// Each row of the n x n block: scores (before scaling) in, probabilities out.
// Row i of a causal block keeps columns 0..i and zeroes the rest.
HEADROOM_MULTIVERSIONED
void softmax_rows(float* block, int64_t n, bool causal, float scale) {
  for (int64_t i = 0; i < n; ++i) {
    float* row = block + i * n;
    const int64_t visible = causal ? i + 1 : n;
    // scale > 0, so the largest score is the largest scaled score.
    const float top = *std::max_element(row, row + visible);
    Vector sums = {};
    int64_t j = 0;
    for (; j + kLanes <= visible; j += kLanes) {
      const Vector e = exp_of((load(row + j) - top) * scale);
      store(row + j, e);
      sums += e;
    }
    float total = sum_of_lanes(sums);
    for (; j < visible; ++j) total += (row[j] = exp_of(Vector{} + (row[j] - top) * scale)[0]);
    const float inverse = 1.0f / total;
    for (j = 0; j + kLanes <= visible; j += kLanes) store(row + j, load(row + j) * inverse);
    for (; j < visible; ++j) row[j] *= inverse;
    std::fill(row + visible, row + n, 0.0f);
  }
}

// block holds the gradient of the probabilities (dP); it becomes the gradient
// of the unscaled scores: scale * P * (dP - sum_j P_j dP_j), row by row.
HEADROOM_MULTIVERSIONED
void softmax_backward_rows(const float* weights, float* block, int64_t n, float scale) {
  const int64_t whole = n / kLanes * kLanes, tail = n - whole;
  for (int64_t i = 0; i < n; ++i) {
    const float* probabilities = weights + i * n;
    float* row = block + i * n;
    Vector dots = {};
    for (int64_t j = 0; j < whole; j += kLanes) dots += load(probabilities + j) * load(row + j);
    // Zero-filled lanes past the tail add nothing.
    dots += load_partial(probabilities + whole, tail) * load_partial(row + whole, tail);
    const float dot = sum_of_lanes(dots);
    for (int64_t j = 0; j < whole; j += kLanes) {
      store(row + j, load(probabilities + j) * (load(row + j) - dot) * scale);
    }
    const Vector last =
        load_partial(probabilities + whole, tail) * (load_partial(row + whole, tail) - dot) * scale;
    store_partial(row + whole, last, tail);
  }
}

// Where one (batch, head) pair's matrices lie in the shared layouts.
struct Pair {
  int64_t projection_row, out_row;     // row strides: 3 * heads * head_size, heads * head_size
  int64_t queries, keys, values, out;  // offsets of each matrix's first element

  Pair(const AttentionShape& s, int64_t index) {
    const int64_t batch = index / s.heads, head = index % s.heads;
    out_row = s.heads * s.head_size;
    projection_row = 3 * out_row;
    queries = batch * s.n * projection_row + head * s.head_size;
    keys = queries + out_row;
    values = keys + out_row;
    out = batch * s.n * out_row + head * s.head_size;
  }
};

// Copies `rows` rows of `width` floats, `stride` apart, into a contiguous
// matrix, and back. The kernel re-reads each row many times, and rows of the
// stacked projection lie 3 * heads * head_size floats apart: at 16 heads of 32
// that is 6 KiB, so a head's 32 rows fall into 2 of L1's 64 sets and evict one
// another between reads. Contiguous copies made (and written back) once per
// pair were measured ~1.3x faster than reading and writing in place.
// Rows of whole vectors are copied vector by vector, inlined: a memcpy call
// per 64- or 128-byte row cost more than the copy (measured 4% of a step).
__attribute__((always_inline)) inline void copy_row(const float* source, int64_t width,
                                                    float* target) {
  if (width % kLanes != 0) {
    std::memcpy(target, source, std::size_t(width) * sizeof(float));
    return;
  }
  for (int64_t j = 0; j < width; j += kLanes) store(target + j, load(source + j));
}

HEADROOM_MULTIVERSIONED
void gather(const float* source, int64_t stride, int64_t rows, int64_t width, float* target) {
  for (int64_t r = 0; r < rows; ++r) copy_row(source + r * stride, width, target + r * width);
}

HEADROOM_MULTIVERSIONED
void scatter(const float* source, int64_t rows, int64_t width, float* target, int64_t stride) {
  for (int64_t r = 0; r < rows; ++r) copy_row(source + r * width, width, target + r * stride);
}

// One pair's n x head_size matrices, contiguous; reused from pair to pair.
struct PairMatrices {
  std::vector<float> queries, keys, values, upstream, result;
  PairMatrices(int64_t n, int64_t head_size)
      : queries(std::size_t(n * head_size)),
        keys(queries.size()),
        values(queries.size()),
        upstream(queries.size()),
        result(queries.size()) {}
};

}  // namespace

void attention_forward(const AttentionShape& shape, const float* projections, float* weights,
                       float* out, int64_t first, int64_t last) {
  const int64_t n = shape.n, head_size = shape.head_size;
  PairMatrices local(n, head_size);
  RightOperand right;
  for (int64_t index = first; index < last; ++index) {
    const Pair pair(shape, index);
    const int64_t row = pair.projection_row;
    gather(projections + pair.queries, row, n, head_size, local.queries.data());
    gather(projections + pair.keys, row, n, head_size, local.keys.data());
    gather(projections + pair.values, row, n, head_size, local.values.data());
    float* block = weights + index * n * n;
    right.prepare(local.keys.data(), 1, head_size, head_size, n);  // K^T
    multiply_packed(local.queries.data(), head_size, 1, right, block, n, n);
    softmax_rows(block, n, shape.causal, shape.scale);
    right.prepare(local.values.data(), head_size, 1, n, head_size);
    multiply_packed(block, n, 1, right, local.result.data(), head_size, n);
    scatter(local.result.data(), n, head_size, out + pair.out, pair.out_row);
  }
}

void attention_backward(const AttentionShape& shape, const float* projections, const float* weights,
                        const float* out_gradient, float* projections_gradient, int64_t first,
                        int64_t last) {
  const int64_t n = shape.n, head_size = shape.head_size;
  PairMatrices local(n, head_size);
  RightOperand right;
  std::vector<float> scores_gradient(std::size_t(n * n));
  float* gradient = scores_gradient.data();
  float* result = local.result.data();
  for (int64_t index = first; index < last; ++index) {
    const Pair pair(shape, index);
    const int64_t row = pair.projection_row;
    gather(projections + pair.queries, row, n, head_size, local.queries.data());
    gather(projections + pair.keys, row, n, head_size, local.keys.data());
    gather(projections + pair.values, row, n, head_size, local.values.data());
    gather(out_gradient + pair.out, pair.out_row, n, head_size, local.upstream.data());
    const float* block = weights + index * n * n;
    // dP = dO V^T, then dV = P^T dO.
    right.prepare(local.values.data(), 1, head_size, head_size, n);
    multiply_packed(local.upstream.data(), head_size, 1, right, gradient, n, n);
    right.prepare(local.upstream.data(), head_size, 1, n, head_size);
    multiply_packed(block, 1, n, right, result, head_size, n);
    scatter(result, n, head_size, projections_gradient + pair.values, row);
    // dS (scaled), then dQ = dS K and dK = dS^T Q.
    softmax_backward_rows(block, gradient, n, shape.scale);
    right.prepare(local.keys.data(), head_size, 1, n, head_size);
    multiply_packed(gradient, n, 1, right, result, head_size, n);
    scatter(result, n, head_size, projections_gradient + pair.queries, row);
    right.prepare(local.queries.data(), head_size, 1, n, head_size);
    multiply_packed(gradient, 1, n, right, result, head_size, n);
    scatter(result, n, head_size, projections_gradient + pair.keys, row);
  }
}

}  // namespace headroom::trainer::cpu
