#pragma once
// The two matrix products inside attention, queries x keys^T and weights x
// values, for (batch, heads, rows, depth) tensors. Training with the native
// kernels runs them inside fused_attention.h; this serves the rank
// diagnostics' logits there.
//
// On CPU in fp32 with small matrices (every side at most kMaxNativeSide) it
// runs small_gemm.h's kernel, forward and backward, and is ~4x faster than
// torch::matmul there; otherwise (CUDA, bf16 autocast, large matrices, other
// dtypes) it is torch::matmul. Results agree with torch::matmul to fp32
// rounding; like torch::matmul on CPU, a given input gives bitwise the same
// output on every call.

#include <torch/types.h>

namespace headroom::trainer::cpu {

// a (batch, heads, m, k) x b (batch, heads, k, n) -> (batch, heads, m, n),
// differentiable in both arguments.
torch::Tensor attention_matmul(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace headroom::trainer::cpu
