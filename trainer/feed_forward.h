#pragma once
// The transformer block's feed-forward layer, contract(gelu(expand(x))), as one
// differentiable operation.
//
// On CPU in fp32 with one thread it runs in blocks of rows: each block's
// expansion goes through the GELU (trainer/gelu_kernel.h) and into the
// contraction while it is in cache, and the backward pass recomputes a block's
// activations from the saved expansion, in the pass that computes the GELU's
// gradient, instead of reading them back. As
// separate LibTorch operations, the ffn_width-wide activations, their
// gradients and the GELU's gradient each went through memory several times per
// step (2 MiB apiece at d_model 64, batch 64 x 32 positions), and LibTorch's
// GELU and its gradient (oneDNN's, memory-bound there) took 9% of a step. Elsewhere (CUDA, bf16
// autocast, other dtypes, more threads, where LibTorch spreads the element-wise passes over the
// threads) it runs those LibTorch operations.
//
// The two paths agree to fp32 rounding; each gives bitwise the same result on
// every call for the same inputs and thread count.

#include <torch/types.h>

namespace headroom::trainer {

// expand: d_model -> width, contract: width -> d_model (torch::nn::Linear's
// layout: weight (out, in), bias (out)).
struct FeedForwardParameters {
  torch::Tensor expand_weight, expand_bias, contract_weight, contract_bias;
};

// input (..., d_model) -> (..., d_model). Differentiable in the input and in
// every parameter.
torch::Tensor feed_forward(const torch::Tensor& input, const FeedForwardParameters& parameters);

// The same computation as LibTorch operations (the fallback; tests compare).
torch::Tensor feed_forward_with_torch_operations(const torch::Tensor& input,
                                                 const FeedForwardParameters& parameters);

// Rows per block of the blocked path for a given width (exposed for tests,
// which check inputs of fewer, as many and more rows).
int64_t feed_forward_rows_per_block(int64_t width);

}  // namespace headroom::trainer
