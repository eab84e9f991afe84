#include "reports/claims.h"

#include "common/number_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

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

namespace {

// The settings a comparison varies; everything else in a config is context.
const std::set<std::string> kVaried = {"attention", "heads", "head_size", "d_model"};

struct Shape {
  const Configuration* configuration = nullptr;
  std::string attention;
  int64_t d_model = 0, heads = 0, head_size = 0, seq_len = 0;
};

Shape shape_of(const Configuration& configuration) {
  Shape shape;
  shape.configuration = &configuration;
  shape.attention = configuration.text("attention");
  shape.d_model = int64_t(configuration.number("d_model").value_or(0));
  shape.heads = int64_t(configuration.number("heads").value_or(0));
  shape.head_size = int64_t(configuration.number("head_size").value_or(0));
  shape.seq_len = int64_t(configuration.number("seq_len").value_or(0));
  return shape;
}

std::string plural(int64_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

// Describes one side of a comparison: "fixed head size attention at 16 heads (head size 32)".
std::string describe(const Shape& shape, bool with_width) {
  std::string text = shape.attention == "fixed" ? "fixed head size attention" : shape.attention + " attention";
  text += " at " + plural(shape.heads, "head") + " (head size " + std::to_string(shape.head_size);
  if (with_width) text += ", d_model " + std::to_string(shape.d_model);
  return text + ")";
}

class ClaimBuilder {
 public:
  ClaimBuilder(const JudgedMetric& goal, std::string task, std::string context)
      : goal_(goal), task_(std::move(task)), context_(std::move(context)) {}

  // Adds the claim that `better` beats `worse` on the goal metric.
  void compare(int comparison, const std::string& mirrors, const std::string& statement, const Shape& better,
               const Shape& worse, bool with_width, const std::string& remark = "") {
    Claim claim;
    claim.comparison = task_ == "fit" ? 6 : comparison;
    claim.mirrors = task_ == "fit" ? "Theorem 1 (fit probe)" : mirrors;
    claim.statement = statement + context_;
    const auto a = better.configuration->finals(goal_.name), b = worse.configuration->finals(goal_.name);
    if (a.empty() || b.empty()) return;
    const Summary sa = summarize(a), sb = summarize(b);
    const double advantage = goal_.maximize ? sa.mean - sb.mean : sb.mean - sa.mean;
    claim.advantage = goal_.maximize ? welch_difference_interval(a, b) : welch_difference_interval(b, a);
    std::string finding = describe(better, with_width) + (advantage >= 0 ? " beats " : " trails ") +
                          describe(worse, with_width) + " by " + significant(std::fabs(advantage)) + " " +
                          goal_.name + " (" + significant(sa.mean) + " against " + significant(sb.mean) + ")";
    if (claim.advantage) {
      finding += "; 95% interval of the advantage [" + significant(claim.advantage->low) + ", " +
                 significant(claim.advantage->high) + "]";
      claim.verdict = claim.advantage->low > 0    ? Verdict::reproduced
                      : claim.advantage->high < 0 ? Verdict::not_reproduced
                                                  : Verdict::inconclusive;
    }
    finding += a.size() == b.size() ? ", " + plural(int64_t(a.size()), "seed") + " each"
                                    : ", " + plural(int64_t(a.size()), "seed") + " against " + std::to_string(b.size());
    if (!claim.advantage) finding += ": too few seeds for an interval";
    claim.finding = finding + "." + remark;
    claims_.push_back(std::move(claim));
  }

  std::vector<Claim> take() { return std::move(claims_); }

 private:
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

// Comparisons at one width: 1 (standard degrades), 2 (fixed beats standard,
// fixed improves with heads), 5 (many fixed heads beat few large ones).
// `at_width` (" at d_model 64" when the sweep has several widths, else empty)
// tells the otherwise identical statements of different widths apart.
void compare_at_width(ClaimBuilder& builder, const std::vector<Shape>& standard, const std::vector<Shape>& fixed,
                      const JudgedMetric& goal, const std::string& at_width) {
  const Shape* few = nullptr;  // the most heads standard attention has with head_size >= seq_len
  for (const auto& shape : standard) {
    if (shape.head_size >= shape.seq_len) few = &shape;
  }
  if (few && !standard.empty() && standard.back().heads > few->heads &&
      standard.back().head_size < standard.back().seq_len) {
    builder.compare(1, "Table 1, Figure 3a",
                    "standard attention degrades once head size d_model/heads falls below seq_len" + at_width, *few,
                    standard.back(), false);
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
      const double previous = summarize(fixed[i - 1].configuration->finals(goal.name)).mean;
      const double current = summarize(fixed[i].configuration->finals(goal.name)).mean;
      if (goal.maximize ? current < previous : current > previous) monotonic = false;
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
                      *shape, *rival, true,
                      " Non-embedding parameters: " + std::to_string(shape->configuration->non_embedding_parameters) +
                          " against " + std::to_string(rival->configuration->non_embedding_parameters) + ".");
      break;
    }
  }
}

// Comparison 6 (Theorem 1): the rank of a head's logits is capped by min(head_size, seq_len).
std::optional<Claim> check_rank_bound(const SweepResults& results) {
  int64_t layers_checked = 0, above = 0, bottlenecked = 0, at_bound = 0;
  for (const auto& configuration : results.configurations) {
    const Shape shape = shape_of(configuration);
    const double bound = double(std::min(shape.head_size, shape.seq_len));
    for (const auto& replicate : configuration.replicates) {
      for (const auto& [name, value] : replicate.finals) {
        if (name.rfind("rank/numerical/", 0) != 0) continue;
        ++layers_checked;
        if (value > bound + 0.5) ++above;
        if (shape.head_size < shape.seq_len) {
          ++bottlenecked;
          if (value > bound - 0.5) ++at_bound;
        }
      }
    }
  }
  if (layers_checked == 0) return std::nullopt;
  Claim claim;
  claim.comparison = 6;
  claim.mirrors = "Theorem 1";
  claim.statement = "the attention logits' rank is at most min(head_size, seq_len)";
  claim.finding = "Of " + std::to_string(layers_checked) + " measured layer ranks (final evaluation, every run), " +
                  std::to_string(above) + " exceeded min(head_size, seq_len)";
  if (bottlenecked > 0) {
    claim.finding += "; where head_size < seq_len, " + std::to_string(at_bound) + " of " +
                     std::to_string(bottlenecked) + " reached the bound head_size";
  }
  claim.finding += ".";
  claim.verdict = above == 0 ? Verdict::reproduced : Verdict::not_reproduced;
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
      compare_at_width(builder, standard_by_width[width], fixed_one_size, goal, at_width);
      compare_head_sizes(builder, fixed_by_width[width], at_width);
    }
    compare_widths(builder, standard_by_width, fixed_by_width);
    for (auto& claim : builder.take()) claims.push_back(std::move(claim));
  }
  if (auto rank = check_rank_bound(results)) claims.push_back(std::move(*rank));
  std::stable_sort(claims.begin(), claims.end(),
                   [](const Claim& a, const Claim& b) { return a.comparison < b.comparison; });
  return claims;
}

}  // namespace headroom
