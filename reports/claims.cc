#include "reports/claims.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/number_format.h"
#include "trainer/config.h"

namespace headroom {

JudgedMetric metric_goal(const SweepRecord& sweep, const std::string& metric) {
  if (sweep.metric && *sweep.metric == metric && sweep.goal) return {metric, *sweep.goal != "minimize"};
  for (const char* word : {"loss", "perplexity", "error", "kl"}) {
    if (metric.find(word) != std::string::npos) return {metric, false};
  }
  return {metric, true};
}

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::reproduced: return "reproduced";
    case Verdict::not_reproduced: return "not reproduced";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

std::string Claim::verdict_text(bool holm) const {
  if (sanity_check) return verdict == Verdict::reproduced ? "holds (sanity check)" : "violated (sanity check)";
  return to_string(holm ? adjusted : verdict);
}

bool Claim::same_comparison(const Claim& other) const {
  if (!better || !worse || !other.better || !other.worse) return false;
  return comparison == other.comparison && better->identity == other.better->identity &&
         worse->identity == other.worse->identity;
}

namespace {

// The settings a comparison varies; everything else in a config is context.
// ffn_mult varies where a sweep matched parameters by widening the
// feed-forward layer (docs/sweeps.md, "Matched budgets").
const std::set<std::string> kVaried = {"attention", "heads", "head_size", "d_model", "ffn_mult"};

// A configuration as the same training in any sweep: every setting with its
// default filled in (a setting headroom-train gained later is missing from
// the configs of older sweeps, as test_split is), without the seed and the
// settings that choose only how a run computes.
nlohmann::json identity_of(const nlohmann::json& config) {
  const auto parsed = trainer::parse_config(config);
  nlohmann::json identity = parsed.problems.empty() ? trainer::to_json(parsed.config) : config;
  identity.erase("seed");
  for (const auto& key : trainer::implementation_keys()) identity.erase(key);
  return identity;
}

// Non-embedding parameter counts this close count as matched.
constexpr double kMatchedParameters = 0.02;

struct Shape {
  const Configuration* configuration = nullptr;
  std::string attention;
  int64_t d_model = 0, heads = 0, head_size = 0, seq_len = 0, ffn_mult = 0;
};

Shape shape_of(const Configuration& configuration) {
  Shape shape;
  shape.configuration = &configuration;
  shape.attention = configuration.text("attention");
  shape.d_model = int64_t(configuration.number("d_model").value_or(0));
  shape.heads = int64_t(configuration.number("heads").value_or(0));
  shape.head_size = int64_t(configuration.number("head_size").value_or(0));
  shape.seq_len = int64_t(configuration.number("seq_len").value_or(0));
  shape.ffn_mult = int64_t(configuration.number("ffn_mult").value_or(0));
  return shape;
}

std::string plural(int64_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

// Describes one side of a comparison: "fixed head size attention at 16 heads (head size 32)".
std::string describe(const Shape& shape, bool with_width, bool with_ffn) {
  std::string text = shape.attention == "fixed" ? "fixed head size attention" : shape.attention + " attention";
  text += " at " + plural(shape.heads, "head") + " (head size " + std::to_string(shape.head_size);
  if (with_width) text += ", d_model " + std::to_string(shape.d_model);
  if (with_ffn) text += ", ffn_mult " + std::to_string(shape.ffn_mult);
  return text + ")";
}

bool parameters_matched(const Configuration& a, const Configuration& b) {
  const double na = double(a.non_embedding_parameters), nb = double(b.non_embedding_parameters);
  return nb > 0 && std::fabs(na - nb) <= kMatchedParameters * nb;
}

// "84k", "1.2M": parameter counts as a reader takes them in.
std::string count_text(int64_t count) {
  if (count >= 1000000) return significant(double(count) / 1e6, 3) + "M";
  if (count >= 1000) return significant(double(count) / 1e3, 3) + "k";
  return std::to_string(count);
}

Verdict verdict_of(const std::optional<Comparison>& test) {
  if (!test || test->degenerate) return Verdict::inconclusive;
  if (test->interval.low > 0) return Verdict::reproduced;
  if (test->interval.high < 0) return Verdict::not_reproduced;
  return Verdict::inconclusive;
}

class ClaimBuilder {
 public:
  ClaimBuilder(const JudgedMetric& goal, std::string task, std::string context)
      : goal_(goal), task_(std::move(task)), context_(std::move(context)) {}

  const JudgedMetric& goal() const { return goal_; }

  // The goal metric's final values by seed, and their mean.
  std::map<int64_t, double> by_seed(const Shape& shape) const { return shape.configuration->finals_by_seed(goal_.name); }
  double mean(const Shape& shape) const { return summarize(shape.configuration->finals(goal_.name)).mean; }

  // The predicted advantage of `better` over `worse` (positive: better is better).
  std::optional<Comparison> advantage(const Shape& better, const Shape& worse) const {
    return goal_.maximize ? compare_by_seed(by_seed(better), by_seed(worse))
                          : compare_by_seed(by_seed(worse), by_seed(better));
  }

  // Adds the claim that `better` beats `worse` on the goal metric; `remark`
  // is a sentence appended to the finding.
  void compare(int comparison, const std::string& mirrors, const std::string& statement, const Shape& better,
               const Shape& worse, bool with_width, std::string remark = "") {
    const auto a = better.configuration->finals(goal_.name), b = worse.configuration->finals(goal_.name);
    if (a.empty() || b.empty()) return;
    Claim claim;
    claim.comparison = comparison;
    claim.mirrors = task_ == "fit" ? mirrors + " (fit probe)" : mirrors;
    claim.statement = statement + context_;
    const bool with_ffn = better.ffn_mult != worse.ffn_mult;
    claim.better = side(better, with_width, with_ffn);
    claim.worse = side(worse, with_width, with_ffn);
    const double difference = goal_.maximize ? claim.better->mean - claim.worse->mean : claim.worse->mean - claim.better->mean;
    claim.test = advantage(better, worse);
    claim.verdict = verdict_of(claim.test);
    std::string finding = claim.better->description + (difference >= 0 ? " beats " : " trails ") +
                          claim.worse->description + " by " + significant(std::fabs(difference)) + " " + goal_.name +
                          " (" + significant(claim.better->mean) + " against " + significant(claim.worse->mean) +
                          "; " + count_text(claim.better->non_embedding_parameters) + " against " +
                          count_text(claim.worse->non_embedding_parameters) + " non-embedding parameters)";
    if (claim.test) finding += "; " + test_text(*claim.test);
    if (!claim.test) {
      finding += a.size() == b.size() ? ", " + plural(int64_t(a.size()), "seed") + " each"
                                      : ", " + plural(int64_t(a.size()), "seed") + " against " + std::to_string(b.size());
      finding += ": too few seeds for an interval";
    }
    for (const Shape* shape : {&better, &worse}) {
      if (!shape->configuration->at_unigram_baseline()) continue;
      remark += " " + describe(*shape, with_width, with_ffn) +
                " sits at the unigram baseline (no better than predicting the most frequent character): the "
                "comparison says nothing about attention.";
    }
    if (parameters_matched(*better.configuration, *worse.configuration)) {
      remark = " The two have matched non-embedding parameters (within 2%)." + remark;
    }
    claim.finding = finding + "." + remark;
    claims_.push_back(std::move(claim));
  }

  // "95% interval of the advantage [a, b], paired over 3 seeds, p = 0.01".
  static std::string test_text(const Comparison& test) {
    std::string text = "95% interval of the advantage [" + significant(test.interval.low) + ", " +
                       significant(test.interval.high) + "], ";
    text += test.pairing == Pairing::paired ? "paired over " + plural(int64_t(test.pairs), "seed")
                                            : "Welch, " + std::to_string(test.count_a) + " against " +
                                                  std::to_string(test.count_b) + " seeds";
    if (test.degenerate) return text + ", no spread: says nothing";
    return text + ", p = " + significant(test.p_value, 2);
  }

  std::vector<Claim> take() { return std::move(claims_); }

 private:
  ClaimSide side(const Shape& shape, bool with_width, bool with_ffn) const {
    ClaimSide side;
    side.description = describe(shape, with_width, with_ffn);
    side.identity = identity_of(shape.configuration->config).dump();
    side.non_embedding_parameters = shape.configuration->non_embedding_parameters;
    side.mean = mean(shape);
    side.seeds = shape.configuration->finals(goal_.name).size();
    return side;
  }

  JudgedMetric goal_;
  std::string task_, context_;
  std::vector<Claim> claims_;
};

const Shape* find_heads(const std::vector<Shape>& shapes, int64_t heads) {
  for (const auto& shape : shapes) {
    if (shape.heads == heads) return &shape;
  }
  return nullptr;
}

// Comparison 1 at one width (standard attention, by heads): where quality
// peaks, where the first significant fall from the peak comes, and two
// tests: does quality fall as soon as head size drops below seq_len (the
// paper's onset), and is the most heads worse than the peak (the end point).
void compare_standard_heads(ClaimBuilder& builder, const std::vector<Shape>& standard, const std::string& at_width) {
  if (standard.size() < 2) return;
  const JudgedMetric& goal = builder.goal();
  const Shape* peak = &standard.front();
  for (const auto& shape : standard) {
    const double m = builder.mean(shape), best = builder.mean(*peak);
    if (goal.maximize ? m > best : m < best) peak = &shape;
  }
  const Shape* onset = nullptr;  // the first head count past the peak significantly below it
  for (const auto& shape : standard) {
    if (shape.heads <= peak->heads) continue;
    auto test = builder.advantage(*peak, shape);
    if (test && !test->degenerate && test->interval.low > 0) {
      onset = &shape;
      break;
    }
  }
  const std::string where = "Standard attention peaks at " + plural(peak->heads, "head") + " (head size " +
                            std::to_string(peak->head_size) + ") and " +
                            (onset ? "first falls significantly below that at " + plural(onset->heads, "head") +
                                         " (head size " + std::to_string(onset->head_size) + ")."
                                   : "no larger head count falls significantly below it.");
  // The paper's onset: the last head count whose head size reaches seq_len, against the next one.
  const Shape* last_full = nullptr;
  const Shape* first_short = nullptr;
  for (const auto& shape : standard) {
    if (shape.head_size >= shape.seq_len) last_full = &shape;
    if (!first_short && shape.head_size < shape.seq_len) first_short = &shape;
  }
  if (last_full && first_short && first_short->heads > last_full->heads) {
    builder.compare(1, "Table 1, Figure 3a",
                    "standard attention degrades as soon as head size d_model/heads falls below seq_len" + at_width,
                    *last_full, *first_short, false, " " + where);
  }
  const Shape& most = standard.back();
  const bool same_pair = peak == last_full && &most == first_short;  // the onset's claim tests it already
  if (&most != peak && most.head_size < most.seq_len && !same_pair) {
    builder.compare(1, "Table 1, Figure 3a", "with many heads, standard attention falls below its best head count" + at_width,
                    *peak, most, false, " " + where);
  }
}

// Comparisons at one width: 2 (fixed beats standard, fixed improves with
// heads) and 5 (many fixed heads beat few large ones). `at_width` (" at
// d_model 64" when the sweep has several widths, else empty) tells the
// otherwise identical statements of different widths apart.
void compare_at_width(ClaimBuilder& builder, const std::vector<Shape>& standard, const std::vector<Shape>& fixed,
                      const std::string& at_width) {
  compare_standard_heads(builder, standard, at_width);
  const Shape* few = nullptr;  // the most heads standard attention has with head_size >= seq_len
  for (const auto& shape : standard) {
    if (shape.head_size >= shape.seq_len) few = &shape;
  }
  for (auto shape = fixed.rbegin(); shape != fixed.rend(); ++shape) {
    const Shape* rival = find_heads(standard, shape->heads);
    if (rival && rival->head_size < rival->seq_len) {
      builder.compare(2, "Figure 3a, Tables 2A and 3A",
                      "with many heads, fixed head size attention beats standard attention" + at_width, *shape, *rival,
                      false);
      break;
    }
  }
  if (fixed.size() >= 2 && fixed.front().head_size == fixed.back().head_size) {
    bool monotonic = true;
    for (size_t i = 1; i < fixed.size(); ++i) {
      const double previous = builder.mean(fixed[i - 1]), current = builder.mean(fixed[i]);
      if (builder.goal().maximize ? current < previous : current > previous) monotonic = false;
    }
    builder.compare(2, "Figure 3a, Tables 2A and 3A", "fixed head size attention improves as heads are added" + at_width,
                    fixed.back(), fixed.front(), false,
                    monotonic ? " The means improve at every step." : " The means do not improve at every step.");
  }
  if (few && !fixed.empty() && fixed.back().heads > few->heads) {
    builder.compare(5, "Figure 4", "many fixed-size heads beat a few large standard heads" + at_width, fixed.back(),
                    *few, false);
  }
}

// Comparison 4: at fixed heads and width, a larger head size helps.
void compare_head_sizes(ClaimBuilder& builder, const std::vector<Shape>& fixed, const std::string& at_width) {
  std::map<int64_t, std::vector<Shape>> by_heads;
  for (const auto& shape : fixed) by_heads[shape.heads].push_back(shape);
  for (auto& [heads, shapes] : by_heads) {
    if (shapes.size() < 2) continue;
    std::sort(shapes.begin(), shapes.end(), [](const Shape& a, const Shape& b) { return a.head_size < b.head_size; });
    builder.compare(4, "Table 2B, Figure 3b", "at a fixed number of heads, a larger head size is better" + at_width,
                    shapes.back(), shapes.front(), false);
  }
}

// Comparison 6, Theorem 1 directly: one head of head size d_p fitting a dense
// attention matrix over n = seq_len positions can do so exactly only once
// d_p >= n - 1 (softmax ignores a constant per row). Where a context has one
// head at head sizes on both sides of n - 1, the smallest head size at or
// past n - 1 should beat the largest one below it, and the error should stop
// falling there: the finding names the knee, the smallest head size that no
// larger one beats significantly.
void compare_theorem_one(ClaimBuilder& builder, const std::vector<Shape>& shapes) {
  std::vector<Shape> one_head;
  for (const auto& shape : shapes) {
    if (shape.heads == 1 && shape.seq_len > 1) one_head.push_back(shape);
  }
  std::sort(one_head.begin(), one_head.end(), [](const Shape& a, const Shape& b) { return a.head_size < b.head_size; });
  if (one_head.size() < 2) return;
  const int64_t n = one_head.front().seq_len;
  const Shape* below = nullptr;
  const Shape* at = nullptr;
  for (const auto& shape : one_head) {
    if (shape.seq_len != n) return;
    if (shape.head_size < n - 1) below = &shape;
    if (shape.head_size >= n - 1 && !at) at = &shape;
  }
  if (!below || !at) return;
  // The knee: the smallest head size that no larger head size beats with an
  // interval above zero.
  const Shape* knee = nullptr;
  for (const auto& shape : one_head) {
    const bool beaten = std::any_of(one_head.begin(), one_head.end(), [&](const Shape& larger) {
      if (larger.head_size <= shape.head_size) return false;
      const auto test = builder.advantage(larger, shape);
      return test && !test->degenerate && test->interval.low > 0;
    });
    if (!beaten) {
      knee = &shape;
      break;
    }
  }
  std::string curve;
  for (const auto& shape : one_head) {
    curve += (curve.empty() ? "" : ", ") + std::to_string(shape.head_size) + ": " + significant(builder.mean(shape));
  }
  std::string remark = " Mean " + builder.goal().name + " by head size: " + curve + ". ";
  remark += knee ? "No larger head size beats head size " + std::to_string(knee->head_size) +
                       " significantly (the knee; the theorem puts it at n - 1 = " + std::to_string(n - 1) + ")."
                 : "Every head size is beaten by a larger one.";
  builder.compare(6, "Theorem 1",
                  "one head of size n - 1 = " + std::to_string(n - 1) + " (or more) fits a dense attention matrix "
                  "better than a smaller one (n = seq_len = " + std::to_string(n) + ")",
                  *at, *below, false, remark);
}

// Comparison 3: fixed head size at a width beats standard at the next larger width.
void compare_widths(ClaimBuilder& builder, const std::map<int64_t, std::vector<Shape>>& standard_by_width,
                    const std::map<int64_t, std::vector<Shape>>& fixed_by_width) {
  for (const auto& [width, fixed] : fixed_by_width) {
    auto wider = standard_by_width.upper_bound(width);
    if (wider == standard_by_width.end()) continue;
    for (auto shape = fixed.rbegin(); shape != fixed.rend(); ++shape) {
      const Shape* rival = find_heads(wider->second, shape->heads);
      if (!rival) continue;
      builder.compare(3, "Figures 1 and 2",
                      "fixed head size attention with a smaller d_model matches or beats standard attention with a "
                      "larger one: d_model " +
                          std::to_string(width) + " against " + std::to_string(wider->first),
                      *shape, *rival, true);
      break;
    }
  }
}

// Comparison 3 at matched parameters: each fixed head size configuration
// against the standard one of a larger d_model whose non-embedding
// parameters are closest, when they are within 2% (a sweep's `match`).
void compare_matched_widths(ClaimBuilder& builder, const std::vector<Shape>& standard, const std::vector<Shape>& fixed) {
  for (const auto& shape : fixed) {
    const Shape* nearest = nullptr;
    const auto distance = [&](const Shape& s) {
      return std::fabs(double(s.configuration->non_embedding_parameters - shape.configuration->non_embedding_parameters));
    };
    for (const auto& rival : standard) {
      if (rival.d_model <= shape.d_model || !parameters_matched(*shape.configuration, *rival.configuration)) continue;
      if (!nearest || distance(rival) < distance(*nearest)) nearest = &rival;
    }
    if (!nearest) continue;
    builder.compare(3, "Figures 1 and 2 (matched parameters)",
                    "at equal non-embedding parameters, fixed head size attention with a smaller d_model matches or "
                    "beats standard attention with a larger one: d_model " +
                        std::to_string(shape.d_model) + " against " + std::to_string(nearest->d_model),
                    shape, *nearest, true);
  }
}

// The rank bound: a head's logits have rank at most min(head_size, seq_len).
std::optional<Claim> check_rank_bound(const SweepResults& results) {
  int64_t layers_checked = 0, above = 0;
  for (const auto& configuration : results.configurations) {
    const Shape shape = shape_of(configuration);
    const double bound = double(std::min(shape.head_size, shape.seq_len));
    for (const auto& replicate : configuration.replicates) {
      for (const auto& [name, value] : replicate.finals) {
        if (name.rfind("rank/numerical/", 0) != 0) continue;
        ++layers_checked;
        if (value > bound + 0.5) ++above;
      }
    }
  }
  if (layers_checked == 0) return std::nullopt;
  Claim claim;
  claim.comparison = 6;
  claim.mirrors = "Theorem 1 (its premise)";
  claim.statement = "the attention logits' rank is at most min(head_size, seq_len)";
  claim.sanity_check = true;
  claim.finding = "Of " + std::to_string(layers_checked) + " measured layer ranks (final evaluation, every run), " +
                  std::to_string(above) +
                  " exceeded min(head_size, seq_len). This is linear algebra that holds for any trained model: it "
                  "checks the measurement, not the paper; the effective ranks against the cap below say whether "
                  "the cap binds.";
  claim.verdict = above == 0 ? Verdict::reproduced : Verdict::not_reproduced;
  claim.adjusted = claim.verdict;
  return claim;
}

std::vector<Shape> sorted_by_heads(std::vector<Shape> shapes) {
  std::sort(shapes.begin(), shapes.end(), [](const Shape& a, const Shape& b) { return a.heads < b.heads; });
  return shapes;
}

// " (lr 0.001)": the context values that tell this context from the others.
std::string context_label(const nlohmann::json& context, const std::set<std::string>& differing) {
  std::string label;
  for (const auto& key : differing) {
    label += (label.empty() ? " (" : ", ") + key + " " +
             (context[key].is_string() ? context[key].get<std::string>() : context[key].dump());
  }
  return label.empty() ? "" : label + ")";
}

}  // namespace

std::vector<Claim> evaluate_claims(const SweepResults& results, const JudgedMetric& goal) {
  // Contexts: configurations equal in everything the comparisons do not vary.
  std::map<std::string, std::pair<nlohmann::json, std::vector<Shape>>> contexts;
  for (const auto& configuration : results.configurations) {
    if (configuration.finals(goal.name).empty()) continue;
    nlohmann::json context = configuration.config;
    for (const auto& key : kVaried) context.erase(key);
    auto& entry = contexts[context.dump()];
    entry.first = context;
    entry.second.push_back(shape_of(configuration));
  }
  std::set<std::string> differing;
  for (const auto& [key, entry] : contexts) {
    for (const auto& [name, value] : entry.first.items()) {
      for (const auto& [other_key, other] : contexts) {
        if (other.first.value(name, nlohmann::json()) != value) differing.insert(name);
      }
    }
  }
  std::vector<Claim> claims;
  for (const auto& [key, entry] : contexts) {
    const auto& [context, shapes] = entry;
    ClaimBuilder builder(goal, context.value("task", ""), context_label(context, differing));
    std::map<int64_t, std::vector<Shape>> standard_by_width, fixed_by_width;
    for (const auto& shape : shapes) {
      if (shape.attention == "standard") standard_by_width[shape.d_model].push_back(shape);
      if (shape.attention == "fixed") fixed_by_width[shape.d_model].push_back(shape);
    }
    for (auto& [width, list] : standard_by_width) list = sorted_by_heads(list);
    for (auto& [width, list] : fixed_by_width) list = sorted_by_heads(list);
    std::set<int64_t> widths;
    for (const auto& [width, list] : standard_by_width) widths.insert(width);
    for (const auto& [width, list] : fixed_by_width) widths.insert(width);
    for (int64_t width : widths) {
      std::vector<Shape> fixed_one_size;  // comparison 2 holds head_size constant
      for (const auto& shape : fixed_by_width[width]) {
        if (fixed_one_size.empty() || shape.head_size == fixed_one_size.front().head_size) {
          fixed_one_size.push_back(shape);
        }
      }
      const std::string at_width = widths.size() > 1 ? " at d_model " + std::to_string(width) : "";
      compare_at_width(builder, standard_by_width[width], fixed_one_size, at_width);
      compare_head_sizes(builder, fixed_by_width[width], at_width);
    }
    compare_widths(builder, standard_by_width, fixed_by_width);
    std::vector<Shape> all_standard, all_fixed;
    for (const auto& [width, list] : standard_by_width) all_standard.insert(all_standard.end(), list.begin(), list.end());
    for (const auto& [width, list] : fixed_by_width) all_fixed.insert(all_fixed.end(), list.begin(), list.end());
    compare_matched_widths(builder, all_standard, all_fixed);
    if (context.value("task", "") == "fit") compare_theorem_one(builder, all_fixed);
    for (auto& claim : builder.take()) claims.push_back(std::move(claim));
  }
  if (auto rank = check_rank_bound(results)) claims.push_back(std::move(*rank));
  for (auto& claim : claims) claim.sources = {results.sweep.name};
  std::stable_sort(claims.begin(), claims.end(),
                   [](const Claim& a, const Claim& b) { return a.comparison < b.comparison; });
  return claims;
}

void adjust_verdicts(std::vector<Claim*>& claims) {
  std::vector<Claim*> family;
  std::vector<double> p_values;
  for (Claim* claim : claims) {
    if (claim->sanity_check) continue;
    claim->adjusted = Verdict::inconclusive;
    if (!claim->test || claim->test->degenerate) continue;
    family.push_back(claim);
    p_values.push_back(claim->test->p_value);
  }
  const auto rejected = holm_rejections(p_values);
  for (size_t i = 0; i < family.size(); ++i) {
    if (!rejected[i]) continue;
    family[i]->adjusted =
        family[i]->test->interval.estimate > 0 ? Verdict::reproduced : Verdict::not_reproduced;
  }
}

}  // namespace headroom
