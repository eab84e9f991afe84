// The paper's claims computed from results with known values: which
// comparisons apply, their advantages, intervals (paired by seed, or Welch),
// verdicts, and Holm's correction across claims.
#include "reports/claims.h"

#include <cmath>

#include <gtest/gtest.h>

namespace headroom {
namespace {

// t(0.975; 2) and t(0.975; 4).
const double kT2 = 4.302652729911275;
const double kT4 = 2.7764451051977987;

// A configuration with one replicate per value, seeds 0, 1, ... unless given.
Configuration configuration(const std::string& attention, int d_model, int heads, int head_size,
                            const std::vector<double>& values, const std::string& task = "mlm",
                            std::vector<int64_t> seeds = {}) {
  Configuration result;
  result.config = {{"attention", attention}, {"d_model", d_model}, {"heads", heads}, {"head_size", head_size},
                   {"seq_len", 32},          {"task", task},       {"lr", 0.002}};
  result.non_embedding_parameters = d_model * 1000 + heads * head_size;
  for (size_t i = 0; i < values.size(); ++i) {
    Replicate replicate;
    replicate.seed = seeds.empty() ? int64_t(i) : seeds[i];
    replicate.finals["eval/accuracy"] = values[i];
    replicate.finals["rank/numerical/layer0"] = std::min(head_size, 32);
    result.replicates.push_back(replicate);
  }
  return result;
}

// Three seeds with mean `mean` whose offsets (-0.02, 0, 0.02 in an order
// `shift` picks) differ by configuration, so that paired differences spread.
std::vector<double> around(double mean, int shift = 0) {
  const double orders[4][3] = {{-0.02, 0, 0.02}, {0, 0.02, -0.02}, {0.02, -0.02, 0}, {0.02, 0, -0.02}};
  const auto& offsets = orders[shift % 4];
  return {mean + offsets[0], mean + offsets[1], mean + offsets[2]};
}

const Claim* find(const std::vector<Claim>& claims, int comparison, const std::string& statement_part) {
  for (const auto& claim : claims) {
    if (claim.comparison == comparison && claim.statement.find(statement_part) != std::string::npos) return &claim;
  }
  return nullptr;
}

SweepResults heads_sweep() {
  SweepResults results;
  results.sweep.name = "heads";
  results.configurations = {
      configuration("standard", 64, 2, 32, around(0.50, 0)), configuration("standard", 64, 16, 4, around(0.40, 1)),
      configuration("fixed", 64, 2, 32, around(0.70, 2)),    configuration("fixed", 64, 16, 32, around(0.60, 3)),
  };
  return results;
}

TEST(Claims, HeadsAtFixedWidthGiveComparisonsOneTwoAndFive) {
  const auto claims = evaluate_claims(heads_sweep(), {"eval/accuracy", true});
  // 1 (the onset; its end point is the same pair), 2 (beats, improves), 5, and the rank check.
  ASSERT_EQ(claims.size(), 5u);
  const Claim* onset = find(claims, 1, "as soon as head size");
  ASSERT_TRUE(onset);
  EXPECT_EQ(onset->verdict, Verdict::reproduced);
  EXPECT_NE(onset->finding.find("Standard attention peaks at 2 heads (head size 32) and first falls significantly "
                                "below that at 16 heads (head size 4)."),
            std::string::npos)
      << onset->finding;
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_NEAR(beats->test->interval.estimate, 0.20, 1e-12);
  EXPECT_EQ(beats->test->pairing, Pairing::paired);
  EXPECT_EQ(beats->verdict, Verdict::reproduced);
  EXPECT_NE(beats->finding.find("(0.6 against 0.4; 64.5k against 64.1k non-embedding parameters)"), std::string::npos)
      << beats->finding;
  EXPECT_NE(beats->finding.find("paired over 3 seeds, p = "), std::string::npos) << beats->finding;
  ASSERT_TRUE(find(claims, 2, "improves as heads are added"));
  EXPECT_EQ(find(claims, 2, "improves as heads are added")->verdict, Verdict::not_reproduced);
  ASSERT_TRUE(find(claims, 5, "many fixed-size heads"));
  const Claim* rank = find(claims, 6, "rank");
  ASSERT_TRUE(rank);
  EXPECT_TRUE(rank->sanity_check);
  EXPECT_EQ(rank->verdict_text(true), "holds (sanity check)");
  for (const auto& claim : claims) EXPECT_EQ(claim.sources, std::vector<std::string>{"heads"});
}

TEST(Claims, PairedDifferencesGiveTheIntervalOfTheirMean) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, {0.50, 0.53, 0.50}),
                            configuration("fixed", 64, 16, 32, {0.60, 0.62, 0.61})};
  const auto beats_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(beats_claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  // Differences 0.10, 0.09, 0.11: mean 0.10, deviation 0.01, 2 degrees of freedom.
  const double half = kT2 * 0.01 / std::sqrt(3.0);
  EXPECT_NEAR(beats->test->interval.estimate, 0.10, 1e-12);
  EXPECT_NEAR(beats->test->interval.low, 0.10 - half, 1e-9);
  EXPECT_NEAR(beats->test->interval.high, 0.10 + half, 1e-9);
  EXPECT_EQ(beats->test->pairs, 3u);
}

