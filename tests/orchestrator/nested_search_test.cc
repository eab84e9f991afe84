// search_groups(): the outer cells of a sweep with a search inside each grid
// cell, the search each one runs, and the seeds its best setting replicates on;
// and the sampler a resumed search (bayes_search.h) continues with.
#include "orchestrator/scheduler/nested_search.h"

#include <gtest/gtest.h>

#include <set>

#include "orchestrator/scheduler/bayes_search.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

SweepSpec nested(bool replicate) {
  auto spec = parse_sweep("program: train.py\nmethod: grid\nmetric: {name: score, goal: maximize}\n"
                          "seeds: [1, 2, 3]\nparameters:\n  kind: {values: [a, b]}\n  epochs: {value: 2}\n"
                          "search:\n  run_cap: 4\n  replicate: " + std::string(replicate ? "true" : "false") +
                              "\n  early_terminate: {type: hyperband, min_iter: 1}\n"
                              "  parameters:\n    x: {distribution: uniform, min: 0, max: 1}\n",
                          "s.yaml");
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  return spec.value();
}

TEST(NestedSearch, ReplicateTunesTheFirstSeedOfEachOuterCellAndKeepsTheOthers) {
  auto groups = search_groups(nested(true));
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  ASSERT_EQ(groups->size(), 2u);
  std::set<std::string> keys;
  for (const auto& group : groups.value()) {
    keys.insert(group.key);
    EXPECT_EQ(group.key, group.outer.hash);
    EXPECT_EQ(group.outer.parameters["seed"], 1);
    EXPECT_EQ(group.replicate_seeds, (std::vector<nlohmann::json>{2, 3}));
    const SweepSpec& inner = group.spec;
    EXPECT_EQ(inner.method, "bayes");
    EXPECT_EQ(inner.run_cap, 4);
    EXPECT_FALSE(inner.search.has_value());
    ASSERT_TRUE(inner.early_terminate.has_value());
    EXPECT_EQ(inner.early_terminate->min_iter, 1);
    // The outer values are constants of the search; x is what it varies.
    std::map<std::string, std::string> kinds;
    for (const auto& parameter : inner.parameters) kinds[parameter.name] = parameter.distribution.kind;
    EXPECT_EQ(kinds, (std::map<std::string, std::string>{
                         {"epochs", "constant"}, {"kind", "constant"}, {"seed", "constant"}, {"x", "uniform"}}));
    // A point of the search is a cell with the outer values and the searched one.
    auto made = cell_of_point(inner, {{"epochs", 2}, {"kind", group.outer.parameters["kind"]}, {"seed", 1}, {"x", 0.25}});
    ASSERT_TRUE(std::holds_alternative<Cell>(made));
    const Cell& cell = std::get<Cell>(made);
    EXPECT_EQ(cell.parameters["x"], 0.25);
    EXPECT_EQ(cell.parameters["kind"], group.outer.parameters["kind"]);
    EXPECT_NE(cell.hash, group.outer.hash);
  }
  EXPECT_EQ(keys.size(), 2u);
}

