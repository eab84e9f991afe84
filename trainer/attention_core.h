#pragma once
// The heads of multi-head attention, between the stacked Q/K/V projection and
// the output projection: per head, softmax(scale * Q K^T [causal mask]) V.
//
// In LibTorch operations, the reference every device runs; or, where the run
// chose the native CPU kernels (trainer/kernels.h), as the fused operation of
// trainer/cpu/fused_attention.h. The two agree to fp32 rounding; like LibTorch
// on CPU, a given input gives bitwise the same output on every call and
// thread count.

#include <torch/types.h>

namespace headroom::trainer {

struct AttentionHeads {
  int64_t heads = 1, head_size = 1;
  bool causal = false;
  bool native = false;  // the native CPU kernels, where they apply
};

// projections (batch, n, 3 * heads * head_size), laid out (batch, n, 3, heads,
// head_size) for queries, keys and values -> (batch, n, heads * head_size),
// the heads' outputs side by side. Differentiable in projections.
torch::Tensor attend(const torch::Tensor& projections, const AttentionHeads& heads);

// The scaled scores scale * Q K^T (batch, heads, n, n), before any causal
// mask and softmax: what the rank diagnostics measure.
torch::Tensor attention_scores(const torch::Tensor& projections, const AttentionHeads& heads);

// attend() in LibTorch operations, whatever `heads.native` says.
torch::Tensor attend_with_torch_operations(const torch::Tensor& projections, const AttentionHeads& heads);

}  // namespace headroom::trainer
