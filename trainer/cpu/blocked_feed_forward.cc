#include "trainer/cpu/blocked_feed_forward.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "trainer/autocast.h"
#include "trainer/cpu/gelu_kernel.h"

namespace headroom::trainer::cpu {

int64_t rows_per_block(int64_t width) {
  // Blocks of about 512 KiB of activations (512 rows at width 256, 256 at
  // 512). Side by side at d_model 64 and 128, blocks of 128 and 256 KiB were
  // no faster: each block also pays ~10 LibTorch calls and smaller GEMMs.
  return std::clamp<int64_t>(131072 / std::max<int64_t>(1, width), 16, 4096);
}

namespace {

void gelu_of(const torch::Tensor& input, torch::Tensor& output) {
  gelu_forward(input.data_ptr<float>(), output.data_ptr<float>(), input.numel());
}

struct BlockedFeedForward : torch::autograd::Function<BlockedFeedForward> {
  // input (rows, d_model), contiguous.
  static torch::Tensor forward(torch::autograd::AutogradContext* context,
                               const torch::Tensor& input, const torch::Tensor& expand_weight,
                               const torch::Tensor& expand_bias,
                               const torch::Tensor& contract_weight,
                               const torch::Tensor& contract_bias) {
    const int64_t rows = input.size(0), width = expand_weight.size(0);
    const int64_t block = rows_per_block(width);
    auto expanded = torch::empty({rows, width}, input.options());  // saved for backward
    auto out = torch::empty({rows, contract_weight.size(0)}, input.options());
    auto activation = torch::empty({std::min(block, rows), width}, input.options());
    const auto expand_transposed = expand_weight.t(), contract_transposed = contract_weight.t();
    for (int64_t first = 0; first < rows; first += block) {
      const int64_t count = std::min(block, rows - first);
      auto expanded_block = expanded.narrow(0, first, count);
      auto activation_block = activation.narrow(0, 0, count);
      at::addmm_out(expanded_block, expand_bias, input.narrow(0, first, count), expand_transposed);
      gelu_of(expanded_block, activation_block);
      auto out_block = out.narrow(0, first, count);
      at::addmm_out(out_block, contract_bias, activation_block, contract_transposed);
    }
    context->save_for_backward({input, expanded, expand_weight, contract_weight});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradients) {
    const auto saved = context->get_saved_variables();
    const auto &input = saved[0], &expanded = saved[1];
    const auto &expand_weight = saved[2], &contract_weight = saved[3];
    const auto upstream = gradients[0].contiguous();
    const int64_t rows = input.size(0), width = expand_weight.size(0);
    const int64_t block = rows_per_block(width);

    auto input_gradient = torch::empty_like(input);
    auto expand_weight_gradient = torch::zeros_like(expand_weight);
    auto expand_bias_gradient = torch::zeros({width}, input.options());
    auto contract_weight_gradient = torch::zeros_like(contract_weight);
    auto contract_bias_gradient = upstream.sum(0);
    auto activation = torch::empty({std::min(block, rows), width}, input.options());
    auto activation_gradient = torch::empty_like(activation);
    for (int64_t first = 0; first < rows; first += block) {
      const int64_t count = std::min(block, rows - first);
      const auto expanded_block = expanded.narrow(0, first, count);
      const auto upstream_block = upstream.narrow(0, first, count);
      auto activation_block = activation.narrow(0, 0, count);
      auto gradient_block = activation_gradient.narrow(0, 0, count);
      at::mm_out(gradient_block, upstream_block, contract_weight);
      // The activations' gradient becomes the expansion's, in place, and the
      // activations are recomputed in the same pass (cheaper than a read back).
      gelu_backward(expanded_block.data_ptr<float>(), gradient_block.data_ptr<float>(),
                    gradient_block.data_ptr<float>(), activation_block.data_ptr<float>(),
                    gradient_block.numel());
      contract_weight_gradient.addmm_(upstream_block.t(), activation_block);
      expand_bias_gradient.add_(gradient_block.sum(0));
      expand_weight_gradient.addmm_(gradient_block.t(), input.narrow(0, first, count));
      auto input_gradient_block = input_gradient.narrow(0, first, count);
      at::mm_out(input_gradient_block, gradient_block, expand_weight);
    }
    return {input_gradient, expand_weight_gradient, expand_bias_gradient, contract_weight_gradient,
            contract_bias_gradient};
  }
};

}  // namespace

bool blocked_feed_forward_applies(const std::vector<torch::Tensor>& tensors) {
  for (const auto& tensor : tensors) {
    if (!tensor.device().is_cpu() || tensor.scalar_type() != torch::kFloat32) return false;
  }
  return !autocast::enabled(at::kCPU);
}

torch::Tensor blocked_feed_forward(const torch::Tensor& input, const torch::Tensor& expand_weight,
                                   const torch::Tensor& expand_bias, const torch::Tensor& contract_weight,
                                   const torch::Tensor& contract_bias) {
  auto sizes = input.sizes().vec();
  auto rows = input.reshape({-1, input.size(-1)}).contiguous();
  auto out = BlockedFeedForward::apply(rows, expand_weight, expand_bias, contract_weight, contract_bias);
  sizes.back() = out.size(1);
  return out.view(sizes);
}

}  // namespace headroom::trainer::cpu
