// Cells matched to a budget (the sweep's `match:`; orchestrator/grid/budget.h).
#include "orchestrator/grid/budget.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>

#include "orchestrator/grid/grid.h"

namespace headroom {
namespace {

Result<Expansion> expand_text(const std::string& yaml) {
  auto spec = parse_sweep(yaml, "m.yaml");
  if (!spec) return spec.error();
  return expand(spec.value());
}

const Cell& cell_with(const Expansion& expansion, const std::string& attention, int heads) {
  for (const auto& cell : expansion.cells) {
    if (cell.config["attention"] == attention && cell.config["heads"] == heads) return cell;
  }
  throw std::runtime_error("no such cell");
}

const char* kMatchedHeads = R"(
base: {task: mlm, d_model: 64, layers: 2, seq_len: 32, steps: 100}
parameters:
  heads: {values: [4, 8, 16]}
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 32}
match:
  budget: non_embedding_parameters
  solve: ffn_mult
  where: {attention: standard}
  target: {like: {attention: fixed, head_size: 32}}
  tolerance: 0.05
)";

TEST(Budget, StandardCellsWidenTheirFeedForwardToMatchFixedAtTheSameHeads) {
  auto expansion = expand_text(kMatchedHeads);
  ASSERT_TRUE(expansion.ok()) << expansion.error().to_string();
  for (int heads : {4, 8, 16}) {
    const Cell& standard = cell_with(expansion.value(), "standard", heads);
    const Cell& fixed = cell_with(expansion.value(), "fixed", heads);
    ASSERT_TRUE(standard.budget) << heads;
    EXPECT_FALSE(fixed.budget) << heads;  // `where` leaves fixed cells as they are
    EXPECT_EQ(standard.budget->target, double(fixed.size.non_embedding_parameters));
    EXPECT_EQ(standard.budget->achieved, double(standard.size.non_embedding_parameters));
    EXPECT_LE(std::fabs(standard.budget->relative_error()), 0.05);
    EXPECT_EQ(standard.parameters["ffn_mult"], standard.config["ffn_mult"]);  // shown as a swept value
    // No other ffn_mult comes closer.
    for (int other : {standard.config["ffn_mult"].get<int>() - 1, standard.config["ffn_mult"].get<int>() + 1}) {
      auto parsed = trainer::parse_config({{"task", "mlm"}, {"d_model", 64}, {"layers", 2}, {"seq_len", 32},
                                           {"heads", heads}, {"ffn_mult", other}});
      ASSERT_TRUE(parsed.problems.empty());
      EXPECT_GE(std::fabs(budget_of("non_embedding_parameters", parsed.config) - standard.budget->target),
                std::fabs(standard.budget->achieved - standard.budget->target));
    }
  }
  EXPECT_GT(cell_with(expansion.value(), "standard", 16).config["ffn_mult"].template get<int>(),
            cell_with(expansion.value(), "standard", 4).config["ffn_mult"].get<int>());
}

TEST(Budget, FixedCellsSolveTheirWidthToMatchAWiderStandardModel) {
  auto expansion = expand_text(R"(
base: {task: mlm, layers: 2, seq_len: 32, steps: 100}
parameters:
  d_model: {values: [96, 128]}
  attention:
    values: [standard, fixed]
    overrides:
      standard: {heads: 8}
      fixed: {heads: 16, head_size: 32}
match:
  budget: non_embedding_parameters
  solve: d_model
  where: {attention: fixed}
  target: {like: {attention: standard, heads: 8}}
  tolerance: 0.03
)");
  ASSERT_TRUE(expansion.ok()) << expansion.error().to_string();
  std::vector<int> fixed_widths;
  for (const auto& cell : expansion->cells) {
    if (cell.config["attention"] != "fixed") continue;
    ASSERT_TRUE(cell.budget);
    fixed_widths.push_back(cell.config["d_model"].get<int>());
  }
  ASSERT_EQ(fixed_widths.size(), 2u);
  EXPECT_LT(fixed_widths[0], 96);  // smaller than the standard model it matches
  EXPECT_LT(fixed_widths[1], 128);
  EXPECT_LT(fixed_widths[0], fixed_widths[1]);
}

TEST(Budget, ANumberTargetAndEveryBudgetKind) {
  for (const char* budget : {"parameters", "non_embedding_parameters", "training_flops_per_token", "training_flops"}) {
    auto plain = expand_text(std::string("base: {d_model: 64, heads: 4}\nparameters:\n  seed: {values: [0]}\n"));
    ASSERT_TRUE(plain.ok());
    auto config = trainer::parse_config(plain->cells.front().config).config;
    const double doubled = 2 * budget_of(budget, config);
    auto matched = expand_text(std::string("base: {d_model: 64, heads: 4}\nparameters:\n  seed: {values: [0]}\n"
                                           "match: {budget: ") +
                               budget + ", solve: ffn_mult, target: " + std::to_string(doubled) + ", tolerance: 0.2}\n");
    ASSERT_TRUE(matched.ok()) << budget << ": " << matched.error().to_string();
    EXPECT_GT(matched->cells.front().config["ffn_mult"].get<int>(), 4) << budget;
    EXPECT_NEAR(matched->cells.front().budget->achieved, doubled, 0.2 * doubled) << budget;
  }
}

