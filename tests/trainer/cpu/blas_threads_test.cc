// The trainer's `threads` reaches OpenBLAS's own pool, which LibTorch's
// set_num_threads leaves at one thread per core.
#include "trainer/cpu/blas_threads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace headroom::trainer::cpu {
namespace {

TEST(BlasThreads, LimitsOpenBlasWhereLibTorchUsesIt) {
  torch::mm(torch::ones({64, 64}), torch::ones({64, 64}));  // BLAS is loaded and used
  if (blas_threads() == 0) GTEST_SKIP() << "this LibTorch does not use OpenBLAS";
  const int before = blas_threads();
  ASSERT_TRUE(limit_blas_threads(1));
  EXPECT_EQ(blas_threads(), 1);
  ASSERT_TRUE(limit_blas_threads(2));
  EXPECT_EQ(blas_threads(), 2);
  limit_blas_threads(before);
}

}  // namespace
}  // namespace headroom::trainer::cpu
