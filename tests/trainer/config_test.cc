#include "trainer/config.h"

#include <gtest/gtest.h>

namespace headroom::trainer {
namespace {

std::string problems_of(const nlohmann::json& object) {
  std::string text;
  for (const auto& problem : parse_config(object).problems) {
    text += problem.field + ": " + problem.message + "\n";
  }
  return text;
}

TEST(TrainerConfig, StandardAttentionDerivesHeadSize) {
  auto parsed = parse_config({{"d_model", 64}, {"heads", 8}});
  ASSERT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.head_size, 8);
}

TEST(TrainerConfig, FixedAttentionDefaultsHeadSizeToSequenceLength) {
  auto parsed = parse_config({{"attention", "fixed"}, {"seq_len", 24}, {"heads", 16}});
  ASSERT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.head_size, 24);
}

TEST(TrainerConfig, NamesEveryBadField) {
  EXPECT_EQ(problems_of({{"d_modle", 64}, {"heads", "four"}, {"lr", 0.1}}),
            "d_modle: unknown key (did you mean 'd_model'?)\n"
            "heads: expected an integer, found \"four\"\n");
  EXPECT_EQ(problems_of({{"d_model", 64}, {"heads", 3}}),
            "heads: standard attention needs heads to divide d_model (64 / 3 is not an integer)\n");
  EXPECT_EQ(problems_of({{"d_model", 64}, {"heads", 4}, {"head_size", 32}}),
            "head_size: standard attention uses head_size = d_model / heads = 16, not 32; drop "
            "head_size or use attention: fixed\n");
  EXPECT_EQ(problems_of({{"precision", "fp16"}, {"device", "gpu"}}),
            "precision: 'fp16' is not one of auto, bf16, fp32\n"
            "device: 'gpu' is not auto, cpu, cuda or cuda:N\n");
}

TEST(TrainerConfig, AcceptsIntegralFloatsForIntegerFields) {
  auto parsed = parse_config({{"d_model", 64.0}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(problems_of({{"d_model", 64.5}}), "d_model: expected an integer, found 64.5\n");
}

TEST(TrainerConfig, RoundTripsThroughJson) {
  auto parsed = parse_config({{"attention", "fixed"}, {"head_size", 32}, {"lr", 3e-3}});
  auto again = parse_config(to_json(parsed.config));
  ASSERT_TRUE(again.problems.empty());
  EXPECT_EQ(to_json(again.config), to_json(parsed.config));
}

}  // namespace
}  // namespace headroom::trainer
