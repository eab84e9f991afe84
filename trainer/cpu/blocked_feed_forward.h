#pragma once
// The transformer block's feed-forward layer, contract(gelu(expand(x))), as
// one differentiable CPU operation in fp32, run in blocks of rows: each
// block's expansion goes through the GELU (gelu_kernel.h) and into the
// contraction while it is in cache, and the backward pass recomputes a
// block's activations from the saved expansion, in the pass that computes the
// GELU's gradient, instead of reading them back.
//
// Why: as separate LibTorch operations the ffn_width-wide activations, their
// gradients and the GELU's gradient each went through memory several times per
// step (2 MiB apiece at d_model 64, batch 64 x 32 positions), and LibTorch
// 1.13's GELU and its gradient (oneDNN's, memory-bound there) took 9% of a
// step. Measured faster with one thread only: with more, LibTorch spreads its
// element-wise passes over them (trainer/kernels.h chooses).
//
// It agrees with trainer/feed_forward.h's LibTorch operations to fp32
// rounding and gives bitwise the same result on every call for the same
// inputs and thread count.

#include <torch/types.h>

#include <vector>

namespace headroom::trainer::cpu {

// The inputs are fp32 tensors on the CPU, outside bf16 autocast.
bool blocked_feed_forward_applies(const std::vector<torch::Tensor>& tensors);

// input (..., d_model) -> (..., d_model); expand: d_model -> width, contract:
// width -> d_model (torch::nn::Linear's layout: weight (out, in), bias (out)).
// Differentiable in the input and in every parameter.
torch::Tensor blocked_feed_forward(const torch::Tensor& input, const torch::Tensor& expand_weight,
                                   const torch::Tensor& expand_bias, const torch::Tensor& contract_weight,
                                   const torch::Tensor& contract_bias);

// Rows per block for a given width (exposed for tests, which check inputs of
// fewer, as many and more rows than a block).
int64_t rows_per_block(int64_t width);

}  // namespace headroom::trainer::cpu
