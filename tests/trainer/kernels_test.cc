// Which implementation a run's `kernels` setting picks (trainer/kernels.h).
#include "trainer/kernels.h"

#include <gtest/gtest.h>

namespace headroom::trainer {
namespace {

KernelConditions cpu_fp32(int64_t threads = 1, int64_t seq_len = 32, int64_t head_size = 16) {
  return {true, false, threads, seq_len, head_size};
}

KernelChoice chosen(const std::string& setting, const KernelConditions& run) {
  auto choice = choose_kernels(setting, run);
  EXPECT_TRUE(std::holds_alternative<KernelChoice>(choice)) << std::get<std::string>(choice);
  return std::holds_alternative<KernelChoice>(choice) ? std::get<KernelChoice>(choice) : KernelChoice{};
}

TEST(Kernels, AutoIsNativeWhereMeasuredFaster) {
  auto one_thread = chosen("auto", cpu_fp32(1));
  EXPECT_TRUE(one_thread.native_attention);
  EXPECT_TRUE(one_thread.native_feed_forward);
  auto two_threads = chosen("auto", cpu_fp32(2));
  EXPECT_TRUE(two_threads.native_attention);
  EXPECT_FALSE(two_threads.native_feed_forward);
  auto long_sequences = chosen("auto", cpu_fp32(1, 256, 16));
  EXPECT_FALSE(long_sequences.native_attention);
  EXPECT_TRUE(long_sequences.native_feed_forward);
  for (const KernelConditions& elsewhere : {KernelConditions{false, true, 1, 32, 16}, KernelConditions{true, true, 1, 32, 16}}) {
    auto choice = chosen("auto", elsewhere);
    EXPECT_FALSE(choice.native_attention);
    EXPECT_FALSE(choice.native_feed_forward);
  }
}

TEST(Kernels, NativeIsEverywhereItCanRunAndAnErrorElsewhere) {
  auto native = chosen("native", cpu_fp32(2));
  EXPECT_TRUE(native.native_attention && native.native_feed_forward);
  auto on_gpu = choose_kernels("native", {false, true, 1, 32, 16});
  ASSERT_TRUE(std::holds_alternative<std::string>(on_gpu));
  EXPECT_NE(std::get<std::string>(on_gpu).find("this run is on a GPU"), std::string::npos);
  auto too_long = choose_kernels("native", cpu_fp32(1, 256, 16));
  ASSERT_TRUE(std::holds_alternative<std::string>(too_long));
  EXPECT_NE(std::get<std::string>(too_long).find("up to 128; this run has 256 and 16"), std::string::npos);
}

TEST(Kernels, TorchIsNeverNativeAndTheChoiceIsRecordedByName) {
  auto choice = chosen("torch", cpu_fp32());
  EXPECT_FALSE(choice.native_attention || choice.native_feed_forward);
  EXPECT_EQ(to_json(choice), (nlohmann::json{{"attention", "torch"}, {"feed_forward", "torch"}}));
  EXPECT_EQ(to_json(chosen("auto", cpu_fp32(2))), (nlohmann::json{{"attention", "native"}, {"feed_forward", "torch"}}));
}

}  // namespace
}  // namespace headroom::trainer
