#pragma once
// The paper's comparisons (docs/paper.md, "The comparisons a
// reproduction must show"), computed from a sweep's results wherever the
// sweep has the configurations a comparison needs. Every sentence is built
// from the numbers; nothing is hard-coded. Pure: no I/O.
//
// How a claim is judged:
// - Two configurations are compared on the report's metric, paired by seed
//   where they share seeds (seeds share data order and evaluation set),
//   else by Welch's interval; the finding says which.
// - Verdict: reproduced when the 95% interval of the predicted advantage
//   lies above 0, not reproduced when it lies below 0, inconclusive when it
//   contains 0, when a side has too few seeds, or when the interval has no
//   width (no spread: it says nothing).
// - A report makes many such tests: adjust_verdicts() gives each the
//   verdict Holm's correction allows across the report's distinct claims,
//   and the headline table uses those.
// - The rank bound (rank <= min(head_size, seq_len)) is linear algebra that
//   cannot fail: a sanity check of the measurement, never counted as
//   evidence for Theorem 1.

#include <optional>
#include <string>
#include <vector>

#include "reports/results.h"
#include "reports/statistics.h"

namespace headroom {

// The metric a report judges by and which way is better.
struct JudgedMetric {
  std::string name;
  bool maximize = true;
};
// The goal for `metric`: the sweep's own goal when it is the sweep's metric,
// else minimize for names that read as errors (loss, perplexity, error, kl).
JudgedMetric metric_goal(const SweepRecord& sweep, const std::string& metric);

enum class Verdict { reproduced, not_reproduced, inconclusive };
std::string to_string(Verdict verdict);

// One configuration of a comparison.
struct ClaimSide {
  std::string description;  // "fixed head size attention at 16 heads (head size 32)"
  std::string identity;     // its config without the seed: the same configuration in any sweep
  int64_t non_embedding_parameters = 0;
  double mean = 0;
  size_t seeds = 0;
};

struct Claim {
  int comparison = 0;     // 1..6 in docs/paper.md's list
  std::string mirrors;    // the paper's table or figure
  std::string statement;  // what the paper claims, for this setting
  std::string finding;    // the computed sentence
  // The configuration the claim predicts to be better, and the other; both
  // absent for the sanity check.
  std::optional<ClaimSide> better, worse;
  // The predicted advantage (positive supports the claim) with its interval
  // and p-value; absent with too few seeds.
  std::optional<Comparison> test;
  Verdict verdict = Verdict::inconclusive;   // uncorrected 95%
  Verdict adjusted = Verdict::inconclusive;  // Holm across the report (adjust_verdicts)
  bool sanity_check = false;
  std::vector<std::string> sources;  // the sweeps whose runs gave it

  // "reproduced", ..., or for the sanity check "holds (sanity check)".
  std::string verdict_text(bool holm) const;
  // The same comparison of the same two configurations (from another sweep).
  bool same_comparison(const Claim& other) const;
};

std::vector<Claim> evaluate_claims(const SweepResults& results, const JudgedMetric& goal);

// Sets `adjusted` on every claim: Holm's step-down procedure at 5% over the
// claims that have a usable test (the family); a claim without one, or whose
// hypothesis is not rejected, is inconclusive; the sanity check keeps its
// verdict.
void adjust_verdicts(std::vector<Claim*>& claims);

}  // namespace headroom
