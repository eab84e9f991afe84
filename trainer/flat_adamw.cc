#include "trainer/flat_adamw.h"

#include <ATen/ATen.h>
#include <c10/util/string_utils.h>

#include <cmath>
#include <stdexcept>

namespace headroom::trainer {

FlatAdamW::FlatAdamW(std::vector<torch::Tensor> parameters, const FlatAdamWOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  if (parameters_.empty()) throw std::invalid_argument("FlatAdamW: no parameters");
  torch::NoGradGuard no_grad;
  int64_t total = 0;
  for (const auto& parameter : parameters_) total += parameter.numel();
  const auto tensor_options = parameters_.front().options().requires_grad(false);
  values_ = torch::empty({total}, tensor_options);
  gradients_ = torch::zeros({total}, tensor_options);
  exp_avg_ = torch::zeros({total}, tensor_options);
  exp_avg_sq_ = torch::zeros({total}, tensor_options);
  int64_t offset = 0;
  for (auto& parameter : parameters_) {
    const int64_t size = parameter.numel();
    auto value = values_.slice(0, offset, offset + size).view(parameter.sizes());
    value.copy_(parameter);
    // The parameter stays the same leaf variable; only its storage moves.
    parameter.set_data(value);
    // Backward adds into an existing gradient in place, so every gradient
    // lands in the flat buffer.
    parameter.mutable_grad() = gradients_.slice(0, offset, offset + size).view(parameter.sizes());
    offset += size;
  }
}

void FlatAdamW::zero_grad() { gradients_.zero_(); }

double FlatAdamW::clip_grad_norm(double max_norm) {
  const double norm = gradients_.norm().item<double>();
  const double scale = max_norm / (norm + 1e-6);
  if (scale < 1) gradients_.mul_(scale);
  return norm;
}

void FlatAdamW::step(double learning_rate) {
  torch::NoGradGuard no_grad;
  steps_ += 1;
  const double bias_correction1 = 1 - std::pow(options_.beta1, double(steps_));
  const double bias_correction2 = 1 - std::pow(options_.beta2, double(steps_));
  if (options_.weight_decay != 0) values_.mul_(1 - learning_rate * options_.weight_decay);
  exp_avg_.mul_(options_.beta1).add_(gradients_, 1 - options_.beta1);
  exp_avg_sq_.mul_(options_.beta2).addcmul_(gradients_, gradients_, 1 - options_.beta2);
  auto denominator = (exp_avg_sq_.sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
  values_.addcdiv_(exp_avg_, denominator, -learning_rate / bias_correction1);
}

void FlatAdamW::save(torch::serialize::OutputArchive& archive) const {
  archive.write("flat_adamw_steps", torch::tensor(steps_));
  archive.write("exp_avg", exp_avg_);
  archive.write("exp_avg_sq", exp_avg_sq_);
}

void FlatAdamW::load(torch::serialize::InputArchive& archive) {
  torch::Tensor steps, exp_avg, exp_avg_sq;
  if (!archive.try_read("flat_adamw_steps", steps)) {
    load_per_parameter(archive);
    return;
  }
  archive.read("exp_avg", exp_avg);
  archive.read("exp_avg_sq", exp_avg_sq);
  if (exp_avg.numel() != exp_avg_.numel() || exp_avg_sq.numel() != exp_avg_sq_.numel()) {
    throw std::runtime_error("checkpoint optimiser state has " + std::to_string(exp_avg.numel()) +
                             " values, the model " + std::to_string(exp_avg_.numel()));
  }
  torch::NoGradGuard no_grad;
  exp_avg_.copy_(exp_avg);
  exp_avg_sq_.copy_(exp_avg_sq);
  steps_ = steps.item<int64_t>();
}

// torch::optim::AdamW's archive, read by torch::optim::AdamW itself over the
// same parameters in the same order, then copied into the flat moments.
void FlatAdamW::load_per_parameter(torch::serialize::InputArchive& archive) {
  torch::optim::AdamW reader(parameters_, torch::optim::AdamWOptions(0.0));
  reader.load(archive);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& parameter : parameters_) {
    const int64_t size = parameter.numel();
    auto found = reader.state().find(c10::guts::to_string(parameter.unsafeGetTensorImpl()));
    if (found != reader.state().end()) {
      const auto& state = static_cast<const torch::optim::AdamWParamState&>(*found->second);
      exp_avg_.slice(0, offset, offset + size).copy_(state.exp_avg().reshape({-1}));
      exp_avg_sq_.slice(0, offset, offset + size).copy_(state.exp_avg_sq().reshape({-1}));
      steps_ = state.step();
    }
    offset += size;
  }
}

}  // namespace headroom::trainer
