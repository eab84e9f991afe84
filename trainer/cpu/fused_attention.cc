#include "trainer/cpu/fused_attention.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "trainer/autocast.h"
#include "trainer/cpu/attention_kernel.h"
#include "trainer/cpu/small_gemm.h"

namespace headroom::trainer::cpu {
namespace {

AttentionShape shape_of(const torch::Tensor& projections, const FusedHeads& heads) {
  return {projections.size(0), projections.size(1), heads.heads, heads.head_size, heads.causal,
          float(1.0 / std::sqrt(double(heads.head_size)))};
}

// About 64k multiply-adds a task before another thread is worth waking.
int64_t grain_of(const AttentionShape& s) {
  return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 4 * s.n * s.n * s.head_size));
}

struct FusedAttention : torch::autograd::Function<FusedAttention> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context,
                               const torch::Tensor& input, FusedHeads heads) {
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
    const FusedHeads heads{context->saved_data["heads"].toInt(), context->saved_data["head_size"].toInt(),
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

}  // namespace

bool fused_attention_applies(const torch::Tensor& projections, const FusedHeads& heads) {
  return projections.dim() == 3 && projections.device().is_cpu() && !autocast::enabled(at::kCPU) &&
         projections.scalar_type() == torch::kFloat32 && projections.size(2) == 3 * heads.heads * heads.head_size &&
         projections.size(1) <= kMaxNativeSide && heads.head_size <= kMaxNativeSide;
}

torch::Tensor fused_attention(const torch::Tensor& projections, const FusedHeads& heads) {
  return FusedAttention::apply(projections, heads);
}

}  // namespace headroom::trainer::cpu