TEST(Claims, SeedsThatDoNotPairFallBackToWelch) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, {0.48, 0.50, 0.52}, "mlm", {0, 1, 2}),
                            configuration("fixed", 64, 16, 32, {0.58, 0.60, 0.62}, "mlm", {5, 6, 7})};
  const auto beats_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(beats_claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_EQ(beats->test->pairing, Pairing::welch);
  const double half = kT4 * std::sqrt(2 * 0.0004 / 3);
  EXPECT_NEAR(beats->test->interval.low, 0.10 - half, 1e-9);
  EXPECT_NE(beats->finding.find("Welch, 3 against 3 seeds"), std::string::npos) << beats->finding;
}

TEST(Claims, AnIntervalWithoutWidthIsInconclusive) {
  // Both configurations move together over seeds: every paired difference is 0.2 exactly.
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, {0.38, 0.40, 0.42}),
                            configuration("fixed", 64, 16, 32, {0.58, 0.60, 0.62})};
  const auto beats_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(beats_claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_TRUE(beats->test->degenerate);
  EXPECT_EQ(beats->verdict, Verdict::inconclusive);
  EXPECT_NE(beats->finding.find("no spread: says nothing"), std::string::npos) << beats->finding;
}

TEST(Claims, OverlappingIntervalsAreInconclusive) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, {0.40, 0.45, 0.41}),
                            configuration("fixed", 64, 16, 32, {0.44, 0.42, 0.43})};
  const auto beats_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(beats_claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_LT(beats->test->interval.low, 0);
  EXPECT_GT(beats->test->interval.high, 0);
  EXPECT_EQ(beats->verdict, Verdict::inconclusive);
}

TEST(Claims, OneSeedGivesAnEffectButNoInterval) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, {0.40}), configuration("fixed", 64, 16, 32, {0.60})};
  const auto beats_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(beats_claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_FALSE(beats->test);
  EXPECT_EQ(beats->verdict, Verdict::inconclusive);
  EXPECT_NE(beats->finding.find("by 0.2 eval/accuracy (0.6 against 0.4; "), std::string::npos) << beats->finding;
  EXPECT_NE(beats->finding.find(", 1 seed each: too few seeds for an interval."), std::string::npos) << beats->finding;
}

TEST(Claims, TheOnsetIsWhereQualityFirstFallsSignificantlyBelowItsPeak) {
  // Standard attention improves past head size 32 (to 16) and degrades only from head size 8.
  SweepResults results;
  results.configurations = {
      configuration("standard", 64, 1, 64, around(0.45, 0)), configuration("standard", 64, 2, 32, around(0.50, 1)),
      configuration("standard", 64, 4, 16, around(0.62, 2)), configuration("standard", 64, 8, 8, around(0.49, 3)),
      configuration("standard", 64, 16, 4, around(0.40, 0)),
  };
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* onset = find(claims, 1, "as soon as head size");
  ASSERT_TRUE(onset);
  EXPECT_EQ(onset->verdict, Verdict::not_reproduced);  // head size 16 beats 32
  EXPECT_NE(onset->finding.find("peaks at 4 heads (head size 16) and first falls significantly below that at 8 heads "
                                "(head size 8)"),
            std::string::npos)
      << onset->finding;
  const Claim* end = find(claims, 1, "falls below its best head count");
  ASSERT_TRUE(end);
  EXPECT_EQ(end->verdict, Verdict::reproduced);
  EXPECT_NEAR(end->test->interval.estimate, 0.22, 1e-9);
}

