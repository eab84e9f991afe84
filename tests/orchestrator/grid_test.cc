#include "orchestrator/grid/grid.h"

#include <gtest/gtest.h>

#include <set>

namespace headroom {
namespace {

Expansion expand_text(const std::string& yaml) {
  auto spec = parse_sweep(yaml, "grid.yaml");
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  auto expansion = expand(spec.value());
  EXPECT_TRUE(expansion.ok()) << expansion.error().to_string();
  return expansion.ok() ? expansion.value() : Expansion{};
}

TEST(Grid, ExpandsTheProductWithTheLastParameterFastest) {
  auto expansion = expand_text(
      "parameters:\n  d_model: {values: [32, 64]}\n  heads: {values: [1, 2, 4]}\nseeds: [0, 1]\n");
  ASSERT_EQ(expansion.cells.size(), 12u);
  EXPECT_EQ(expansion.cells[0].parameters, (nlohmann::json{{"d_model", 32}, {"heads", 1}, {"seed", 0}}));
  EXPECT_EQ(expansion.cells[1].parameters, (nlohmann::json{{"d_model", 32}, {"heads", 1}, {"seed", 1}}));
  EXPECT_EQ(expansion.cells[11].parameters, (nlohmann::json{{"d_model", 64}, {"heads", 4}, {"seed", 1}}));
  std::set<std::string> hashes;
  for (const auto& cell : expansion.cells) hashes.insert(cell.hash);
  EXPECT_EQ(hashes.size(), 12u);
}

TEST(Grid, ResolvesHeadSizeAndAppliesOverrides) {
  auto expansion = expand_text(R"(
base: {d_model: 64}
parameters:
  heads: {values: [4, 16]}
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 32}
)");
  ASSERT_EQ(expansion.cells.size(), 4u);
  EXPECT_EQ(expansion.cells[0].config["head_size"], 16);  // standard: 64 / 4
  EXPECT_EQ(expansion.cells[1].config["head_size"], 32);  // fixed
  EXPECT_EQ(expansion.cells[2].config["head_size"], 4);   // standard: 64 / 16
  EXPECT_EQ(expansion.cells[1].parameters["head_size"], 32);
  // Fixed attention with 16 heads of 32 has 4x the attention weights of standard.
  EXPECT_GT(expansion.cells[3].size.parameters, expansion.cells[2].size.parameters);
}

TEST(Grid, HashIsStableAcrossSpellingsAndIgnoresExecutionSettings) {
  auto a = expand_text("parameters:\n  lr: {value: 1e-3}\n  d_model: {value: 64}\n");
  auto b = expand_text("base: {threads: 2}\nparameters:\n  d_model: {value: 64.0}\n  lr: {value: 0.001}\n");
  ASSERT_EQ(a.cells.size(), 1u);
  ASSERT_EQ(b.cells.size(), 1u);
  EXPECT_EQ(a.cells[0].hash, b.cells[0].hash);
  // Pinned: a change here silently splits every stored sweep from its results.
  EXPECT_EQ(a.cells[0].hash.size(), 64u);
  EXPECT_EQ(cell_hash(a.cells[0].config), a.cells[0].hash);
}

TEST(Grid, ASettingMissingFromAConfigHashesAtItsDefault) {
  // A cell stored before a trainer setting existed is the same cell today.
  auto a = expand_text("parameters:\n  heads: {value: 2}\n");
  ASSERT_EQ(a.cells.size(), 1u);
  nlohmann::json older = a.cells[0].config;
  ASSERT_EQ(older.at("test_split"), false);
  older.erase("test_split");
  EXPECT_EQ(cell_hash(older), a.cells[0].hash);
  older["test_split"] = true;
  EXPECT_NE(cell_hash(older), a.cells[0].hash);
}

TEST(Grid, StandardAttentionNeedsHeadsToDivideWidthAndSaysWhere) {
  auto spec = parse_sweep("base: {d_model: 64}\nparameters:\n  heads: {values: [4, 3]}\n", "g.yaml");
  ASSERT_TRUE(spec.ok());
  auto expansion = expand(spec.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().to_string(),
            "g.yaml:3:23: 'heads': standard attention needs heads to divide d_model (64 / 3 is not an "
            "integer)");
}

TEST(Grid, InvalidValuesAreReportedAtTheirLocation) {
  auto spec = parse_sweep("parameters:\n  lr: {values: [0.1, -1]}\n  task: {value: mlmm}\n", "g.yaml");
  ASSERT_TRUE(spec.ok());
  auto expansion = expand(spec.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().to_string(),
            "g.yaml:3:17: 'task': 'mlmm' is not one of mlm, lm, fit (did you mean 'mlm'?) (in the cell "
            "lr=0.1, task=mlmm)\n"
            "g.yaml:2:22: 'lr': must be positive (in the cell lr=-1, task=mlmm)");
}

TEST(Grid, IdenticalCellsAreAnError) {
  auto spec = parse_sweep(
      "base: {d_model: 64}\nparameters:\n  heads: {values: [4]}\n  head_size: {values: [0, 16]}\n", "g.yaml");
  ASSERT_TRUE(spec.ok());
  auto expansion = expand(spec.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_NE(expansion.error().to_string().find("train the same model"), std::string::npos);
}

}  // namespace
}  // namespace headroom

