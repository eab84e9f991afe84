// The paper's claims computed from results with known values: which
// comparisons apply, their advantages, intervals and verdicts.
#include "reports/claims.h"

#include <cmath>

#include <gtest/gtest.h>

namespace headroom {
namespace {

// t(0.975; 4) times the standard error of a difference of two 3-seed means
// whose seeds spread by -0.02, 0, +0.02 (sample deviation 0.02).
const double kHalfWidth = 2.7764451051977987 * std::sqrt(2 * 0.0004 / 3);

Configuration configuration(const std::string& attention, int d_model, int heads, int head_size, double mean,
                            int seeds = 3, const std::string& task = "mlm") {
  Configuration result;
  result.config = {{"attention", attention}, {"d_model", d_model}, {"heads", heads}, {"head_size", head_size},
                   {"seq_len", 32},          {"task", task},       {"lr", 0.002}};
  result.non_embedding_parameters = d_model * 1000 + heads * head_size;
  const double offsets[] = {-0.02, 0, 0.02};
  for (int seed = 0; seed < seeds; ++seed) {
    Replicate replicate;
    replicate.seed = seed;
    replicate.finals["eval/accuracy"] = mean + (seeds == 3 ? offsets[seed] : 0);
    replicate.finals["rank/numerical/layer0"] = std::min(head_size, 32);
    result.replicates.push_back(replicate);
  }
  return result;
}

const Claim* find(const std::vector<Claim>& claims, int comparison, const std::string& statement_part) {
  for (const auto& claim : claims) {
    if (claim.comparison == comparison && claim.statement.find(statement_part) != std::string::npos) return &claim;
  }
  return nullptr;
}

void expect_advantage(const Claim& claim, double advantage) {
  ASSERT_TRUE(claim.advantage) << claim.finding;
  EXPECT_NEAR(claim.advantage->estimate, advantage, 1e-12) << claim.finding;
  EXPECT_NEAR(claim.advantage->low, advantage - kHalfWidth, 1e-9) << claim.finding;
  EXPECT_NEAR(claim.advantage->high, advantage + kHalfWidth, 1e-9) << claim.finding;
}

SweepResults heads_sweep() {
  SweepResults results;
  results.configurations = {
      configuration("standard", 64, 2, 32, 0.50), configuration("standard", 64, 16, 4, 0.40),
      configuration("fixed", 64, 2, 32, 0.70),    configuration("fixed", 64, 16, 32, 0.60),
  };
  return results;
}

TEST(Claims, HeadsAtFixedWidthGiveComparisonsOneTwoAndFive) {
  const auto claims = evaluate_claims(heads_sweep(), {"eval/accuracy", true});
  ASSERT_EQ(claims.size(), 5u);

  const Claim* degrades = find(claims, 1, "degrades");
  ASSERT_TRUE(degrades);
  expect_advantage(*degrades, 0.10);
  EXPECT_EQ(degrades->verdict, Verdict::reproduced);
  EXPECT_EQ(degrades->mirrors, "Table 1, Figure 3a");
  EXPECT_EQ(degrades->finding,
            "standard attention at 2 heads (head size 32) beats standard attention at 16 heads (head size 4) by 0.1 "
            "eval/accuracy (0.5 against 0.4); 95% interval of the advantage [0.05466, 0.1453], 3 seeds each.");

  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  expect_advantage(*beats, 0.20);
  EXPECT_EQ(beats->verdict, Verdict::reproduced);

  const Claim* improves = find(claims, 2, "improves as heads are added");
  ASSERT_TRUE(improves);
  expect_advantage(*improves, -0.10);
  EXPECT_EQ(improves->verdict, Verdict::not_reproduced);
  EXPECT_NE(improves->finding.find("fixed head size attention at 16 heads (head size 32) trails fixed head size "
                                   "attention at 2 heads (head size 32) by 0.1"),
            std::string::npos)
      << improves->finding;
  EXPECT_NE(improves->finding.find("The means do not improve at every step."), std::string::npos);

  const Claim* few = find(claims, 5, "few large");
  ASSERT_TRUE(few);
  expect_advantage(*few, 0.10);
  EXPECT_EQ(few->verdict, Verdict::reproduced);

  const Claim* rank = find(claims, 6, "rank");
  ASSERT_TRUE(rank);
  EXPECT_EQ(rank->verdict, Verdict::reproduced);
  EXPECT_EQ(rank->finding,
            "Of 12 measured layer ranks (final evaluation, every run), 0 exceeded min(head_size, seq_len); where "
            "head_size < seq_len, 3 of 3 reached the bound head_size.");
}

TEST(Claims, OverlappingIntervalsAreInconclusive) {
  SweepResults results = heads_sweep();
  results.configurations[3] = configuration("fixed", 64, 16, 32, 0.42);  // 0.02 over standard, half width 0.045
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  expect_advantage(*beats, 0.02);
  EXPECT_EQ(beats->verdict, Verdict::inconclusive);
}

TEST(Claims, OneSeedGivesAnEffectButNoInterval) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, 0.40, 1), configuration("fixed", 64, 16, 32, 0.60, 1)};
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_FALSE(beats->advantage);
  EXPECT_EQ(beats->verdict, Verdict::inconclusive);
  EXPECT_NE(beats->finding.find("by 0.2 eval/accuracy (0.6 against 0.4), 1 seed each: too few seeds for an interval."),
            std::string::npos)
      << beats->finding;
}