TEST(Claims, LowerIsBetterFlipsTheAdvantageAndTheFitProbeKeepsItsComparisonNumbers) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 16, 4, around(0.30, 0), "fit"),
                            configuration("fixed", 64, 16, 32, around(0.10, 1), "fit")};
  for (auto& configuration : results.configurations) {
    for (auto& replicate : configuration.replicates) replicate.finals["eval/loss"] = replicate.finals["eval/accuracy"];
  }
  const auto claims = evaluate_claims(results, {"eval/loss", false});
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);  // comparison 2 on the fit task, not Theorem 1
  EXPECT_EQ(beats->mirrors, "Figure 3a, Tables 2A and 3A (fit probe)");
  EXPECT_NEAR(beats->test->interval.estimate, 0.20, 1e-12);
  EXPECT_EQ(beats->verdict, Verdict::reproduced);
}

// Theorem 1 directly (sweeps/paper/theorem_one.yaml): one head fitting a
// dense matrix at head sizes across n - 1 = 31. Losses fall until 31 and are
// flat after it: the claim compares 31 with 24, and the knee is 31.
TEST(Claims, TheoremOneComparesTheHeadAtNMinusOneWithTheOneBelowAndNamesTheKnee) {
  SweepResults results;
  results.sweep.name = "theorem";
  const std::vector<std::pair<int, double>> losses = {{8, 0.40}, {16, 0.25}, {24, 0.12}, {31, 0.03}, {32, 0.03}, {48, 0.03}};
  for (size_t i = 0; i < losses.size(); ++i) {
    auto c = configuration("fixed", 64, 1, losses[i].first, around(losses[i].second, int(i)), "fit");
    for (auto& replicate : c.replicates) replicate.finals["eval/loss"] = replicate.finals["eval/accuracy"];
    results.configurations.push_back(c);
  }
  const auto claims = evaluate_claims(results, {"eval/loss", false});
  const Claim* knee = find(claims, 6, "n - 1 = 31");
  ASSERT_TRUE(knee);
  EXPECT_EQ(knee->mirrors, "Theorem 1 (fit probe)");
  EXPECT_NE(knee->better->description.find("head size 31"), std::string::npos) << knee->better->description;
  EXPECT_NE(knee->worse->description.find("head size 24"), std::string::npos) << knee->worse->description;
  EXPECT_EQ(knee->verdict, Verdict::reproduced);
  EXPECT_NE(knee->finding.find("No larger head size beats head size 31 significantly"), std::string::npos)
      << knee->finding;
  EXPECT_NE(knee->finding.find("8: 0.4, 16: 0.25"), std::string::npos) << knee->finding;
  // Another task, or several heads, is not Theorem 1's setting.
  for (auto& configuration : results.configurations) configuration.config["task"] = "mlm";
  EXPECT_FALSE(find(evaluate_claims(results, {"eval/loss", false}), 6, "n - 1"));
}

TEST(Claims, HeadSizeAndWidthComparisonsStateBothParameterCounts) {
  SweepResults results;
  results.configurations = {
      configuration("fixed", 64, 8, 8, around(0.40, 0)),
      configuration("fixed", 64, 8, 64, around(0.50, 1)),
      configuration("standard", 128, 8, 16, around(0.45, 2)),
  };
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* head_size = find(claims, 4, "larger head size");
  ASSERT_TRUE(head_size);
  EXPECT_NEAR(head_size->test->interval.estimate, 0.10, 1e-12);
  EXPECT_EQ(head_size->mirrors, "Table 2B, Figure 3b");
  const Claim* width = find(claims, 3, "smaller d_model");
  ASSERT_TRUE(width);
  EXPECT_NEAR(width->test->interval.estimate, 0.05, 1e-12);
  EXPECT_NE(width->finding.find("(head size 64, d_model 64)"), std::string::npos) << width->finding;
  EXPECT_NE(width->statement.find("larger one: d_model 64 against 128"), std::string::npos) << width->statement;
  EXPECT_NE(width->finding.find("64.5k against 128k non-embedding parameters"), std::string::npos) << width->finding;
  EXPECT_EQ(width->better->non_embedding_parameters, 64512);
  EXPECT_EQ(width->worse->non_embedding_parameters, 128128);
}

