#include "orchestrator/serve/importance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace headroom {
namespace {

const ParameterImportance& of(const std::vector<ParameterImportance>& all,
                              const std::string& name) {
  for (const auto& item : all) {
    if (item.parameter == name) return item;
  }
  throw std::runtime_error("no parameter " + name);
}

// A balanced 2 x 2 grid, each cell twice (two seeds): y = a_effect + b_effect.
std::vector<ImportanceSample> additive_grid(double a_effect, double b_effect) {
  std::vector<ImportanceSample> samples;
  for (int a : {0, 1}) {
    for (const char* b : {"fixed", "standard"}) {
      for (int seed : {1, 2}) {
        const double y =
            (a ? a_effect : -a_effect) + (std::string(b) == "fixed" ? b_effect : -b_effect);
        samples.push_back({{{"a", a}, {"b", b}, {"seed", seed}}, y});
      }
    }
  }
  return samples;
}

TEST(Importance, SharesOfAnAdditiveGridAreEachParametersVarianceOverTheTotal) {
  // Var(a's effect) = 1, Var(b's effect) = 0.25: shares 0.8 and 0.2; the seed explains nothing.
  auto all = main_effects(additive_grid(1.0, 0.5), {"a", "b", "seed"});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].parameter, "a");
  EXPECT_NEAR(*all[0].importance, 0.8, 1e-12);
  EXPECT_EQ(all[1].parameter, "b");
  EXPECT_NEAR(*all[1].importance, 0.2, 1e-12);
  EXPECT_NEAR(*of(all, "seed").importance, 0.0, 1e-12);
  // The mean at each value, numbers ascending, then text.
  const auto& a = of(all, "a").levels;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].label, "0");
  EXPECT_NEAR(a[0].mean, -1.0, 1e-12);
  EXPECT_EQ(a[0].runs, 4);
  EXPECT_EQ(of(all, "b").levels[0].label, "fixed") << "text without JSON quotes";
}

TEST(Importance, AConstantMetricHasNothingToExplain) {
  std::vector<ImportanceSample> samples = {{{{"a", 1}}, 0.5}, {{{"a", 2}}, 0.5}, {{{"a", 3}}, 0.5}};
  auto all = main_effects(samples, {"a"});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].importance.has_value());
  EXPECT_EQ(all[0].levels.size(), 3u);
  EXPECT_FALSE(main_effects({{{{"a", 1}}, 2.0}}, {"a"})[0].importance.has_value()) << "one run";
  EXPECT_FALSE(main_effects({}, {"a"})[0].importance.has_value()) << "no run";
}

TEST(Importance, AParameterWithOneValueExplainsNothing) {
  std::vector<ImportanceSample> samples = {{{{"a", 1}, {"b", 1}}, 1.0},
                                           {{{"a", 2}, {"b", 1}}, 2.0}};
  auto all = main_effects(samples, {"a", "b"});
  EXPECT_NEAR(*of(all, "a").importance, 1.0, 1e-12);
  EXPECT_NEAR(*of(all, "b").importance, 0.0, 1e-12);
}

TEST(Importance, AMissingValueIsALevelOfItsOwn) {
  std::vector<ImportanceSample> samples = {
      {{{"a", 1}}, 1.0}, {{{"a", 1}}, 1.0}, {nlohmann::json::object(), 3.0}};
  auto all = main_effects(samples, {"a"});
  ASSERT_EQ(all[0].levels.size(), 2u);
  EXPECT_EQ(all[0].levels[1].label, "(none)");
  EXPECT_NEAR(*all[0].importance, 1.0, 1e-12);
}

// Random search: every run has its own learning rate. Binned by rank, a
// parameter the metric follows keeps most of the variance, and one it
// ignores keeps little, instead of both explaining everything.
TEST(Importance, ManyNumericValuesAreBinnedByRank) {
  std::vector<ImportanceSample> samples;
  uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return double(state >> 11) / double(1ull << 53);
  };
  for (int i = 0; i < 200; ++i) {
    const double lr = std::pow(10.0, -4 + 3 * uniform());
    const double noise = uniform();
    samples.push_back({{{"lr", lr}, {"dropout", noise}}, std::log10(lr) + 0.1 * uniform()});
  }
  auto all = main_effects(samples, {"dropout", "lr"});
  EXPECT_EQ(all[0].parameter, "lr");
  EXPECT_TRUE(all[0].binned);
  EXPECT_EQ(all[0].levels.size(), kMaxLevels);
  EXPECT_GT(*all[0].importance, 0.95);
  EXPECT_LT(*of(all, "dropout").importance, 0.15);
  int64_t runs = 0;
  for (const auto& level : all[0].levels) runs += level.runs;
  EXPECT_EQ(runs, 200) << "every run in one bin";
  EXPECT_NE(all[0].levels[0].label.find(".."), std::string::npos) << all[0].levels[0].label;
}

TEST(Importance, EqualValuesNeverStraddleABin) {
  // 11 distinct values, one of them 100 times: it must stay one bin.
  std::vector<ImportanceSample> samples;
  for (int i = 0; i < 100; ++i) samples.push_back({{{"x", 5}}, 1.0});
  for (int value = 0; value < 11; ++value) samples.push_back({{{"x", value * 10}}, double(value)});
  auto all = main_effects(samples, {"x"});
  ASSERT_TRUE(all[0].binned);
  int bins_with_five = 0;
  for (const auto& level : all[0].levels) {
    if (level.runs >= 100) ++bins_with_five;
  }
  EXPECT_EQ(bins_with_five, 1);
  EXPECT_LE(all[0].levels.size(), kMaxLevels);
}

TEST(Importance, MostImportantFirstThenUnexplainedByName) {
  std::vector<ImportanceSample> constant = {{{{"b", 1}, {"a", 1}}, 1.0},
                                            {{{"b", 2}, {"a", 2}}, 1.0}};
  auto all = main_effects(constant, {"b", "a"});
  EXPECT_EQ(all[0].parameter, "a");
  EXPECT_EQ(all[1].parameter, "b");
}

}  // namespace
}  // namespace headroom
