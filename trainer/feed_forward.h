#pragma once
// The transformer block's feed-forward layer, contract(gelu(expand(x))).
//
// In LibTorch operations, the reference every device runs; or, where the run
// chose the native CPU kernels (trainer/kernels.h), as the blocked operation
// of trainer/cpu/blocked_feed_forward.h. The two agree to fp32 rounding.

#include <torch/types.h>

namespace headroom::trainer {

// expand: d_model -> width, contract: width -> d_model (torch::nn::Linear's
// layout: weight (out, in), bias (out)).
struct FeedForwardParameters {
  torch::Tensor expand_weight, expand_bias, contract_weight, contract_bias;
};

// input (..., d_model) -> (..., d_model). Differentiable in the input and in
// every parameter. `native`: the blocked CPU operation, where it applies.
torch::Tensor feed_forward(const torch::Tensor& input, const FeedForwardParameters& parameters, bool native);

// The LibTorch operations.
torch::Tensor feed_forward_with_torch_operations(const torch::Tensor& input,
                                                 const FeedForwardParameters& parameters);

}  // namespace headroom::trainer
