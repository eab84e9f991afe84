#include "trainer/attention_core.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <limits>
#include <vector>

#include "trainer/attention_kernel.h"
#include "trainer/attention_matmul.h"
#include "trainer/autocast.h"

namespace headroom::trainer {
namespace {

float scale_of(const AttentionHeads& heads) {
  return float(1.0 / std::sqrt(double(heads.head_size)));
}

bool fused_kernel_applies(const torch::Tensor& projections, const AttentionHeads& heads) {
  return projections.dim() == 3 && projections.device().is_cpu() && !autocast::enabled(at::kCPU) &&
         projections.scalar_type() == torch::kFloat32 &&
         projections.size(2) == 3 * heads.heads * heads.head_size &&
         projections.size(1) <= kSmallMatmulSide && heads.head_size <= kSmallMatmulSide;
}

AttentionShape shape_of(const torch::Tensor& projections, const AttentionHeads& heads) {
  return {projections.size(0), projections.size(1), heads.heads,
          heads.head_size,     heads.causal,        scale_of(heads)};
}

// About 64k multiply-adds a task before another thread is worth waking.
int64_t grain_of(const AttentionShape& s) {
  return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 4 * s.n * s.n * s.head_size));
}

struct FusedAttention : torch::autograd::Function<FusedAttention> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context,
                               const torch::Tensor& input, AttentionHeads heads) {
    auto projections = input.contiguous();
    const AttentionShape s = shape_of(projections, heads);
    auto weights = torch::empty({s.batch, s.heads, s.n, s.n}, projections.options());
    auto out = torch::empty({s.batch, s.n, s.heads * s.head_size}, projections.options());
    const float* source = projections.data_ptr<float>();
    float* weights_data = weights.data_ptr<float>();
    float* out_data = out.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, grain_of(s), [&](int64_t first, int64_t last) {
      attention_forward(s, source, weights_data, out_data, first, last);
    });
    context->save_for_backward({projections, weights});
    context->saved_data["heads"] = heads.heads;
    context->saved_data["head_size"] = heads.head_size;
    context->saved_data["causal"] = heads.causal;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradients) {
    auto saved = context->get_saved_variables();
    const auto& projections = saved[0];
    const auto& weights = saved[1];
    const AttentionHeads heads{context->saved_data["heads"].toInt(),
                               context->saved_data["head_size"].toInt(),
                               context->saved_data["causal"].toBool()};
    const AttentionShape s = shape_of(projections, heads);
    auto upstream = gradients[0].contiguous();
    auto gradient = torch::empty_like(projections);
    const float* source = projections.data_ptr<float>();
    const float* weights_data = weights.data_ptr<float>();
    const float* upstream_data = upstream.data_ptr<float>();
    float* gradient_data = gradient.data_ptr<float>();
    at::parallel_for(0, s.batch * s.heads, grain_of(s), [&](int64_t first, int64_t last) {
      attention_backward(s, source, weights_data, upstream_data, gradient_data, first, last);
    });
    return {gradient, torch::Tensor()};
  }
};

// Queries, keys and values as (batch, heads, n, head_size) views. One unbind,
// not three selects: its backward stacks the three gradients in one pass.
std::vector<torch::Tensor> split_heads(const torch::Tensor& projections,
                                       const AttentionHeads& heads) {
  auto parts =
      projections.view({projections.size(0), projections.size(1), 3, heads.heads, heads.head_size})
          .unbind(2);
  for (auto& part : parts) part = part.transpose(1, 2);
  return parts;
}

torch::Tensor scores_of(const torch::Tensor& queries, const torch::Tensor& keys,
                        const AttentionHeads& heads) {
  // Scaling the queries leaves the n x n scores untouched.
  return attention_matmul(queries * scale_of(heads), keys.transpose(-1, -2));
}

}  // namespace

torch::Tensor attention_scores(const torch::Tensor& projections, const AttentionHeads& heads) {
  auto parts = split_heads(projections, heads);
  return scores_of(parts[0], parts[1], heads);
}

torch::Tensor attend_with_torch_operations(const torch::Tensor& projections,
                                           const AttentionHeads& heads) {
  const int64_t batch = projections.size(0), n = projections.size(1);
  auto parts = split_heads(projections, heads);
  auto scores = scores_of(parts[0], parts[1], heads);
  if (heads.causal) {
    auto future =
        torch::ones({n, n}, torch::dtype(torch::kBool).device(projections.device())).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  auto mixed = attention_matmul(torch::softmax(scores, -1), parts[2]);
  return mixed.transpose(1, 2).reshape({batch, n, heads.heads * heads.head_size});
}

torch::Tensor attend(const torch::Tensor& projections, const AttentionHeads& heads) {
  if (!fused_kernel_applies(projections, heads)) {
    return attend_with_torch_operations(projections, heads);
  }
  return FusedAttention::apply(projections, heads);
}

}  // namespace headroom::trainer
