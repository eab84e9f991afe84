#pragma once
// The paper's comparisons (docs/paper.md, "The comparisons a
// reproduction must show"), computed from a sweep's results wherever the
// sweep has the configurations a comparison needs. Every sentence is built
// from the numbers; nothing is hard-coded. Pure: no I/O.

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

struct Claim {
  int comparison = 0;     // 1..6 in docs/paper.md's list
  std::string mirrors;    // the paper's table or figure
  std::string statement;  // what the paper claims, for this setting
  std::string finding;    // the computed sentence
  // The advantage the claim predicts (positive supports it), over seeds.
  std::optional<Interval> advantage;
  Verdict verdict = Verdict::inconclusive;
};

// Verdicts: reproduced when the 95% interval of the advantage lies above 0,
// not reproduced when it lies below 0, inconclusive when it contains 0 or a
// side has fewer than two seeds. The rank claim (6) is a count, not an
// interval: reproduced when no measured rank exceeds min(head_size, seq_len).
std::vector<Claim> evaluate_claims(const SweepResults& results, const JudgedMetric& goal);

}  // namespace headroom
