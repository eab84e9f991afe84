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

namespace headroom::trainer {

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

// For every batch index b in [first, last) of the flattened (outer, inner)
// batch: out[b] = a[b] (rows x depth) * b[b] (depth x columns), written to a
// contiguous (outer, inner, rows, columns) array. Overwrites out; never reads it.
// Safe to call concurrently on disjoint batch ranges.
void small_gemm(const GemmBatch& shape, StridedMatrices a, StridedMatrices b, float* out,
                int64_t first, int64_t last);

}  // namespace headroom::trainer