namespace headroom {
namespace {

TEST(Grid, DerivedParametersAreComputedFromTheOthers) {
  auto expansion = expand_text(R"(
base: {attention: fixed, d_model: 64}
parameters:
  heads: {values: [2, 8]}
  head_size: {derive: "heads >= 8 ? 2 * d_model / heads : seq_len"}
)");
  ASSERT_EQ(expansion.cells.size(), 2u);
  EXPECT_EQ(expansion.cells[0].config["head_size"], 32);  // seq_len default
  EXPECT_EQ(expansion.cells[1].config["head_size"], 16);
  EXPECT_EQ(expansion.cells[1].parameters["head_size"], 16);
}

TEST(Grid, ExpressionsCompareStringParametersWithQuotedStrings) {
  auto expansion = expand_text(R"(
base: {d_model: 64}
parameters:
  heads: {values: [2, 16]}
  attention: {values: [standard, fixed]}
  head_size: {derive: "attention == 'fixed' ? 32 : d_model / heads"}
  lr: {derive: "attention != \"standard\" && heads > 4 ? 0.001 : 0.002"}
constraints: ["task == 'mlm'", "attention == 'fixed' || heads < 16"]
)");
  ASSERT_EQ(expansion.cells.size(), 3u);  // standard with 16 heads violates the second constraint
  ASSERT_EQ(expansion.excluded.size(), 1u);
  EXPECT_EQ(expansion.excluded[0].parameters["attention"], "standard");
  EXPECT_EQ(expansion.cells[0].config["head_size"], 32);  // standard, 2 heads: 64 / 2
  EXPECT_EQ(expansion.cells[1].config["head_size"], 32);  // fixed
  EXPECT_EQ(expansion.cells[2].config["head_size"], 32);  // fixed, 16 heads
  EXPECT_EQ(expansion.cells[1].config["lr"], 0.002);
  EXPECT_EQ(expansion.cells[2].config["lr"], 0.001);

  auto open = parse_sweep("parameters:\n  heads: {values: [2]}\nconstraints: [\"attention == 'fixed\"]\n", "o.yaml");
  ASSERT_TRUE(open.ok());
  auto failed = expand(open.value());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().to_string(),
            "o.yaml:3:29: cannot read expression \"attention == 'fixed\": the string starting here is not closed");
}

TEST(Grid, ConstraintsExcludeCellsWithTheReason) {
  auto expansion = expand_text(R"(
parameters:
  d_model: {values: [32, 48]}
  heads: {values: [3, 4]}
constraints: ["d_model % heads == 0"]
)");
  ASSERT_EQ(expansion.cells.size(), 3u);  // 32/4, 48/3 and 48/4
  ASSERT_EQ(expansion.excluded.size(), 1u);
  EXPECT_EQ(expansion.excluded[0].parameters, (nlohmann::json{{"d_model", 32}, {"heads", 3}}));
  EXPECT_EQ(expansion.excluded[0].reason, "violates constraint \"d_model % heads == 0\"");
}

TEST(Grid, ExpressionErrorsSayWhere) {
  auto unknown = parse_sweep("parameters:\n  heads: {values: [2]}\nconstraints: [\"d_modle % heads == 0\"]\n", "e.yaml");
  ASSERT_TRUE(unknown.ok());
  auto expansion = expand(unknown.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().to_string(),
            "e.yaml:3:16: expression \"d_modle % heads == 0\" uses 'd_modle', which is not a parameter or "
            "trainer setting of this cell");

  // A search makes its cells as it runs: its expressions' names are checked
  // before any, not found missing proposal after proposal. Known names pass:
  // a trainer setting, a parameter, an override's, a derived one.
  auto search = parse_sweep("method: bayes\nmetric: {name: eval/accuracy, goal: maximize}\nparameters:\n"
                            "  lr: {min: 0.001, max: 0.1}\n  head_size: {derive: \"d_model / momentum\"}\n"
                            "constraints: [\"lr < d_model + head_size\", \"warmup > 1\"]\n",
                            "s.yaml");
  ASSERT_TRUE(search.ok()) << search.error().to_string();
  expansion = expand(search.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().to_string(),
            "s.yaml:5:24: expression \"d_model / momentum\" uses 'momentum', which is not a parameter or trainer setting "
            "of this sweep\n"
            "s.yaml:6:44: expression \"warmup > 1\" uses 'warmup', which is not a parameter or trainer setting of "
            "this sweep");

  auto zero = parse_sweep(
      "base: {attention: fixed}\nparameters:\n  heads: {values: [0, 2]}\n  head_size: {derive: \"64 / heads\"}\n",
      "z.yaml");
  ASSERT_TRUE(zero.ok());
  expansion = expand(zero.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().to_string(),
            "z.yaml:4:24: expression \"64 / heads\" is not finite here (division by zero?) (in the cell heads=0)");

  auto syntax = parse_sweep("parameters:\n  heads: {values: [2]}\nconstraints: [\"heads >\"]\n", "s.yaml");
  expansion = expand(syntax.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_NE(expansion.error().to_string().find("s.yaml:3:"), std::string::npos) << expansion.error().to_string();
}

}  // namespace
}  // namespace headroom

