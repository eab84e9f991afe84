#pragma once
// The paper's encoder: token and learned position embeddings, `layers` blocks
// of multi-head attention and a GELU feed-forward, pre- or post-LayerNorm, a
// final LayerNorm and a linear output head.
//
// Attention has separate query, key and value projections d_model -> heads x
// head_size, applied as one GEMM against their stacked weights; the heads'
// scores, softmax and weighted values are attention_core.h's attend(), which
// takes the stacked result as it is. The run's KernelChoice (kernels.h) says
// whether attention and the feed-forward layer run as LibTorch operations or
// as the native CPU kernels of trainer/cpu/. Standard
// attention is this module with head_size = d_model / heads; fixed-head-size
// attention is the same module with head_size chosen freely. Which one a run
// uses is decided by the config.

#include <torch/torch.h>

#include "trainer/attention_core.h"
#include "trainer/feed_forward.h"
#include "trainer/kernels.h"
#include "trainer/model_shape.h"

namespace headroom::trainer {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t d_model, int64_t heads, int64_t head_size, bool causal, bool native);
  torch::Tensor forward(const torch::Tensor& x);
  // The pre-softmax logits (batch, heads, n, n) before the causal mask; their
  // rank is at most head_size, the paper's bottleneck.
  torch::Tensor logits(const torch::Tensor& x);

 private:
  // (batch, n, 3 * heads * head_size): queries, keys, values.
  torch::Tensor project(const torch::Tensor& x);
  AttentionHeads heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, output_{nullptr};
};
TORCH_MODULE(Attention);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const ModelShape& shape, bool causal, bool pre_norm, const KernelChoice& kernels);
  torch::Tensor forward(const torch::Tensor& x);
  // The logits of this block's attention for input x (what forward() would use).
  torch::Tensor attention_logits(const torch::Tensor& x);

 private:
  bool pre_norm_;
  bool native_feed_forward_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  Attention attention_{nullptr};
  torch::nn::Linear expand_{nullptr}, contract_{nullptr};
};
TORCH_MODULE(Block);

class EncoderImpl : public torch::nn::Module {
 public:
  EncoderImpl(const ModelShape& shape, bool causal, bool pre_norm, const KernelChoice& kernels = {});
  // Token ids (batch, n) -> output logits (batch, n, outputs).
  torch::Tensor forward(const torch::Tensor& tokens);
  // Output logits (k, outputs) at the k flat positions `rows` of the batch
  // (indices into batch * n) only: masked language modelling scores 15% of
  // the positions, so the final norm and head skip the other 85%.
  torch::Tensor forward_rows(const torch::Tensor& tokens, const torch::Tensor& rows);
  // Attention logits of every layer for the given tokens, in layer order.
  std::vector<torch::Tensor> attention_logits(const torch::Tensor& tokens);

 private:
  torch::Tensor embed(const torch::Tensor& tokens);
  torch::Tensor encode(const torch::Tensor& tokens);  // through every block
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor position_embedding_;
  std::vector<Block> blocks_;
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::nn::Linear output_head_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace headroom::trainer
