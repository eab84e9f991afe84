#include "orchestrator/spec/sweep_spec.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

std::string messages(const Result<SweepSpec>& result) {
  return result.ok() ? std::string("(parsed)") : result.error().to_string();
}

TEST(SweepSpec, ParsesWeightsAndBiasesGridFormat) {
  auto spec = parse_sweep(R"(
name: heads
method: grid
metric: {name: eval/accuracy, goal: maximize}
project: kept-but-unused
parameters:
  d_model: {value: 64}
  heads: {values: [1, 4, 8]}
  lr: {value: 1e-3}
)", "heads.yaml");
  ASSERT_TRUE(spec.ok()) << messages(spec);
  EXPECT_EQ(spec->name, "heads");
  ASSERT_EQ(spec->parameters.size(), 3u);
  EXPECT_EQ(spec->parameters[1].name, "heads");
  EXPECT_EQ(spec->parameters[1].values.size(), 3u);
  EXPECT_EQ(spec->parameters[1].values[2].where.line, 8);
  EXPECT_DOUBLE_EQ(spec->parameters[2].values[0].value.get<double>(), 1e-3);
  EXPECT_EQ(spec->metric->name, "eval/accuracy");
  EXPECT_EQ(spec->kept.count("project"), 1u);
}

TEST(SweepSpec, NameDefaultsToFileStemAndSeedsBecomeAnAxis) {
  auto spec = parse_sweep("parameters:\n  heads: {values: [2]}\nseeds: [0, 1, 2]\n", "dir/quick.yaml");
  ASSERT_TRUE(spec.ok()) << messages(spec);
  EXPECT_EQ(spec->name, "quick");
  ASSERT_EQ(spec->parameters.size(), 2u);
  EXPECT_EQ(spec->parameters[1].name, "seed");
  EXPECT_EQ(spec->parameters[1].values.size(), 3u);
}

TEST(SweepSpec, ReadsPerValueOverrides) {
  auto spec = parse_sweep(R"(
parameters:
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 32}
)", "s.yaml");
  ASSERT_TRUE(spec.ok()) << messages(spec);
  const auto& overrides = spec->parameters[0].overrides;
  ASSERT_EQ(overrides.count("\"fixed\""), 1u);
  EXPECT_EQ(overrides.at("\"fixed\"").at("head_size").value, nlohmann::json(32));
}

// Each malformed file with the exact message it must produce.
struct BadSweep {
  const char* yaml;
  const char* expected;
};

class MalformedSweep : public ::testing::TestWithParam<BadSweep> {};

TEST_P(MalformedSweep, ReportsFileLineColumnAndWhatIsWrong) {
  auto spec = parse_sweep(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(spec.error().to_string(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MalformedSweep,
    ::testing::Values(
        BadSweep{"parameters:\n  heads: {values: [1, 2}\n",
                 "bad.yaml:2:24: invalid YAML: illegal flow end"},
        BadSweep{"executor: slrm\nslurm: {partiton: gpu, throttle: -1, gpus: yes2}\nparameters:\n  heads: {values: [2]}\n",
                 "bad.yaml:1:11: 'executor' must be local or slurm\n"
                 "bad.yaml:2:9: unknown key 'partiton' in slurm (did you mean 'partition'?)\n"
                 "bad.yaml:2:34: 'throttle' must be a non-negative integer (tasks running at once; 0: no limit)\n"
                 "bad.yaml:2:44: 'gpus' must be true or false (ask SLURM for each cell's gpus)"},
        BadSweep{"paramters:\n  heads: {value: 1}\n",
                 "bad.yaml:1:1: unknown key 'paramters' at the top level (did you mean 'parameters'?)\n"
                 "bad.yaml:1:1: the sweep has no 'parameters'"},
        BadSweep{"parameters:\n  haeds: {values: [1]}\n",
                 "bad.yaml:2:3: unknown parameter 'haeds': headroom-train has no such setting (did you "
                 "mean 'heads'?)"},
        BadSweep{"parameters:\n  heads: {values: []}\n",
                 "bad.yaml:2:19: 'values' of 'heads' is empty: give at least one value"},
        BadSweep{"parameters:\n  heads: {values: [1, 1]}\n",
                 "bad.yaml:2:23: value 1 is listed twice for 'heads'"},
        BadSweep{"method: bayes\nparameters:\n  heads: {value: 1}\n",
                 "bad.yaml:1:9: method 'bayes' is not supported: Headroom runs grids (a scaling study "
                 "wants every cell); use method: grid"},
        BadSweep{"parameters:\n  heads: {value: 1}\n  heads: {value: 2}\n",
                 "bad.yaml:3:3: duplicate key 'heads' in parameters"},
        BadSweep{"parameters:\n  heads: 4\n",
                 "bad.yaml:2:10: parameter 'heads' must be a map with 'value' or 'values' (W&B sweep "
                 "format)"},
        BadSweep{"retries: -1\nparameters:\n  heads: {value: 1}\n",
                 "bad.yaml:1:10: 'retries' must be a non-negative integer"}));

}  // namespace
}  // namespace headroom
