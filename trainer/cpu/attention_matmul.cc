#include "trainer/cpu/attention_matmul.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "trainer/autocast.h"
#include "trainer/cpu/small_gemm.h"

namespace headroom::trainer::cpu {
namespace {

bool small_cpu_fp32(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.dim() != 4 || b.dim() != 4) return false;
  if (!a.device().is_cpu() || !b.device().is_cpu() || autocast::enabled(at::kCPU)) return false;
  if (a.scalar_type() != torch::kFloat32 || b.scalar_type() != torch::kFloat32) return false;
  if (a.size(0) != b.size(0) || a.size(1) != b.size(1) || a.size(3) != b.size(2)) return false;
  return a.size(2) <= kMaxNativeSide && a.size(3) <= kMaxNativeSide && b.size(3) <= kMaxNativeSide;
}

StridedMatrices strided(const torch::Tensor& t) {
  return {t.data_ptr<float>(), t.stride(0), t.stride(1), t.stride(2), t.stride(3)};
}

torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b) {
  const GemmBatch shape{a.size(0), a.size(1), a.size(2), a.size(3), b.size(3)};
  auto out = torch::empty({shape.outer, shape.inner, shape.rows, shape.columns}, a.options());
  const StridedMatrices left = strided(a), right = strided(b);
  float* result = out.data_ptr<float>();
  // About 64k multiply-adds a task before another thread is worth waking.
  const int64_t grain =
      std::max<int64_t>(1, 65536 / std::max<int64_t>(1, shape.rows * shape.depth * shape.columns));
  at::parallel_for(0, shape.outer * shape.inner, grain, [&](int64_t first, int64_t last) {
    small_gemm(shape, left, right, result, first, last);
  });
  return out;
}

struct SmallMatmul : torch::autograd::Function<SmallMatmul> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& a,
                               const torch::Tensor& b) {
    context->save_for_backward({a, b});
    return product(a, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradients) {
    auto saved = context->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const auto& gradient = gradients[0];
    torch::Tensor a_gradient, b_gradient;
    if (context->needs_input_grad(0)) a_gradient = product(gradient, b.transpose(-1, -2));
    if (context->needs_input_grad(1)) b_gradient = product(a.transpose(-1, -2), gradient);
    return {a_gradient, b_gradient};
  }
};

}  // namespace

torch::Tensor attention_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (!small_cpu_fp32(a, b)) return torch::matmul(a, b);
  return SmallMatmul::apply(a, b);
}

}  // namespace headroom::trainer::cpu