TEST(Budget, ACellThatCannotMeetTheToleranceIsAnErrorAtTheMatch) {
  auto expansion = expand_text(std::string(kMatchedHeads).replace(std::string(kMatchedHeads).find("0.05"), 4, "0.0001"));
  ASSERT_FALSE(expansion.ok());
  const std::string message = expansion.error().to_string();
  EXPECT_NE(message.find("m.yaml:9:1: match: the closest ffn_mult ("), std::string::npos) << message;
  EXPECT_NE(message.find("% from the target"), std::string::npos) << message;
  EXPECT_NE(message.find("the tolerance is 0.01%"), std::string::npos) << message;
}

TEST(Budget, BadMatchBlocksSayWhat) {
  auto spec = parse_sweep("parameters:\n  heads: {values: [2]}\nmatch: {budget: flops, solve: layers, target: -1}\n",
                          "b.yaml");
  ASSERT_FALSE(spec.ok());
  const std::string message = spec.error().to_string();
  EXPECT_NE(message.find("b.yaml:3:17: 'budget' must be one of non_embedding_parameters, parameters"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("'solve' must be one of ffn_mult, d_model, heads"), std::string::npos) << message;
  EXPECT_NE(message.find("'target' must be a positive number"), std::string::npos) << message;
  auto solving_like = parse_sweep(
      "parameters:\n  heads: {values: [2]}\nmatch: {budget: parameters, solve: heads, target: {like: {heads: 4}}}\n",
      "c.yaml");
  ASSERT_FALSE(solving_like.ok());
  EXPECT_NE(solving_like.error().to_string().find("'like' may not set 'heads'"), std::string::npos);
}

// What closest_candidate() must agree with: every candidate, in order.
std::optional<Candidate> closest_by_scanning(int64_t first, int64_t last, double target,
                                             const std::function<std::optional<double>(int64_t)>& budget) {
  std::optional<Candidate> best;
  for (int64_t c = first; c <= last; ++c) {
    auto b = budget(c);
    if (b && (!best || std::fabs(*b - target) < std::fabs(best->budget - target))) best = Candidate{c, *b};
  }
  return best;
}

// Real budgets of random configs, each free setting, any target: the binary
// search finds what scanning every candidate finds.
RC_GTEST_PROP(BudgetProperties, TheSearchFindsWhatScanningFinds, ()) {
  const auto solve = *rc::gen::element<std::string>("ffn_mult", "d_model", "heads");
  const auto kind = *rc::gen::element<std::string>("parameters", "non_embedding_parameters",
                                                   "training_flops_per_token", "training_flops");
  nlohmann::json settings = {{"task", *rc::gen::element<std::string>("mlm", "lm")},
                             {"attention", *rc::gen::element<std::string>("standard", "fixed")},
                             {"d_model", *rc::gen::element(24, 48, 64, 96, 100)},
                             {"heads", *rc::gen::element(1, 2, 3, 4, 8)},
                             {"layers", *rc::gen::inRange(1, 4)},
                             {"seq_len", *rc::gen::element(16, 32, 64)},
                             {"steps", 100}};
  if (settings["attention"] == "fixed") settings["head_size"] = *rc::gen::element(8, 16, 32);
  BudgetMatch match;
  match.budget = kind;
  match.solve = solve;
  auto read = trainer::read_config(settings);
  RC_ASSERT(read.problems.empty());
  auto budget = [&](int64_t c) { return budget_with(match, read.config, c); };
  const int64_t last = solve == "ffn_mult" ? 64 : solve == "d_model" ? 600 : 200;
  // Targets anywhere: below every budget, between, past every one.
  const double scale = budget(last).value_or(1e6);
  const double target = *rc::gen::inRange(0, 1200) / 1000.0 * scale;
  auto searched = closest_candidate(1, last, target, budget);
  auto scanned = closest_by_scanning(1, last, target, budget);
  RC_ASSERT(searched.has_value() == scanned.has_value());
  if (scanned) {
    RC_ASSERT(searched->value == scanned->value);
    RC_ASSERT(searched->budget == scanned->budget);
  }
}

// Invalid candidates anywhere, plateaus, ties: still what scanning finds.
RC_GTEST_PROP(BudgetProperties, HolesPlateausAndTiesAreHandledAsScanningDoes, ()) {
  const auto steps = *rc::gen::container<std::vector<int>>(60, rc::gen::inRange(0, 3));
  const auto valid = *rc::gen::container<std::vector<bool>>(60, rc::gen::arbitrary<bool>());
  std::vector<double> values;
  double value = 0;
  for (int step : steps) values.push_back(value += step);
  auto budget = [&](int64_t c) -> std::optional<double> {
    if (!valid[size_t(c - 1)]) return std::nullopt;
    return values[size_t(c - 1)];
  };
  const double target = *rc::gen::inRange(-4, 2 * int(value) + 8) / 2.0;
  auto searched = closest_candidate(1, 60, target, budget);
  auto scanned = closest_by_scanning(1, 60, target, budget);
  RC_ASSERT(searched.has_value() == scanned.has_value());
  if (scanned) RC_ASSERT(searched->value == scanned->value);
}

}  // namespace
}  // namespace headroom