TEST(Claims, MatchedParametersPairAFixedModelWithTheWiderStandardOneOfItsSize) {
  // A sweep's `match` solved the fixed cells' d_model (and widened standard's feed-forward layer).
  SweepResults results;
  auto standard_wide = configuration("standard", 128, 8, 16, around(0.60, 0));
  auto fixed_narrow = configuration("fixed", 70, 16, 32, around(0.45, 1));
  auto standard_narrow = configuration("standard", 64, 16, 4, around(0.40, 2));
  auto fixed_same = configuration("fixed", 64, 16, 32, around(0.50, 3));
  standard_wide.non_embedding_parameters = 396000;
  fixed_narrow.non_embedding_parameters = 398000;
  standard_narrow.config["ffn_mult"] = 18;
  standard_narrow.non_embedding_parameters = 331000;
  fixed_same.config["ffn_mult"] = 4;
  fixed_same.non_embedding_parameters = 332000;
  results.configurations = {standard_wide, fixed_narrow, standard_narrow, fixed_same};
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* matched = find(claims, 3, "at equal non-embedding parameters");
  ASSERT_TRUE(matched);
  EXPECT_NE(matched->statement.find("d_model 70 against 128"), std::string::npos) << matched->statement;
  EXPECT_EQ(matched->verdict, Verdict::not_reproduced);
  EXPECT_NE(matched->finding.find("matched non-embedding parameters (within 2%)"), std::string::npos) << matched->finding;
  // The widened standard model and the fixed one at 16 heads are one context: claim 2 compares them.
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_NE(beats->finding.find("(head size 4, ffn_mult 18)"), std::string::npos) << beats->finding;
  EXPECT_NE(beats->finding.find("matched non-embedding parameters"), std::string::npos) << beats->finding;
}

TEST(Claims, AConfigurationAtTheUnigramBaselineIsFlagged) {
  SweepResults results;
  auto collapsed = configuration("standard", 32, 8, 4, {0.2401, 0.2401, 0.2402});
  auto learned = configuration("fixed", 32, 8, 32, around(0.43, 1));
  for (auto* c : {&collapsed, &learned}) {
    for (auto& replicate : c->replicates) replicate.finals["eval/unigram_accuracy"] = 0.2401;
  }
  EXPECT_TRUE(collapsed.at_unigram_baseline());
  EXPECT_FALSE(learned.at_unigram_baseline());
  results.configurations = {collapsed, learned};
  const auto claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* beats = find(claims, 2, "beats standard");
  ASSERT_TRUE(beats);
  EXPECT_NE(beats->finding.find("standard attention at 8 heads (head size 4) sits at the unigram baseline"),
            std::string::npos)
      << beats->finding;
}

TEST(Claims, WithSeveralWidthsEachWidthsClaimNamesItsWidth) {
  SweepResults results;
  results.configurations = {configuration("standard", 64, 2, 32, around(0.50, 0)),
                            configuration("fixed", 64, 16, 32, around(0.60, 1)),
                            configuration("standard", 128, 4, 32, around(0.66, 2)),
                            configuration("fixed", 128, 16, 32, around(0.69, 3))};
  std::vector<std::string> statements;
  for (const auto& claim : evaluate_claims(results, {"eval/accuracy", true})) {
    if (claim.comparison == 5) statements.push_back(claim.statement);
  }
  EXPECT_EQ(statements, (std::vector<std::string>{"many fixed-size heads beat a few large standard heads at d_model 64",
                                                  "many fixed-size heads beat a few large standard heads at d_model 128"}));
  results.configurations.resize(2);
  const auto one_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* one = find(one_claims, 5, "many fixed-size heads");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->statement, "many fixed-size heads beat a few large standard heads");
}

