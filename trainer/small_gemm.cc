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

constexpr int64_t kRowBlock = 4;     // result rows computed together
constexpr int64_t kColumnBlock = 2;  // vectors of result columns computed together

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

// out (rows x columns, contiguous) = left (rows x depth, any strides) * right
// (packed). A block of kRowBlock rows x kColumnBlock vectors keeps its sums in
// registers over the whole depth: each vector loaded from `right` feeds
// kRowBlock multiply-adds and no partial sum goes through memory.
HEADROOM_MULTIVERSIONED
void multiply(const float* left, int64_t left_row_stride, int64_t left_column_stride,
              const float* right, float* out, int64_t rows, int64_t depth, int64_t columns) {
  const int64_t vectors = (columns + kLanes - 1) / kLanes;
  for (int64_t i0 = 0; i0 < rows; i0 += kRowBlock) {
    const int64_t block_rows = std::min(kRowBlock, rows - i0);
    for (int64_t v0 = 0; v0 < vectors; v0 += kColumnBlock) {
      const int64_t block_vectors = std::min(kColumnBlock, vectors - v0);
      Vector sums[kRowBlock][kColumnBlock] = {};
      if (block_rows == kRowBlock && block_vectors == kColumnBlock) {
        // The full block, with constant trip counts the compiler unrolls.
        for (int64_t p = 0; p < depth; ++p) {
          const float* source = right + (p * vectors + v0) * kLanes;
          const float* scales = left + i0 * left_row_stride + p * left_column_stride;
          for (int64_t r = 0; r < kRowBlock; ++r) {
            const float scale = scales[r * left_row_stride];
            for (int64_t v = 0; v < kColumnBlock; ++v) {
              Vector loaded;  // an unaligned load
              std::memcpy(&loaded, source + v * kLanes, sizeof loaded);
              sums[r][v] += scale * loaded;
            }
          }
        }
      } else {
        for (int64_t p = 0; p < depth; ++p) {
          const float* source = right + (p * vectors + v0) * kLanes;
          for (int64_t r = 0; r < block_rows; ++r) {
            const float scale = left[(i0 + r) * left_row_stride + p * left_column_stride];
            for (int64_t v = 0; v < block_vectors; ++v) {
              Vector loaded;
              std::memcpy(&loaded, source + v * kLanes, sizeof loaded);
              sums[r][v] += scale * loaded;
            }
          }
        }
      }
      const int64_t first_column = v0 * kLanes;
      const int64_t block_columns = std::min(block_vectors * kLanes, columns - first_column);
      for (int64_t r = 0; r < block_rows; ++r) {
        std::memcpy(out + (i0 + r) * columns + first_column, &sums[r][0],
                    std::size_t(block_columns) * sizeof(float));
      }
    }
  }
}

// Rows shorter than a vector waste most of it: below this many columns (and
// with more rows than columns) the transposed product is formed instead.
constexpr int64_t kNarrowColumns = kLanes;

}  // namespace

void small_gemm(const GemmBatch& shape, StridedMatrices a, StridedMatrices b, float* out,
                int64_t first, int64_t last) {
  const int64_t rows = shape.rows, depth = shape.depth, columns = shape.columns;
  const bool transposed = columns < kNarrowColumns && rows > columns;
  std::vector<float> packed;
  std::vector<float> transposed_out(transposed ? std::size_t(rows * columns) : 0);
  for (int64_t index = first; index < last; ++index) {
    const int64_t outer = index / shape.inner, inner = index % shape.inner;
    const float* left = a.data + outer * a.outer_stride + inner * a.inner_stride;
    const float* right = b.data + outer * b.outer_stride + inner * b.inner_stride;
    float* result = out + index * rows * columns;
    if (!transposed) {
      pack(right, b.row_stride, b.column_stride, depth, columns, packed);
      multiply(left, a.row_stride, a.column_stride, packed.data(), result, rows, depth, columns);
      continue;
    }
    // result^T (columns x rows) = b^T (columns x depth) * a^T (depth x rows).
    pack(left, a.column_stride, a.row_stride, depth, rows, packed);
    multiply(right, b.column_stride, b.row_stride, packed.data(), transposed_out.data(), columns,
             depth, rows);
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < columns; ++j)
        result[i * columns + j] = transposed_out[std::size_t(j * rows + i)];
    }
  }
}

}  // namespace headroom::trainer
