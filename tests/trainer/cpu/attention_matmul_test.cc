// attention_matmul against torch::matmul: values and gradients on the layouts
// attention produces, the fallbacks, and bitwise repeatability.
#include "trainer/cpu/attention_matmul.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/autocast.h"
#include "trainer/cpu/small_gemm.h"

namespace headroom::trainer::cpu {
namespace {

// (batch, heads, n, head_size) views of a (batch, n, heads * head_size)
// projection, as attention's split_heads makes them: not contiguous.
torch::Tensor heads_view(int64_t batch, int64_t n, int64_t heads, int64_t head_size) {
  return torch::randn({batch, n, heads * head_size})
      .view({batch, n, heads, head_size})
      .transpose(1, 2);
}

struct Gradients {
  torch::Tensor out, a, b;
};

Gradients run(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& upstream,
              bool reference) {
  auto a_leaf = a.detach().requires_grad_(true), b_leaf = b.detach().requires_grad_(true);
  auto out = reference ? torch::matmul(a_leaf, b_leaf) : attention_matmul(a_leaf, b_leaf);
  out.backward(upstream);
  return {out.detach(), a_leaf.grad(), b_leaf.grad()};
}

void expect_same_as_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  auto upstream = torch::randn({a.size(0), a.size(1), a.size(2), b.size(3)});
  auto ours = run(a, b, upstream, false), theirs = run(a, b, upstream, true);
  EXPECT_TRUE(torch::allclose(ours.out, theirs.out, 1e-5, 1e-5))
      << (ours.out - theirs.out).abs().max();
  EXPECT_TRUE(torch::allclose(ours.a, theirs.a, 1e-5, 1e-4)) << (ours.a - theirs.a).abs().max();
  EXPECT_TRUE(torch::allclose(ours.b, theirs.b, 1e-5, 1e-4)) << (ours.b - theirs.b).abs().max();
}

TEST(AttentionMatmul, QueriesTimesKeysAndWeightsTimesValuesMatchMatmulWithGradients) {
  torch::manual_seed(0);
  for (int64_t head_size : {1, 4, 16, 32, 64}) {
    const int64_t batch = 3, heads = 4, n = 32;
    auto queries = heads_view(batch, n, heads, head_size),
         keys = heads_view(batch, n, heads, head_size);
    expect_same_as_matmul(queries, keys.transpose(-1, -2));
    auto weights = torch::softmax(torch::randn({batch, heads, n, n}), -1);
    expect_same_as_matmul(weights, heads_view(batch, n, heads, head_size));
  }
}

TEST(AttentionMatmul, LargeMatricesGoToMatmulAndStillMatch) {
  torch::manual_seed(1);
  const int64_t n = kMaxNativeSide + 1;
  expect_same_as_matmul(torch::randn({2, 2, n, 8}), torch::randn({2, 2, 8, n}));
}

TEST(AttentionMatmul, IsBitwiseRepeatableAndIndependentOfTheThreadCount) {
  torch::manual_seed(2);
  auto a = heads_view(8, 32, 4, 16), b = heads_view(8, 32, 4, 16).transpose(-1, -2);
  torch::set_num_threads(1);
  auto single = attention_matmul(a, b);
  torch::set_num_threads(2);
  auto parallel = attention_matmul(a, b);
  torch::set_num_threads(1);
  EXPECT_TRUE(torch::equal(single, attention_matmul(a, b)));
  EXPECT_TRUE(torch::equal(single, parallel));
}

TEST(AttentionMatmul, UnderBf16AutocastItIsMatmulInBf16) {
  auto a = torch::randn({2, 2, 16, 8}), b = torch::randn({2, 2, 8, 16});
  torch::Tensor out;
  {
    autocast::Scope bf16(true, at::kCPU);
    out = attention_matmul(a, b);
  }
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
}

}  // namespace
}  // namespace headroom::trainer::cpu
