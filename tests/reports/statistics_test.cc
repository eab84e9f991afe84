// The report's statistics against values worked out by hand from Student's t
// table (t(0.975; 4) = 2.776445105, t(0.975; 2) = 4.302652730).
#include "reports/statistics.h"

#include <cmath>

#include <gtest/gtest.h>

namespace headroom {
namespace {

TEST(Summarize, MeanAndSampleStandardDeviation) {
  Summary summary = summarize({0.48, 0.50, 0.52});
  EXPECT_DOUBLE_EQ(summary.mean, 0.5);
  EXPECT_NEAR(summary.standard_deviation, 0.02, 1e-12);
  EXPECT_EQ(summary.count, 3u);
  EXPECT_EQ(summarize({0.7}).standard_deviation, 0);
}

TEST(WelchInterval, EqualSpreadsUseTwoNMinusTwoDegrees) {
  // Difference 0.2, standard error sqrt(2 * 0.02^2 / 3), 4 degrees of freedom.
  auto interval = welch_difference_interval({0.58, 0.60, 0.62}, {0.38, 0.40, 0.42});
  ASSERT_TRUE(interval);
  const double half = 2.7764451051977987 * std::sqrt(2 * 0.0004 / 3);
  EXPECT_NEAR(interval->estimate, 0.2, 1e-12);
  EXPECT_NEAR(interval->low, 0.2 - half, 1e-9);
  EXPECT_NEAR(interval->high, 0.2 + half, 1e-9);
}

TEST(WelchInterval, OneSpreadOnlyUsesThatSidesDegrees) {
  // b has no spread: the degrees of freedom are a's n - 1 = 2.
  auto interval = welch_difference_interval({1, 2, 3}, {5, 5, 5});
  ASSERT_TRUE(interval);
  const double half = 4.302652729911275 * std::sqrt(1.0 / 3);
  EXPECT_NEAR(interval->low, -3 - half, 1e-9);
  EXPECT_NEAR(interval->high, -3 + half, 1e-9);
}

TEST(WelchInterval, NeedsTwoValuesOnEachSide) {
  EXPECT_FALSE(welch_difference_interval({1}, {1, 2}));
  EXPECT_FALSE(welch_difference_interval({1, 2}, {}));
  auto exact = welch_difference_interval({2, 2}, {1, 1});
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->low, 1);
  EXPECT_EQ(exact->high, 1);
}

TEST(CompareBySeed, PairsSharedSeedsAndGivesAPValue) {
  // Differences 0.10, 0.09, 0.11: t = 0.10 / (0.01 / sqrt 3) = 17.32 on 2 degrees of freedom.
  auto comparison = compare_by_seed({{0, 0.60}, {1, 0.62}, {2, 0.61}}, {{0, 0.50}, {1, 0.53}, {2, 0.50}});
  ASSERT_TRUE(comparison);
  EXPECT_EQ(comparison->pairing, Pairing::paired);
  EXPECT_EQ(comparison->pairs, 3u);
  EXPECT_NEAR(comparison->interval.estimate, 0.10, 1e-12);
  EXPECT_NEAR(comparison->interval.high - comparison->interval.estimate, 4.302652729911275 * 0.01 / std::sqrt(3.0),
              1e-9);
  EXPECT_NEAR(comparison->p_value, 0.003317, 1e-5);  // 2 * P(T_2 > 17.32)
  EXPECT_FALSE(comparison->degenerate);
}

TEST(CompareBySeed, FallsBackToWelchAndFlagsZeroSpread) {
  auto welch = compare_by_seed({{0, 1}, {1, 2}, {2, 3}}, {{7, 5}, {8, 5}, {9, 5}});
  ASSERT_TRUE(welch);
  EXPECT_EQ(welch->pairing, Pairing::welch);
  EXPECT_NEAR(welch->interval.low, -3 - 4.302652729911275 * std::sqrt(1.0 / 3), 1e-9);
  auto flat = compare_by_seed({{0, 0.6}, {1, 0.7}}, {{0, 0.5}, {1, 0.6}});
  ASSERT_TRUE(flat);
  EXPECT_TRUE(flat->degenerate);
  EXPECT_EQ(flat->interval.low, flat->interval.high);
  EXPECT_FALSE(compare_by_seed({{0, 1}}, {{0, 2}, {1, 3}}));
}

TEST(Holm, StepsDownUntilTheFirstPValueAboveItsThreshold) {
  // Sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop.
  EXPECT_EQ(holm_rejections({0.01, 0.04, 0.03, 0.005}), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(holm_rejections({0.01, 0.02, 0.04}), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(holm_rejections({0.2}), (std::vector<bool>{false}));
  EXPECT_TRUE(holm_rejections({}).empty());
}

TEST(PowerLaw, TheCrossoverIntervalContainsTheCrossingAndIsReproducible) {
  std::vector<double> x = {1e4, 1e4, 3e4, 3e4, 1e5, 1e5, 3e5, 3e5}, ya, yb;
  for (size_t i = 0; i < x.size(); ++i) {
    const double noise = (i % 2 ? 1.01 : 0.99);
    ya.push_back(10 * std::pow(x[i], -0.10) * noise);
    yb.push_back(20 * std::pow(x[i], -0.16) * (2 - noise));
  }
  auto a = fit_power_law(x, ya), b = fit_power_law(x, yb);
  ASSERT_TRUE(a && b);
  auto crossing = power_law_crossover(*a, *b);
  ASSERT_TRUE(crossing);
  auto interval = power_law_crossover_interval(x, ya, x, yb);
  ASSERT_TRUE(interval);
  EXPECT_DOUBLE_EQ(interval->estimate, *crossing);
  EXPECT_LT(interval->low, *crossing);
  EXPECT_GT(interval->high, *crossing);
  auto again = power_law_crossover_interval(x, ya, x, yb);
  EXPECT_EQ(again->low, interval->low);
  EXPECT_EQ(again->high, interval->high);
}

TEST(PowerLaw, RecoversAnExactLawWithAZeroWidthInterval) {
  std::vector<double> x = {1e4, 3e4, 1e5, 3e5}, y;
  for (double n : x) y.push_back(10 * std::pow(n, -0.1));
  auto fit = fit_power_law(x, y);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->exponent, -0.1, 1e-12);
  EXPECT_NEAR(fit->exponent_low, -0.1, 1e-9);
  EXPECT_NEAR(fit->exponent_high, -0.1, 1e-9);
  EXPECT_NEAR(fit->log10_coefficient, 1, 1e-10);
  EXPECT_NEAR(fit->r_squared, 1, 1e-12);
  EXPECT_NEAR(fit->predict(1e6), 10 * std::pow(1e6, -0.1), 1e-9);
  EXPECT_EQ(fit->min_x, 1e4);
  EXPECT_EQ(fit->max_x, 3e5);
}

TEST(PowerLaw, SlopeIntervalFromTheResiduals) {
  // log10 x = 0, 1, 2; log10 y = 0, -1, -1.5: slope -0.75, intercept -1/12,
  // residuals (1/12, -1/6, 1/12) -> s^2 = (1/24) / 1, Sxx = 2, t(0.975; 1) = 12.7062.
  auto fit = fit_power_law({1, 10, 100}, {1, 0.1, std::pow(10, -1.5)});
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->exponent, -0.75, 1e-12);
  const double half = 12.706204736174705 * std::sqrt((1.0 / 24) / 2);
  EXPECT_NEAR(fit->exponent_low, -0.75 - half, 1e-9);
  EXPECT_NEAR(fit->exponent_high, -0.75 + half, 1e-9);
}

TEST(PowerLaw, RefusesTooFewOrNonPositivePoints) {
  EXPECT_FALSE(fit_power_law({1, 2}, {1, 2}));
  EXPECT_FALSE(fit_power_law({1, 1, 1}, {1, 2, 3}));
  EXPECT_FALSE(fit_power_law({1, 2, 3}, {1, 0, 3}));
}

TEST(PowerLaw, CrossoverOfTwoLaws) {
  // 10 N^-0.1 = 8 N^-0.08  <=>  N = (10 / 8)^(1 / 0.02).
  PowerLawFit a, b;
  a.exponent = -0.1;
  a.log10_coefficient = 1;
  b.exponent = -0.08;
  b.log10_coefficient = std::log10(8.0);
  auto crossing = power_law_crossover(a, b);
  ASSERT_TRUE(crossing);
  EXPECT_NEAR(*crossing, std::pow(1.25, 50), 1e-6 * std::pow(1.25, 50));
  EXPECT_FALSE(power_law_crossover(a, a));
}

}  // namespace
}  // namespace headroom