namespace headroom {
namespace {

TEST(Grid, ZippedParametersVaryTogether) {
  auto expansion = expand_text(R"(
parameters:
  d_model: {values: [32, 64, 128]}
  attention: {values: [standard, fixed]}
  heads: {values: [2, 4, 8]}
zip: [[d_model, heads]]
)");
  ASSERT_EQ(expansion.cells.size(), 6u);
  EXPECT_EQ(expansion.cells[0].parameters, (nlohmann::json{{"attention", "standard"}, {"d_model", 32}, {"heads", 2}}));
  EXPECT_EQ(expansion.cells[1].parameters, (nlohmann::json{{"attention", "fixed"}, {"d_model", 32}, {"heads", 2}}));
  EXPECT_EQ(expansion.cells[5].parameters, (nlohmann::json{{"attention", "fixed"}, {"d_model", 128}, {"heads", 8}}));
}

TEST(Grid, IncludeAddsCellsAndExcludeRemovesGridCells) {
  auto expansion = expand_text(R"(
base: {d_model: 64}
parameters:
  heads: {values: [1, 4, 16]}
exclude:
  - {heads: 16}
include:
  - {heads: 8, attention: fixed, head_size: 32}
)");
  ASSERT_EQ(expansion.cells.size(), 3u);
  EXPECT_EQ(expansion.cells[2].parameters, (nlohmann::json{{"attention", "fixed"}, {"head_size", 32}, {"heads", 8}}));
  ASSERT_EQ(expansion.excluded.size(), 1u);
  EXPECT_EQ(expansion.excluded[0].reason, "matches the exclude entry at line 6");
}

TEST(Grid, ZipGroupsNeedEquallyLongSweptParameters) {
  auto spec = parse_sweep("parameters:\n  d_model: {values: [32, 64]}\n  heads: {values: [2]}\nzip: [[d_model, heads], [lr, heads]]\n", "z.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().to_string(),
            "z.yaml:4:7: zipped parameters need equally many values: 'heads' has 1, 'd_model' has 2\n"
            "z.yaml:4:25: zip names 'lr', which is not a swept parameter\n"
            "z.yaml:4:25: 'heads' is in two zip groups");
}

}  // namespace
}  // namespace headroom

