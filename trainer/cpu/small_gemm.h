#pragma once
// Products of many small fp32 matrices, the shape attention multiplies:
// (batch x heads) products of n x head_size by head_size x n, and back.
//
// Why not BLAS: LibTorch 1.13's CPU bmm without MKL calls sgemm once per
// matrix, and at these sizes (32 x 16 x 32) the call, packing and per-matrix
// tensor bookkeeping cost several times the arithmetic: the attention products
// were measured at ~4 GFLOP/s, a fifth of a 2-layer encoder's step. This
// kernel keeps 4-row blocks of the result in registers over the whole depth
// and reaches 20-45 GFLOP/s on the same shapes (AVX2).
//
// Torch-free: it takes raw pointers and strides, so it is tested without
// LibTorch against a naive product.

#include <cstdint>
#include <vector>

namespace headroom::trainer::cpu {

// The largest sequence length and head size the native attention kernels are
// for: beyond it their n x n blocks no longer sit in L1, and LibTorch's
// operations serve (trainer/kernels.h).
inline constexpr int64_t kMaxNativeSide = 128;

// A batch of matrices indexed (outer, inner, row, column) by strides in
// elements; any strides, including transposed views and broadcast (0).
struct StridedMatrices {
  const float* data = nullptr;
  int64_t outer_stride = 0, inner_stride = 0, row_stride = 0, column_stride = 0;
};

struct GemmBatch {
  int64_t outer = 1, inner = 1;              // the two batch dimensions (e.g. batch, heads)
  int64_t rows = 0, depth = 0, columns = 0;  // result is rows x columns, summed over depth
};

// The right-hand matrix (depth x columns) as the kernel reads it: `depth` rows
// of whole 8-float vectors, `row_stride` floats apart. A source whose rows are
// already contiguous whole vectors (a head of 8, 16, 32... values) is read in
// place; any other (transposed, or a ragged width) is packed into `buffer`,
// rows padded with zeros. Preparing again reuses the buffer; a prepared
// operand read in place is valid while its source is.
struct RightOperand {
  const float* rows = nullptr;
  int64_t row_stride = 0, depth = 0, columns = 0;
  std::vector<float> buffer;

  // source(p, j) = source[p * row_stride + j * column_stride].
  void prepare(const float* source, int64_t row_stride, int64_t column_stride, int64_t depth,
               int64_t columns);
};

// out (rows x right.columns; row r starts at out + r * out_row_stride, its
// columns contiguous) = left (rows x right.depth, any strides) * right.
// Overwrites those elements of out only.
void multiply_packed(const float* left, int64_t left_row_stride, int64_t left_column_stride,
                     const RightOperand& right, float* out, int64_t out_row_stride, int64_t rows);

// For every batch index b in [first, last) of the flattened (outer, inner)
// batch: out[b] = a[b] (rows x depth) * b[b] (depth x columns), written to a
// contiguous (outer, inner, rows, columns) array. Overwrites out; never reads it.
// Safe to call concurrently on disjoint batch ranges.
void small_gemm(const GemmBatch& shape, StridedMatrices a, StridedMatrices b, float* out,
                int64_t first, int64_t last);

}  // namespace headroom::trainer::cpu
