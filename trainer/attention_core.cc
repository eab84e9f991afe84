#include "trainer/attention_core.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "trainer/cpu/attention_matmul.h"
#include "trainer/cpu/fused_attention.h"

namespace headroom::trainer {
namespace {

float scale_of(const AttentionHeads& heads) { return float(1.0 / std::sqrt(double(heads.head_size))); }

// Queries, keys and values as (batch, heads, n, head_size) views. One unbind,
// not three selects: its backward stacks the three gradients in one pass.
std::vector<torch::Tensor> split_heads(const torch::Tensor& projections, const AttentionHeads& heads) {
  auto parts = projections.view({projections.size(0), projections.size(1), 3, heads.heads, heads.head_size}).unbind(2);
  for (auto& part : parts) part = part.transpose(1, 2);
  return parts;
}

torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b, bool native) {
  return native ? cpu::attention_matmul(a, b) : torch::matmul(a, b);
}

torch::Tensor scores_of(const torch::Tensor& queries, const torch::Tensor& keys, const AttentionHeads& heads) {
  // Scaling the queries leaves the n x n scores untouched.
  return product(queries * scale_of(heads), keys.transpose(-1, -2), heads.native);
}

}  // namespace

torch::Tensor attention_scores(const torch::Tensor& projections, const AttentionHeads& heads) {
  auto parts = split_heads(projections, heads);
  return scores_of(parts[0], parts[1], heads);
}

torch::Tensor attend_with_torch_operations(const torch::Tensor& projections, const AttentionHeads& heads) {
  AttentionHeads reference = heads;
  reference.native = false;
  const int64_t batch = projections.size(0), n = projections.size(1);
  auto parts = split_heads(projections, reference);
  auto scores = scores_of(parts[0], parts[1], reference);
  if (heads.causal) {
    auto future = torch::ones({n, n}, torch::dtype(torch::kBool).device(projections.device())).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  auto mixed = torch::matmul(torch::softmax(scores, -1), parts[2]);
  return mixed.transpose(1, 2).reshape({batch, n, heads.heads * heads.head_size});
}

torch::Tensor attend(const torch::Tensor& projections, const AttentionHeads& heads) {
  const cpu::FusedHeads fused{heads.heads, heads.head_size, heads.causal};
  if (heads.native && cpu::fused_attention_applies(projections, fused)) {
    return cpu::fused_attention(projections, fused);
  }
  return attend_with_torch_operations(projections, heads);
}

}  // namespace headroom::trainer