namespace headroom {
namespace {

TEST(Grid, DiscreteDistributionsEnumerateAsWeightsAndBiasesDoes) {
  auto expansion = expand_text(R"(
method: grid
parameters:
  layers: {min: 1, max: 3}                                   # int_uniform, inclusive
  lr: {distribution: q_uniform, min: 0.001, max: 0.004, q: 0.001}  # like arange: no 0.004
)");
  ASSERT_EQ(expansion.cells.size(), 9u);
  EXPECT_EQ(expansion.cells[0].parameters["layers"], 1);
  EXPECT_EQ(expansion.cells[8].parameters["layers"], 3);
  EXPECT_DOUBLE_EQ(expansion.cells[2].parameters["lr"].get<double>(), 0.003);
}

TEST(Grid, ContinuousDistributionInAGridIsAnError) {
  auto spec = parse_sweep("parameters:\n  lr: {min: 0.0001, max: 0.01}\n", "c.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().to_string(),
            "c.yaml:2:3: distribution 'uniform' of 'lr' is continuous: a grid needs listed values (or "
            "int_uniform / q_uniform); use method: random to sample it");
}

// A sweep file as W&B users write it, sampled with a fixed seed.
const char* kRandomSweep = R"(
program: train.py
method: random
metric: {name: eval/loss, goal: minimize}
run_cap: 12
random_seed: 7
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 0.01}
  heads: {values: [1, 2, 4, 8]}
  layers: {distribution: int_uniform, min: 1, max: 4}
  weight_decay: {distribution: q_uniform, min: 0, max: 0.1, q: 0.05}
  batch_size: {distribution: q_log_uniform_values, min: 16, max: 128, q: 16}
  attention:
    values: [standard, fixed]
    probabilities: [0.25, 0.75]
)";

TEST(Grid, RandomSearchDrawsRunCapDistinctCellsWithinTheirDistributions) {
  auto first = expand_text(kRandomSweep);
  auto second = expand_text(kRandomSweep);
  ASSERT_EQ(first.cells.size(), 12u);
  for (size_t i = 0; i < first.cells.size(); ++i) EXPECT_EQ(first.cells[i].hash, second.cells[i].hash);
  std::set<std::string> hashes;
  for (const auto& cell : first.cells) {
    hashes.insert(cell.hash);
    double lr = cell.config["lr"];
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-2);
    EXPECT_GE(cell.config["layers"].get<int>(), 1);
    EXPECT_LE(cell.config["layers"].get<int>(), 4);
    EXPECT_EQ(cell.config["batch_size"].get<int>() % 16, 0);
  }
  EXPECT_EQ(hashes.size(), 12u);
}

TEST(Grid, RandomSearchOfASmallSpaceStopsWhenItIsExhausted) {
  auto expansion = expand_text("method: random\nrun_cap: 50\nparameters:\n  heads: {values: [1, 2, 4]}\n");
  EXPECT_EQ(expansion.cells.size(), 3u);
}