TEST(NestedSearch, TrialsOfAMatchedCellTrainItsModel) {
  // sweeps/paper/tuned_lr_heads.yaml's shape: standard attention widens its
  // feed-forward layer to fixed head size's parameters, and each cell tunes
  // lr. A trial's point carries its outer cell's solved ffn_mult; solving it
  // again must match the same fixed cell, not one with that ffn_mult.
  auto spec = parse_sweep(
      "method: grid\nmetric: {name: eval/accuracy, goal: maximize}\n"
      "base: {task: mlm, d_model: 64, heads: 16, layers: 2, seq_len: 32, steps: 10}\n"
      "parameters:\n  attention:\n    values: [standard, fixed]\n    overrides:\n      fixed: {head_size: 32}\n"
      "seeds: [0, 1]\n"
      "match: {budget: non_embedding_parameters, solve: ffn_mult, where: {attention: standard},\n"
      "        target: {like: {attention: fixed, head_size: 32}}, tolerance: 0.01}\n"
      "search:\n  run_cap: 3\n  replicate: true\n"
      "  parameters:\n    lr: {distribution: log_uniform_values, min: 0.0005, max: 0.01}\n",
      "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  auto groups = search_groups(spec.value());
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  int matched = 0;
  for (const auto& group : groups.value()) {
    if (group.outer.parameters["attention"] != "standard") continue;
    ++matched;
    ASSERT_TRUE(group.outer.budget.has_value());
    const BudgetSolution& outer = *group.outer.budget;
    EXPECT_EQ(outer.value, 18);  // 331k against fixed's 332k (matched_heads.yaml at 16 heads)
    nlohmann::json point = group.outer.parameters;
    point["lr"] = 0.003;
    for (const nlohmann::json& seed : {nlohmann::json(0), nlohmann::json(1)}) {  // a trial, and a replicate's seed
      point["seed"] = seed;
      auto made = cell_of_point(group.spec, point);
      ASSERT_TRUE(std::holds_alternative<Cell>(made)) << std::get<ExcludedCell>(made).reason;
      const Cell& trial = std::get<Cell>(made);
      // The outer cell's model: every setting but the searched one and the seed.
      for (const auto& [name, value] : group.outer.config.items()) {
        if (name != "lr" && name != "seed") {
          EXPECT_EQ(trial.config[name], value) << name;
        }
      }
      EXPECT_EQ(trial.config["lr"], 0.003);
    }
  }
  EXPECT_EQ(matched, 1);
}

TEST(NestedSearch, WithoutReplicateEverySeedOfACellHasASearchOfItsOwn) {
  auto groups = search_groups(nested(false));
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  ASSERT_EQ(groups->size(), 6u);
  for (const auto& group : groups.value()) EXPECT_TRUE(group.replicate_seeds.empty());
}

TEST(NestedSearch, EachCellsSearchTakesTheSweepFilesSamplerSettings) {
  auto spec = parse_sweep("program: train.py\nmethod: grid\nmetric: {name: score, goal: maximize}\n"
                          "parameters:\n  kind: {values: [a, b]}\n"
                          "search:\n  run_cap: 6\n  tpe: {startup_trials: 3, multivariate: false}\n"
                          "  parameters:\n    x: {distribution: uniform, min: 0, max: 1}\n",
                          "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  auto groups = search_groups(spec.value());
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  ASSERT_EQ(groups->size(), 2u);
  for (const auto& group : groups.value()) {
    const TpeSettings settings = sampler_settings(group.spec.tpe);
    EXPECT_EQ(settings.startup_trials, 3);
    EXPECT_FALSE(settings.multivariate);
    EXPECT_EQ(BayesSearch(group.spec, group.key).sampler_json()["startup_trials"], 3);
  }
}

TEST(NestedSearch, TheSweepFileSaysWhatASearchCannotBe) {
  const std::string head = "program: train.py\nmethod: grid\nmetric: {name: score, goal: maximize}\n"
                           "parameters:\n  kind: {values: [a, b]}\n";
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {head + "search:\n  run_cap: 4\n  parameters:\n    kind: {values: [c]}\n",
            "'kind' is swept both by the grid and by its search"},
           {head + "search:\n  parameters:\n    x: {values: [1]}\n", "search needs 'run_cap'"},
           {head + "search:\n  run_cap: 2\n  parameters:\n    seed: {values: [1, 2]}\n", "does not tune 'seed'"},
           {head + "early_terminate: {type: hyperband, min_iter: 1}\nsearch:\n  run_cap: 2\n  parameters:\n"
                   "    x: {values: [1]}\n",
            "put early_terminate in 'search:'"},
           {head + "search:\n  method: grid\n  run_cap: 2\n  parameters:\n    x: {values: [1]}\n",
            "search 'method' must be bayes or random"},
           {head + "tpe: {startup_trials: 2}\nsearch:\n  run_cap: 2\n  parameters:\n    x: {values: [1]}\n",
            "put tpe in 'search:'"},
           {head + "search:\n  method: random\n  tpe: {startup_trials: 2}\n  run_cap: 2\n  parameters:\n"
                   "    x: {values: [1]}\n",
            "'tpe' sets a bayes search's sampler; this search's method is random"},
       }) {
    auto spec = parse_sweep(text, "s.yaml");
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_NE(spec.error().to_string().find(expected), std::string::npos) << spec.error().to_string();
  }
}

