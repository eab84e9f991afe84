#pragma once
// Attention's core on CPU in fp32, fused: for every (batch, head), scores =
// scale * Q K^T (future positions masked when causal), weights = softmax of
// each row, out = weights V; and the backward pass of all of it.
//
// Why fused: as separate LibTorch operations each step wrote and re-read the
// (batch, heads, n, n) scores five times (product, softmax, its backward, two
// products), split and re-stacked the projections and transposed the heads'
// outputs back together: at 16 heads of 32 over n = 32 that is a 4 MiB tensor
// per pass, larger than the cache. Here one (batch, head) at a time goes
// through the whole chain while its n x n block stays in L1, reading the
// queries, keys and values straight out of the stacked projection and writing
// the heads' outputs straight into the layout the output projection reads.
//
// Torch-free (raw pointers), so it is tested without LibTorch against a naive
// double-precision implementation.

#include <cstdint>

namespace headroom::trainer::cpu {

struct AttentionShape {
  int64_t batch = 0, n = 0, heads = 0, head_size = 0;
  bool causal = false;  // position i attends to positions <= i only
  float scale = 1.0f;   // multiplies the scores before the softmax
};

// Layouts, all contiguous row-major:
//   projections (batch, n, 3, heads, head_size): queries, keys, values; the
//       output of one stacked Q/K/V projection.
//   weights (batch, heads, n, n): the softmax probabilities (0 where masked),
//       written by the forward pass and read by the backward pass.
//   out (batch, n, heads, head_size): the heads' outputs side by side.
//
// Both functions handle the (batch, head) pairs with flat index
// batch * heads + head in [first, last), overwrite only those pairs' parts of
// their outputs, and are safe to call concurrently on disjoint ranges. Results
// do not depend on how the range is split.

void attention_forward(const AttentionShape& shape, const float* projections, float* weights,
                       float* out, int64_t first, int64_t last);

// Given out_gradient (the layout of out), writes projections_gradient (the
// layout of projections): the gradients of the queries, keys and values.
void attention_backward(const AttentionShape& shape, const float* projections, const float* weights,
                        const float* out_gradient, float* projections_gradient, int64_t first,
                        int64_t last);

}  // namespace headroom::trainer::cpu