// Without run_cap random search draws until stopped (as W&B's): expand gives
// the first round, and a larger cap draws the same cells first.
TEST(Grid, RandomSearchWithoutARunCapDrawsItsFirstRoundAndMoreLaterExtendIt) {
  auto spec = parse_sweep("method: random\nparameters:\n  lr: {min: 0.001, max: 0.1}\n", "r.yaml");
  ASSERT_TRUE(spec.ok());
  auto first = expand(spec.value());
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  ASSERT_EQ(first->cells.size(), size_t(kRandomDrawsPerRound));
  SweepSpec more = spec.value();
  more.run_cap = 3 * kRandomDrawsPerRound;
  auto extended = expand(more);
  ASSERT_TRUE(extended.ok());
  ASSERT_EQ(extended->cells.size(), size_t(3 * kRandomDrawsPerRound));
  for (size_t i = 0; i < first->cells.size(); ++i) EXPECT_EQ(first->cells[i].hash, extended->cells[i].hash);
}


TEST(Grid, AHugeGridIsRefusedAtItsLargestAxisBeforeAnyCellIsBuilt) {
  auto spec = parse_sweep("parameters:\n  lr: {values: [1e-3, 2e-3]}\n"
                          "  seed: {distribution: int_uniform, min: 0, max: 100000000}\n",
                          "huge.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  EXPECT_EQ(spec->parameters[1].grid_size(), 100000001);
  EXPECT_TRUE(spec->parameters[1].values.empty());  // never materialised
  auto expansion = expand(spec.value());
  ASSERT_FALSE(expansion.ok());
  EXPECT_EQ(expansion.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(expansion.error().to_string(),
            "huge.yaml:3:3: the sweep has 200000002 cells, more than the limit of 100000 (--max-cells raises it); "
            "its largest axis is 'seed' with 100000001 values");
  // A product past int64 is caught too, and the limit can be raised.
  auto overflow = parse_sweep("parameters:\n  seed: {distribution: int_uniform, min: 0, max: 4000000000}\n"
                              "  steps: {distribution: int_uniform, min: 1, max: 4000000000}\n"
                              "  lr: {distribution: int_uniform, min: 1, max: 4000000000}\n",
                              "o.yaml");
  ASSERT_TRUE(overflow.ok());
  EXPECT_NE(expand(overflow.value()).error().to_string().find("more than 9.2e18 cells"), std::string::npos);
  auto small = parse_sweep("parameters:\n  seed: {distribution: int_uniform, min: 0, max: 9}\n", "s.yaml");
  EXPECT_FALSE(expand(small.value(), 5).ok());
  EXPECT_EQ(expand(small.value(), 10)->cells.size(), 10u);
  auto random = parse_sweep("method: random\nrun_cap: 200000\nparameters:\n  lr: {min: 0.001, max: 0.1}\n", "r.yaml");
  EXPECT_NE(expand(random.value()).error().to_string().find("200000 (run_cap) cells"), std::string::npos);
}

TEST(Grid, RangesEnumerateAsWAndBDefinesThemAndTakeOverrides) {
  auto expansion = expand_text(R"(
base: {d_model: 64, attention: fixed}
parameters:
  heads: {distribution: int_uniform, min: 1, max: 4, overrides: {4: {ffn_mult: 2}}}
  weight_decay: {distribution: q_uniform, min: 0, max: 0.1, q: 0.05}
)");
  ASSERT_EQ(expansion.cells.size(), 8u);
  EXPECT_EQ(expansion.cells.back().config["heads"], 4);
  EXPECT_EQ(expansion.cells.back().config["ffn_mult"], 2);
  EXPECT_EQ(expansion.cells.back().config["weight_decay"], 0.05);
  auto rounded = parse_sweep("parameters:\n  heads: {distribution: int_uniform, min: 1, max: 4.5}\n", "f.yaml");
  ASSERT_FALSE(rounded.ok());
  EXPECT_NE(rounded.error().to_string().find("needs integer min and max, found 1 and 4.5"), std::string::npos)
      << rounded.error().to_string();
}

}  // namespace
}  // namespace headroom