TEST(Claims, LowerIsBetterFlipsTheAdvantage) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, 0.30, 3, "fit"),
                            configuration("fixed", 64, 16, 32, 0.10, 3, "fit")};
  for (auto& configuration : results.configurations) {
    for (auto& replicate : configuration.replicates) {
      replicate.finals["eval/loss"] = replicate.finals["eval/accuracy"];
    }
  }
  const auto claims = evaluate_claims(results, {"eval/loss", false});
  const Claim* beats = find(claims, 6, "beats standard");
  ASSERT_TRUE(beats);  // the fit probe's comparisons are Theorem 1's
  EXPECT_EQ(beats->mirrors, "Theorem 1 (fit probe)");
  expect_advantage(*beats, 0.20);
  EXPECT_EQ(beats->verdict, Verdict::reproduced);
}

TEST(Claims, HeadSizeAndWidthComparisons) {
  SweepResults results;
  results.configurations = {
      configuration("fixed", 64, 8, 8, 0.40),     configuration("fixed", 64, 8, 64, 0.50),
      configuration("standard", 128, 8, 16, 0.45),
  };
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* head_size = find(claims, 4, "larger head size");
  ASSERT_TRUE(head_size);
  expect_advantage(*head_size, 0.10);
  EXPECT_EQ(head_size->mirrors, "Table 2B, Figure 3b");
  const Claim* width = find(claims, 3, "smaller d_model");
  ASSERT_TRUE(width);
  expect_advantage(*width, 0.05);  // fixed at d_model 64 (head size 64 chosen: most heads, then last) vs standard at 128
  EXPECT_NE(width->finding.find("(head size 64, d_model 64)"), std::string::npos) << width->finding;
  EXPECT_NE(width->statement.find("larger one: d_model 64 against 128"), std::string::npos) << width->statement;
  EXPECT_NE(width->finding.find("Non-embedding parameters: 64512 against 128128."), std::string::npos) << width->finding;
}

TEST(Claims, WithSeveralWidthsEachWidthsClaimNamesItsWidth) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 2, 32, 0.50), configuration("fixed", 64, 16, 32, 0.60),
                            configuration("standard", 128, 4, 32, 0.66), configuration("fixed", 128, 16, 32, 0.69)};
  std::vector<std::string> statements;
  for (const auto& claim : evaluate_claims(results, {"eval/accuracy", true})) {
    if (claim.comparison == 5) statements.push_back(claim.statement);
  }
  EXPECT_EQ(statements, (std::vector<std::string>{"many fixed-size heads beat a few large standard heads at d_model 64",
                                                  "many fixed-size heads beat a few large standard heads at d_model 128"}));
  // One width: the statement stays as the paper words it.
  results.configurations.resize(2);
  const auto one_width = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* one = find(one_width, 5, "many fixed-size heads");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->statement, "many fixed-size heads beat a few large standard heads");
}

TEST(Claims, ARankAboveTheBoundIsNotReproduced) {
  SweepResults results = heads_sweep();
  results.configurations[1].replicates[0].finals["rank/numerical/layer0"] = 9;  // head size 4
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* rank = find(claims, 6, "rank");
  ASSERT_TRUE(rank);
  EXPECT_EQ(rank->verdict, Verdict::not_reproduced);
  EXPECT_NE(rank->finding.find(", 1 exceeded"), std::string::npos) << rank->finding;
}

TEST(Claims, ContextsAreComparedSeparatelyAndNamed) {
  SweepResults results;
  auto slow = configuration("standard", 64, 16, 4, 0.40), fast = configuration("fixed", 64, 16, 32, 0.60);
  auto slow_other = configuration("standard", 64, 16, 4, 0.40), fast_other = configuration("fixed", 64, 16, 32, 0.30);
  slow_other.config["lr"] = 0.01;
  fast_other.config["lr"] = 0.01;
  results.configurations = {slow, fast, slow_other, fast_other};
  std::vector<const Claim*> beats;
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  for (const auto& claim : claims) {
    if (claim.statement.find("beats standard") != std::string::npos) beats.push_back(&claim);
  }
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_NE(beats[0]->statement.find(" (lr 0.002)"), std::string::npos);
  EXPECT_EQ(beats[0]->verdict, Verdict::reproduced);
  EXPECT_NE(beats[1]->statement.find(" (lr 0.01)"), std::string::npos);
  EXPECT_EQ(beats[1]->verdict, Verdict::not_reproduced);
}

TEST(Claims, NoComparisonWithoutTheConfigurationsItNeeds) {
  SweepResults results;
  Configuration plain;
  plain.config = {{"task", "mlm"}, {"lr", 0.1}};
  Replicate replicate;
  replicate.finals["eval/accuracy"] = 0.3;
  plain.replicates = {replicate};
  results.configurations = {plain};
  EXPECT_TRUE(evaluate_claims(results, {"eval/accuracy", true}).empty());
}

TEST(MetricGoal, FollowsTheSweepOrTheMetricsName) {
  SweepRecord sweep;
  sweep.metric = "eval/accuracy";
  sweep.goal = "minimize";
  EXPECT_FALSE(metric_goal(sweep, "eval/accuracy").maximize);
  EXPECT_FALSE(metric_goal(sweep, "eval/perplexity").maximize);
  EXPECT_FALSE(metric_goal(sweep, "eval/loss").maximize);
  EXPECT_TRUE(metric_goal(sweep, "train/tokens_per_s").maximize);
}

}  // namespace
}  // namespace headroom