SweepSpec bayes_search(const std::string& more = "") {
  auto spec = parse_sweep(
      "name: s\nprogram: train.py\nmethod: bayes\nmetric: {name: score, goal: maximize}\n"
      "parameters:\n  x: {distribution: uniform, min: 0, max: 1}\n"
      "  y: {distribution: uniform, min: 0, max: 1}\n" + more,
      "s.yaml");
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  return spec.value();
}

// The `setting` each proposal of a search of `spec` recorded, in order,
// after an older or other binary (or file) recorded the first one with
// `first_sampler` (null: a fresh search).
std::vector<nlohmann::json> recorded_after(const nlohmann::json& first_sampler,
                                           const std::string& setting = "multivariate",
                                           const SweepSpec& spec = bayes_search()) {
  testing::TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  EXPECT_TRUE(store.ok());
  auto sweep =
      store.value()->register_sweep(spec, expand(spec).value(), folder.path().string(), false);
  EXPECT_TRUE(sweep.ok());
  BayesSearch search(spec);
  if (!first_sampler.is_null()) {
    ProposalRecord first;
    first.parameters = {{"x", 0.5}, {"y", 0.5}};
    first.sampler = first_sampler;
    auto made = cell_of_point(spec, first.parameters);
    EXPECT_TRUE(store.value()->add_proposal(sweep->id, first, &std::get<Cell>(made)).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto step = search.add_cell(*store.value(), sweep.value());
    EXPECT_TRUE(step.ok() && step.value() == SearchStep::added);
  }
  auto table = store.value()->select("SELECT sampler FROM proposals ORDER BY idx");
  EXPECT_TRUE(table.ok());
  std::vector<nlohmann::json> recorded;
  for (const auto& row : table->rows)
    recorded.push_back(nlohmann::json::parse(row.front().get<std::string>())[setting]);
  return recorded;
}

TEST(BayesSearch, AResumedSearchKeepsTheSamplerItsFirstProposalRecorded) {
  const bool fallback = TpeSettings{}.multivariate;
  nlohmann::json older = BayesSearch(bayes_search()).sampler_json();
  EXPECT_EQ(older["multivariate"], fallback);  // a fresh search records this binary's default
  EXPECT_EQ(recorded_after(nullptr), (std::vector<nlohmann::json>{fallback, fallback}));
  older.erase("multivariate");  // a binary from before the setting sampled univariately
  EXPECT_EQ(recorded_after(older), (std::vector<nlohmann::json>{nullptr, false, false}));
  older["multivariate"] = !fallback;  // one whose default differs from this binary's
  EXPECT_EQ(recorded_after(older),
            (std::vector<nlohmann::json>{!fallback, !fallback, !fallback}));
}

TEST(BayesSearch, WhatTheSweepFileChoosesOutranksWhatTheSearchStartedWith) {
  const bool fallback = TpeSettings{}.multivariate;
  nlohmann::json started = BayesSearch(bayes_search()).sampler_json();
  started["startup_trials"] = 3;  // e.g. a `tpe:` that `run --extend` has since dropped
  EXPECT_EQ(recorded_after(started, "startup_trials"), (std::vector<nlohmann::json>{3, 3, 3}));
  const SweepSpec chosen = bayes_search(std::string("tpe: {startup_trials: 5, multivariate: ") +
                                        (fallback ? "false" : "true") + "}\n");
  EXPECT_EQ(recorded_after(started, "startup_trials", chosen), (std::vector<nlohmann::json>{3, 5, 5}));
  EXPECT_EQ(recorded_after(started, "multivariate", chosen),
            (std::vector<nlohmann::json>{fallback, !fallback, !fallback}));
}

}  // namespace
}  // namespace headroom
