#include "trainer/small_gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace headroom::trainer {
namespace {

// The kernel is compiled for x86-64-v3 (AVX2, FMA) and for the baseline; the
// loader picks the one this CPU runs (GCC function multi-versioning).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HEADROOM_MULTIVERSIONED __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HEADROOM_MULTIVERSIONED
#endif

// Eight floats: one AVX register, or two SSE ones in the baseline clone.
typedef float Vector __attribute__((vector_size(32)));
constexpr int64_t kLanes = 8;

// `right` (depth x columns, any strides) copied into `packed` row by row, each
// row padded with zeros to whole vectors, so the kernel reads whole vectors.
void pack(const float* right, int64_t row_stride, int64_t column_stride, int64_t depth,
          int64_t columns, std::vector<float>& packed) {
  const int64_t padded = (columns + kLanes - 1) / kLanes * kLanes;
  packed.assign(std::size_t(depth * padded), 0.0f);
  for (int64_t p = 0; p < depth; ++p) {
    float* row = packed.data() + p * padded;
    for (int64_t j = 0; j < columns; ++j) row[j] = right[p * row_stride + j * column_stride];
  }
}

// One block of the product: kRows rows x kVectors vectors of columns starting
// at (row, vector), with its sums held in registers over the whole depth, so
// each vector loaded from `right` feeds kRows multiply-adds and no partial sum
// goes through memory. Inlined into each clone of multiply().
template <int64_t kRows, int64_t kVectors>
__attribute__((always_inline)) inline void multiply_block(
    const float* left, int64_t left_row_stride, int64_t left_column_stride, const float* right,
    int64_t vectors, float* out, int64_t row, int64_t vector, int64_t depth, int64_t columns) {
  Vector sums[kRows][kVectors] = {};
  for (int64_t p = 0; p < depth; ++p) {
    const float* source = right + (p * vectors + vector) * kLanes;
    const float* scales = left + row * left_row_stride + p * left_column_stride;
    Vector loaded[kVectors];  // unaligned loads
    for (int64_t v = 0; v < kVectors; ++v)
      std::memcpy(&loaded[v], source + v * kLanes, sizeof(Vector));
    for (int64_t r = 0; r < kRows; ++r) {
      const float scale = scales[r * left_row_stride];
      for (int64_t v = 0; v < kVectors; ++v) sums[r][v] += scale * loaded[v];
    }
  }
  const int64_t first_column = vector * kLanes;
  const int64_t block_columns = std::min(kVectors * kLanes, columns - first_column);
  for (int64_t r = 0; r < kRows; ++r) {
    std::memcpy(out + (row + r) * columns + first_column, &sums[r][0],
                std::size_t(block_columns) * sizeof(float));
  }
}

// out (rows x columns, contiguous) = left (rows x depth, any strides) * right
// (packed), in blocks of 4 rows x 2 vectors (one vector at the right edge;
// single rows at the bottom edge).
HEADROOM_MULTIVERSIONED
void multiply(const float* left, int64_t left_row_stride, int64_t left_column_stride,
              const float* right, float* out, int64_t rows, int64_t depth, int64_t columns) {
  const int64_t vectors = (columns + kLanes - 1) / kLanes;
  int64_t row = 0;
  for (; row + 4 <= rows; row += 4) {
    int64_t vector = 0;
    for (; vector + 2 <= vectors; vector += 2) {
      multiply_block<4, 2>(left, left_row_stride, left_column_stride, right, vectors, out, row,
                           vector, depth, columns);
    }
    if (vector < vectors) {
      multiply_block<4, 1>(left, left_row_stride, left_column_stride, right, vectors, out, row,
                           vector, depth, columns);
    }
  }
  for (; row < rows; ++row) {
    for (int64_t vector = 0; vector < vectors; ++vector) {
      multiply_block<1, 1>(left, left_row_stride, left_column_stride, right, vectors, out, row,
                           vector, depth, columns);
    }
  }
}

}  // namespace

void small_gemm(const GemmBatch& shape, StridedMatrices a, StridedMatrices b, float* out,
                int64_t first, int64_t last) {
  const int64_t rows = shape.rows, depth = shape.depth, columns = shape.columns;
  std::vector<float> packed;
  for (int64_t index = first; index < last; ++index) {
    const int64_t outer = index / shape.inner, inner = index % shape.inner;
    const float* left = a.data + outer * a.outer_stride + inner * a.inner_stride;
    const float* right = b.data + outer * b.outer_stride + inner * b.inner_stride;
    pack(right, b.row_stride, b.column_stride, depth, columns, packed);
    multiply(left, a.row_stride, a.column_stride, packed.data(), out + index * rows * columns, rows,
             depth, columns);
  }
}

}  // namespace headroom::trainer
