// attend() with the native kernels (the fused CPU operation) against its
// LibTorch operations: values and gradients for both attention kinds' shapes,
// causal or not; where it falls back; bitwise repeatability across thread
// counts.
#include "trainer/cpu/fused_attention.h"

#include "trainer/attention_core.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/autocast.h"

namespace headroom::trainer {
namespace {

struct Result {
  torch::Tensor out, gradient;
};

Result run(const torch::Tensor& projections, const AttentionHeads& heads,
           const torch::Tensor& upstream, bool with_torch_operations) {
  auto leaf = projections.detach().requires_grad_(true);
  auto out =
      with_torch_operations ? attend_with_torch_operations(leaf, heads) : attend(leaf, heads);
  out.backward(upstream);
  return {out.detach(), leaf.grad()};
}

void expect_same_as_torch_operations(int64_t batch, int64_t n, AttentionHeads heads) {
  heads.native = true;
  const int64_t inner = heads.heads * heads.head_size;
  auto projections = torch::randn({batch, n, 3 * inner});
  auto upstream = torch::randn({batch, n, inner});
  auto ours = run(projections, heads, upstream, false);
  auto theirs = run(projections, heads, upstream, true);
  const std::string what = std::to_string(heads.heads) + " heads of " +
                           std::to_string(heads.head_size) + " over n " + std::to_string(n) +
                           (heads.causal ? ", causal" : "");
  ASSERT_EQ(ours.out.sizes(), theirs.out.sizes()) << what;
  EXPECT_TRUE(torch::allclose(ours.out, theirs.out, 1e-5, 1e-5))
      << what << ": " << (ours.out - theirs.out).abs().max();
  EXPECT_TRUE(torch::allclose(ours.gradient, theirs.gradient, 1e-4, 1e-5))
      << what << ": " << (ours.gradient - theirs.gradient).abs().max();
}

TEST(AttentionCore, TheFusedKernelMatchesTorchOperationsWithGradients) {
  torch::manual_seed(0);
  for (bool causal : {false, true}) {
    // standard attention at d_model 64 (64 / heads), and fixed head sizes.
    for (auto [heads, head_size] :
         {std::pair<int64_t, int64_t>{1, 64}, {4, 16}, {16, 4}, {16, 32}, {3, 5}, {2, 128}}) {
      expect_same_as_torch_operations(3, 32, {heads, head_size, causal});
    }
    expect_same_as_torch_operations(2, 13, {4, 8, causal});    // n not a whole vector
    expect_same_as_torch_operations(2, 128, {2, 16, causal});  // the largest n it takes
  }
}

TEST(AttentionCore, LongerSequencesGoToTorchOperations) {
  torch::manual_seed(1);
  const AttentionHeads heads{2, 8, false, true};
  auto projections = torch::randn({1, 129, 3 * 16});
  EXPECT_FALSE(cpu::fused_attention_applies(projections, {2, 8, false}));
  EXPECT_TRUE(
      torch::equal(attend(projections, heads), attend_with_torch_operations(projections, heads)));
}

TEST(AttentionCore, UnderBf16AutocastItRunsTorchOperationsInBf16) {
  auto projections = torch::randn({2, 16, 3 * 4 * 8});
  torch::Tensor out;
  {
    autocast::Scope bf16(true, at::kCPU);
    out = attend(projections, {4, 8, true, true});
  }
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
}

TEST(AttentionCore, IsBitwiseRepeatableAndIndependentOfTheThreadCount) {
  torch::manual_seed(2);
  const AttentionHeads heads{8, 16, true, true};
  auto projections = torch::randn({8, 32, 3 * 128});
  auto upstream = torch::randn({8, 32, 128});
  torch::set_num_threads(1);
  auto single = run(projections, heads, upstream, false);
  torch::set_num_threads(2);
  auto parallel = run(projections, heads, upstream, false);
  torch::set_num_threads(1);
  auto again = run(projections, heads, upstream, false);
  EXPECT_TRUE(torch::equal(single.out, parallel.out));
  EXPECT_TRUE(torch::equal(single.gradient, parallel.gradient));
  EXPECT_TRUE(torch::equal(single.out, again.out));
  EXPECT_TRUE(torch::equal(single.gradient, again.gradient));
}

TEST(AttentionCore, WithoutNativeKernelsItIsTheTorchOperations) {
  torch::manual_seed(3);
  const AttentionHeads heads{4, 8, true, false};
  auto projections = torch::randn({2, 16, 3 * 32});
  EXPECT_TRUE(torch::equal(attend(projections, heads), attend_with_torch_operations(projections, heads)));
}

}  // namespace
}  // namespace headroom::trainer