TEST(Claims, ARankAboveTheBoundFailsTheSanityCheck) {
  SweepResults results = heads_sweep();
  results.configurations[1].replicates[0].finals["rank/numerical/layer0"] = 9;  // head size 4
  const auto rank_claims = evaluate_claims(results, {"eval/accuracy", true});
  const Claim* rank = find(rank_claims, 6, "rank");
  ASSERT_TRUE(rank);
  EXPECT_EQ(rank->verdict, Verdict::not_reproduced);
  EXPECT_EQ(rank->verdict_text(false), "violated (sanity check)");
  EXPECT_NE(rank->finding.find(", 1 exceeded"), std::string::npos) << rank->finding;
}

TEST(Claims, ContextsAreComparedSeparatelyAndNamed) {
  SweepResults results;
  auto slow = configuration("standard", 64, 16, 4, around(0.40, 0));
  auto fast = configuration("fixed", 64, 16, 32, around(0.60, 1));
  auto slow_other = configuration("standard", 64, 16, 4, around(0.40, 2));
  auto fast_other = configuration("fixed", 64, 16, 32, around(0.30, 3));
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

TEST(Claims, HolmAdjustsAcrossTheFamilyAndLeavesTheSanityCheckAlone) {
  auto claims = evaluate_claims(heads_sweep(), {"eval/accuracy", true});
  std::vector<Claim*> family;
  for (auto& claim : claims) family.push_back(&claim);
  adjust_verdicts(family);
  for (const auto& claim : claims) {
    if (claim.sanity_check) {
      EXPECT_EQ(claim.adjusted, claim.verdict);
      continue;
    }
    // Never stronger than the uncorrected verdict.
    if (claim.verdict == Verdict::inconclusive) {
      EXPECT_EQ(claim.adjusted, Verdict::inconclusive) << claim.statement;
    }
    if (claim.adjusted != Verdict::inconclusive) {
      EXPECT_EQ(claim.adjusted, claim.verdict) << claim.statement;
    }
  }
  // A claim whose uncorrected p-value is below 5% but not below 5% / family size loses its verdict.
  Claim weak = claims.front();
  weak.test->p_value = 0.04;
  weak.test->interval = {0.1, 0.001, 0.2};
  weak.verdict = Verdict::reproduced;
  Claim strong = weak;
  strong.test->p_value = 0.001;
  std::vector<Claim*> pair = {&weak, &strong};
  adjust_verdicts(pair);
  EXPECT_EQ(strong.adjusted, Verdict::reproduced);
  EXPECT_EQ(weak.adjusted, Verdict::reproduced);  // 0.04 <= 0.05 / 1 after the first rejection
  Claim weaker = weak;
  weaker.test->p_value = 0.049;
  std::vector<Claim*> three = {&weak, &strong, &weaker};
  adjust_verdicts(three);
  EXPECT_EQ(strong.adjusted, Verdict::reproduced);  // 0.001 <= 0.05 / 3
  EXPECT_EQ(weak.adjusted, Verdict::inconclusive);  // 0.04 > 0.05 / 2: the procedure stops
  EXPECT_EQ(weaker.adjusted, Verdict::inconclusive);
}

// The same training in two sweeps is the same comparison even when one
// sweep's configs predate a setting and lack it (it holds its default).
TEST(Claims, AConfigWithoutASettingAddedLaterIsTheSameConfiguration) {
  SweepResults older = heads_sweep(), newer = heads_sweep();
  for (auto& configuration : newer.configurations) {
    configuration.config["test_split"] = false;  // the default
    configuration.config["kernels"] = "torch";   // how it computes, not what
  }
  const auto a = evaluate_claims(older, {"eval/accuracy", true});
  const auto b = evaluate_claims(newer, {"eval/accuracy", true});
  ASSERT_EQ(a.size(), b.size());
  const Claim* beats_a = find(a, 2, "beats standard");
  const Claim* beats_b = find(b, 2, "beats standard");
  ASSERT_TRUE(beats_a && beats_b);
  EXPECT_TRUE(beats_a->same_comparison(*beats_b));
  // A setting that changes the training does make another configuration.
  for (auto& configuration : newer.configurations) configuration.config["test_split"] = true;
  const auto c = evaluate_claims(newer, {"eval/accuracy", true});
  EXPECT_FALSE(beats_a->same_comparison(*find(c, 2, "beats standard")));
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
