#include "trainer/cpu/small_gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "trainer/cpu/vector_kernels.h"

namespace headroom::trainer::cpu {
namespace {

using vector_kernels::kLanes;
using vector_kernels::Vector;

int64_t whole_vectors(int64_t columns) { return (columns + kLanes - 1) / kLanes; }

// One block of the product: kRows rows x kVectors vectors of columns starting
// at (row, vector), with its sums held in registers over the whole depth, so
// each vector loaded from `right` feeds kRows multiply-adds and no partial sum
// goes through memory. Inlined into each clone of multiply().
template <int64_t kRows, int64_t kVectors>
__attribute__((always_inline)) inline void multiply_block(
    const float* left, int64_t left_row_stride, int64_t left_column_stride,
    const RightOperand& right, float* out, int64_t out_row_stride, int64_t row, int64_t vector) {
  Vector sums[kRows][kVectors];
  for (auto& sums_of_row : sums) {
    for (auto& sum : sums_of_row) sum = Vector{};
  }
  for (int64_t p = 0; p < right.depth; ++p) {
    const float* source = right.rows + p * right.row_stride + vector * kLanes;
    const float* scales = left + row * left_row_stride + p * left_column_stride;
    Vector loaded[kVectors];  // unaligned loads
    for (int64_t v = 0; v < kVectors; ++v)
      std::memcpy(&loaded[v], source + v * kLanes, sizeof(Vector));
    for (int64_t r = 0; r < kRows; ++r) {
      const float scale = scales[r * left_row_stride];
      for (int64_t v = 0; v < kVectors; ++v) sums[r][v] += scale * loaded[v];
    }
  }
  // Whole vectors are stored with fixed-size copies: a variable-length one
  // takes the sums' address, which puts them on the stack, zeroed by a
  // `rep stos` per block (measured: a third of this kernel's time).
  const int64_t first_column = vector * kLanes;
  const int64_t ragged = right.columns - first_column - (kVectors - 1) * kLanes;  // last vector's
  for (int64_t r = 0; r < kRows; ++r) {
    float* target = out + (row + r) * out_row_stride + first_column;
    for (int64_t v = 0; v + 1 < kVectors; ++v) {
      std::memcpy(target + v * kLanes, &sums[r][v], sizeof(Vector));
    }
    const Vector& last = sums[r][kVectors - 1];
    if (ragged >= kLanes) {
      std::memcpy(target + (kVectors - 1) * kLanes, &last, sizeof(Vector));
    } else {
      float lanes[kLanes];
      std::memcpy(lanes, &last, sizeof(Vector));
      std::copy(lanes, lanes + ragged, target + (kVectors - 1) * kLanes);
    }
  }
}

// Blocks of 4 rows x 2 vectors; one vector at the right edge, single rows at
// the bottom edge.
HEADROOM_MULTIVERSIONED
void multiply(const float* left, int64_t left_row_stride, int64_t left_column_stride,
              const RightOperand& right, float* out, int64_t out_row_stride, int64_t rows) {
  const int64_t vectors = whole_vectors(right.columns);
  int64_t row = 0;
  for (; row + 4 <= rows; row += 4) {
    int64_t vector = 0;
    for (; vector + 2 <= vectors; vector += 2) {
      multiply_block<4, 2>(left, left_row_stride, left_column_stride, right, out, out_row_stride,
                           row, vector);
    }
    if (vector < vectors) {
      multiply_block<4, 1>(left, left_row_stride, left_column_stride, right, out, out_row_stride,
                           row, vector);
    }
  }
  for (; row < rows; ++row) {
    for (int64_t vector = 0; vector < vectors; ++vector) {
      multiply_block<1, 1>(left, left_row_stride, left_column_stride, right, out, out_row_stride,
                           row, vector);
    }
  }
}

// The 8 x 8 block at `source` (rows `stride` apart) transposed into `target`
// (rows `target_stride` apart), in registers: three rounds of shuffles.
__attribute__((always_inline)) inline void transpose_block(const float* source, int64_t stride,
                                                           float* target, int64_t target_stride) {
  Vector r[8], t[8], u[8];
  for (int64_t i = 0; i < 8; ++i) std::memcpy(&r[i], source + i * stride, sizeof(Vector));
  // __builtin_shufflevector (GCC >= 12 and clang) takes constant lane indices;
  // 0-7 pick from the first vector, 8-15 from the second.
  for (int64_t i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int64_t i = 0; i < 8; i += 4) {
    u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int64_t i = 0; i < 4; ++i) {
    const Vector low = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    const Vector high = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    std::memcpy(target + i * target_stride, &low, sizeof(Vector));
    std::memcpy(target + (i + 4) * target_stride, &high, sizeof(Vector));
  }
}

// source(p, j) = source[p * row_stride + j * column_stride] into `target`
// (depth rows of `padded` floats, the padding zeroed).
HEADROOM_MULTIVERSIONED
void pack(const float* source, int64_t row_stride, int64_t column_stride, int64_t depth,
          int64_t columns, int64_t padded, float* target) {
  int64_t p_done = 0, j_done = 0;
  if (row_stride == 1) {
    // A transposed source (keys for Q K^T): its rows are the packed columns.
    // Whole 8 x 8 blocks go through registers; scalar copies were 4x slower.
    p_done = depth / 8 * 8;
    j_done = columns / 8 * 8;
    for (int64_t j = 0; j < j_done; j += 8) {
      for (int64_t p = 0; p < p_done; p += 8) {
        transpose_block(source + j * column_stride + p, column_stride, target + p * padded + j,
                        padded);
      }
    }
  }
  for (int64_t p = 0; p < depth; ++p) {
    float* row = target + p * padded;
    const int64_t first = p < p_done ? j_done : 0;  // left of it, done by the blocks
    for (int64_t j = first; j < columns; ++j) row[j] = source[p * row_stride + j * column_stride];
    std::fill(row + columns, row + padded, 0.0f);
  }
}

}  // namespace

void RightOperand::prepare(const float* source, int64_t row_stride, int64_t column_stride,
                           int64_t source_depth, int64_t source_columns) {
  depth = source_depth;
  columns = source_columns;
  if (column_stride == 1 && columns % kLanes == 0) {
    rows = source;  // already rows of whole vectors: read in place
    this->row_stride = row_stride;
    return;
  }
  this->row_stride = whole_vectors(columns) * kLanes;
  buffer.resize(std::size_t(depth * this->row_stride));
  pack(source, row_stride, column_stride, depth, columns, this->row_stride, buffer.data());
  rows = buffer.data();
}

void multiply_packed(const float* left, int64_t left_row_stride, int64_t left_column_stride,
                     const RightOperand& right, float* out, int64_t out_row_stride, int64_t rows) {
  multiply(left, left_row_stride, left_column_stride, right, out, out_row_stride, rows);
}

void small_gemm(const GemmBatch& shape, StridedMatrices a, StridedMatrices b, float* out,
                int64_t first, int64_t last) {
  RightOperand packed;
  for (int64_t index = first; index < last; ++index) {
    const int64_t outer = index / shape.inner, inner = index % shape.inner;
    const float* left = a.data + outer * a.outer_stride + inner * a.inner_stride;
    const float* right = b.data + outer * b.outer_stride + inner * b.inner_stride;
    packed.prepare(right, b.row_stride, b.column_stride, shape.depth, shape.columns);
    multiply(left, a.row_stride, a.column_stride, packed, out + index * shape.rows * shape.columns,
             shape.columns, shape.rows);
  }
}

}  // namespace headroom::trainer::cpu
