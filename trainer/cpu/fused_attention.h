#pragma once
// Multi-head attention's heads as one differentiable CPU operation in fp32:
// per (batch, head), scores, softmax, weighted values and the whole backward
// pass, run by attention_kernel.h's fused kernel with each n x n block in L1,
// reading the stacked Q/K/V projection and writing the heads' outputs in the
// layout the output projection reads. trainer/attention_core.h computes the
// same in LibTorch operations; the two agree to fp32 rounding and, like
// LibTorch on CPU, give bitwise the same output on every call and thread count.

#include <torch/types.h>

namespace headroom::trainer::cpu {

struct FusedHeads {
  int64_t heads = 1, head_size = 1;
  bool causal = false;
};

// The projections are (batch, n, 3 * heads * head_size) fp32 on the CPU,
// outside bf16 autocast, with n and head_size at most kMaxNativeSide.
bool fused_attention_applies(const torch::Tensor& projections, const FusedHeads& heads);

// projections (batch, n, 3 * heads * head_size), laid out (batch, n, 3,
// heads, head_size) -> (batch, n, heads * head_size). Differentiable.
torch::Tensor fused_attention(const torch::Tensor& projections, const FusedHeads& heads);

}  // namespace headroom::trainer::cpu
