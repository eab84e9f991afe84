#include "trainer/feed_forward.h"

#include "trainer/cpu/blocked_feed_forward.h"

namespace headroom::trainer {

torch::Tensor feed_forward_with_torch_operations(const torch::Tensor& input, const FeedForwardParameters& p) {
  auto expanded = at::linear(input, p.expand_weight, p.expand_bias);
  return at::linear(at::gelu(expanded), p.contract_weight, p.contract_bias);
}

torch::Tensor feed_forward(const torch::Tensor& input, const FeedForwardParameters& p, bool native) {
  if (native &&
      cpu::blocked_feed_forward_applies({input, p.expand_weight, p.expand_bias, p.contract_weight, p.contract_bias})) {
    return cpu::blocked_feed_forward(input, p.expand_weight, p.expand_bias, p.contract_weight, p.contract_bias);
  }
  return feed_forward_with_torch_operations(input, p);
}

}  // namespace headroom::trainer
