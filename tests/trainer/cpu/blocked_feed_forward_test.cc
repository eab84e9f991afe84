// feed_forward() with the native kernels (the blocked operation, with the
// GELU kernel) against its LibTorch operations: values and the gradients of
// the input and of every parameter, for inputs of fewer, as many and more rows
// than one block; where it falls back; bitwise repeatability.
#include "trainer/cpu/blocked_feed_forward.h"

#include "trainer/feed_forward.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "trainer/autocast.h"

namespace headroom::trainer {
namespace {

FeedForwardParameters random_parameters(int64_t d_model, int64_t width) {
  return {torch::randn({width, d_model}) / 8, torch::randn({width}),
          torch::randn({d_model, width}) / 16, torch::randn({d_model})};
}

// The output, then the gradients of the input and the four parameters.
std::vector<torch::Tensor> run(const torch::Tensor& input, const FeedForwardParameters& p,
                               const torch::Tensor& upstream, bool with_torch_operations) {
  std::vector<torch::Tensor> leaves;
  for (const auto& tensor :
       {input, p.expand_weight, p.expand_bias, p.contract_weight, p.contract_bias}) {
    leaves.push_back(tensor.detach().requires_grad_(true));
  }
  const FeedForwardParameters q{leaves[1], leaves[2], leaves[3], leaves[4]};
  auto out = with_torch_operations ? feed_forward_with_torch_operations(leaves[0], q)
                                   : feed_forward(leaves[0], q, true);
  out.backward(upstream);
  std::vector<torch::Tensor> results = {out.detach()};
  for (const auto& leaf : leaves) results.push_back(leaf.grad());
  return results;
}

void expect_same_as_torch_operations(int64_t batch, int64_t n, int64_t d_model, int64_t width) {
  const auto p = random_parameters(d_model, width);
  auto input = torch::randn({batch, n, d_model});
  auto upstream = torch::randn({batch, n, d_model});
  const auto ours = run(input, p, upstream, false);
  const auto theirs = run(input, p, upstream, true);
  const char* names[] = {"output",
                         "input gradient",
                         "expand weight gradient",
                         "expand bias gradient",
                         "contract weight gradient",
                         "contract bias gradient"};
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const std::string what = std::string(names[i]) + " at " + std::to_string(batch * n) +
                             " rows, d_model " + std::to_string(d_model) + ", width " +
                             std::to_string(width);
    ASSERT_EQ(ours[i].sizes(), theirs[i].sizes()) << what;
    const double scale = theirs[i].abs().max().item<double>();
    EXPECT_LE((ours[i] - theirs[i]).abs().max().item<double>(), 2e-6 * scale + 1e-6)
        << what << ": " << (ours[i] - theirs[i]).abs().max();
  }
}

TEST(FeedForward, TheBlockedPathMatchesTorchOperationsWithGradients) {
  torch::manual_seed(0);
  torch::set_num_threads(1);
  const int64_t block = cpu::rows_per_block(256);
  ASSERT_LT(block, 64 * 32) << "the demo's batch must span several blocks";
  expect_same_as_torch_operations(64, 32, 64, 256);  // the demo's shape: whole blocks
  expect_same_as_torch_operations(3, 32, 128, 512);
  expect_same_as_torch_operations(1, block - 3, 64, 256);      // fewer rows than a block
  expect_same_as_torch_operations(1, block, 64, 256);          // exactly one block
  expect_same_as_torch_operations(1, 2 * block + 5, 64, 256);  // a ragged last block
  expect_same_as_torch_operations(2, 7, 5, 13);                // widths that are not whole vectors
}

TEST(FeedForward, UnderBf16AutocastItRunsTorchOperationsInBf16) {
  torch::set_num_threads(1);
  const auto p = random_parameters(16, 64);
  torch::Tensor out;
  {
    autocast::Scope bf16(true, at::kCPU);
    out = feed_forward(torch::randn({2, 8, 16}), p, true);
  }
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
}

TEST(FeedForward, WithMoreThreadsTheBlockedPathStillMatches) {
  // kernels: native keeps it at any thread count (kernels.h: auto does not).
  torch::manual_seed(1);
  torch::set_num_threads(2);
  expect_same_as_torch_operations(4, 32, 32, 128);
  torch::set_num_threads(1);
}

TEST(FeedForward, WithoutNativeKernelsItIsTheTorchOperations) {
  torch::manual_seed(3);
  const auto p = random_parameters(32, 128);
  auto input = torch::randn({4, 32, 32});
  EXPECT_TRUE(torch::equal(feed_forward(input, p, false), feed_forward_with_torch_operations(input, p)));
}

TEST(FeedForward, IsBitwiseRepeatable) {
  torch::manual_seed(2);
  torch::set_num_threads(1);
  const auto p = random_parameters(64, 256);
  auto input = torch::randn({16, 32, 64});
  auto upstream = torch::randn({16, 32, 64});
  const auto first = run(input, p, upstream, false);
  const auto second = run(input, p, upstream, false);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(torch::equal(first[i], second[i]));
}

}  // namespace
}  // namespace headroom::trainer
