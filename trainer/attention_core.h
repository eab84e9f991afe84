#pragma once
// The heads of multi-head attention, between the stacked Q/K/V projection and
// the output projection: per head, softmax(scale * Q K^T [causal mask]) V.
//
// On CPU in fp32 with n and head_size at most kSmallMatmulSide it runs
// trainer/attention_kernel.h's fused kernel, forward and backward; otherwise
// (CUDA, bf16 autocast, larger sizes, other dtypes) the same computation as
// LibTorch operations. The two agree to fp32 rounding; like LibTorch on CPU, a
// given input gives bitwise the same output on every call and thread count.

#include <torch/types.h>

namespace headroom::trainer {

struct AttentionHeads {
  int64_t heads = 1, head_size = 1;
  bool causal = false;
};

// projections (batch, n, 3 * heads * head_size), laid out (batch, n, 3, heads,
// head_size) for queries, keys and values -> (batch, n, heads * head_size),
// the heads' outputs side by side. Differentiable in projections.
torch::Tensor attend(const torch::Tensor& projections, const AttentionHeads& heads);

// The scaled scores scale * Q K^T (batch, heads, n, n), before any causal
// mask and softmax: what the rank diagnostics measure.
torch::Tensor attention_scores(const torch::Tensor& projections, const AttentionHeads& heads);

// The same computation as attend() in LibTorch operations (the fallback;
// tests compare).
torch::Tensor attend_with_torch_operations(const torch::Tensor& projections,
                                           const AttentionHeads& heads);

}  // namespace headroom::trainer
