// W&B's hyperband rule (orchestrator/search/hyperband.h), on the examples of
// W&B's own documentation and tests.
#include "orchestrator/search/hyperband.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

EarlyTerminate with_max_iter(int64_t max_iter, int64_t s, double eta) {
  EarlyTerminate rule;
  rule.type = "hyperband";
  rule.max_iter = max_iter;
  rule.s = s;
  rule.eta = eta;
  return rule;
}

EarlyTerminate with_min_iter(int64_t min_iter, double eta) {
  EarlyTerminate rule;
  rule.type = "hyperband";
  rule.min_iter = min_iter;
  rule.eta = eta;
  return rule;
}

TEST(Hyperband, BandsAsWandbComputesThem) {
  // W&B's docs: min_iter 3, eta 3 gives brackets 3, 9, 27, 81, ...
  auto from_min = hyperband_bands(with_min_iter(3, 3));
  ASSERT_GE(from_min.size(), 4u);
  EXPECT_EQ(std::vector<int64_t>(from_min.begin(), from_min.begin() + 4), (std::vector<int64_t>{3, 9, 27, 81}));
  // max_iter 27, s 2, eta 3: 27/3 and 27/9.
  EXPECT_EQ(hyperband_bands(with_max_iter(27, 2, 3)), (std::vector<int64_t>{3, 9}));
  // max_iter 5, eta 2, s 2: 2.5 -> 2 and 1.25 -> 1.
  EXPECT_EQ(hyperband_bands(with_max_iter(5, 2, 2)), (std::vector<int64_t>{1, 2}));
  // Bands below 1 are dropped.
  EXPECT_EQ(hyperband_bands(with_max_iter(4, 5, 3)), (std::vector<int64_t>{1}));
}

// hyperband_stop_runs' docstring in W&B's sweeps library: a and e have ended,
// b trails at band 1, c passes band 1 but not band 2, d goes on.
TEST(Hyperband, StopsTheRunsWandbsDocumentedExampleStops) {
  const std::vector<HyperbandRun> runs = {
      {1, false, {10, 9}}, {2, true, {10, 10}}, {3, true, {10, 8, 8}}, {4, true, {10, 7, 7}}, {5, false, {10, 6, 6}}};
  auto stops = hyperband_stops(with_max_iter(5, 2, 2), false, runs);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(stops[0].id, 2);
  EXPECT_EQ(stops[0].band, 1);
  EXPECT_EQ(stops[0].threshold, 8);
  EXPECT_EQ(stops[1].id, 3);
  EXPECT_EQ(stops[1].band, 2);
  EXPECT_EQ(stops[1].threshold, 7);
  EXPECT_NE(stops[1].reason().find("iteration 2 was 8"), std::string::npos) << stops[1].reason();
}

// W&B's test_hyperband_min_iter_bands: a run whose loss stays at 10 is
// stopped at band 3 by one that improves; the improving one goes on.
TEST(Hyperband, MinIterBandsStopARunThatFallsBehind) {
  std::vector<double> improving;
  for (int i = 0; i < 10; ++i) improving.push_back(10 - i);
  const std::vector<HyperbandRun> runs = {{1, true, {10, 10, 10, 10}}, {2, true, improving}};
  auto stops = hyperband_stops(with_min_iter(3, 3), false, runs);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].id, 1);
}

TEST(Hyperband, AMaximizedMetricKeepsTheHighestAndNoBandReachedStopsNothing) {
  // At band 1 the values are 0.2, 0.9 and 0.5: the threshold (index 3 / 2 of
  // them, best first) is 0.5, which run 1 falls short of.
  const std::vector<HyperbandRun> runs = {
      {1, true, {0.1, 0.2}}, {2, true, {0.1, 0.9}}, {3, false, {0.0, 0.5}}, {4, true, {0.5}}};
  auto stops = hyperband_stops(with_max_iter(5, 2, 2), true, runs);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].id, 1);
  EXPECT_DOUBLE_EQ(stops[0].value, 0.2);
  EXPECT_TRUE(hyperband_stops(with_min_iter(3, 3), false, runs).empty()) << "no history reaches iteration 3";
  EXPECT_TRUE(hyperband_stops(with_min_iter(1, 3), false, {}).empty());
}

}  // namespace
}  // namespace headroom
