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
project: kept
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
  EXPECT_EQ(spec->project, "kept");
  EXPECT_FALSE(spec->program) << "no program: the cells run headroom-train";
}

// A program's sweep (docs/programs.md): any parameter name, any YAML value,
// nested blocks remembered, resources apart.
TEST(SweepSpec, AProgramsParametersAreFreeForm) {
  auto spec = parse_sweep(R"(
program: scripts/train.py
command: ["${env}", "${interpreter}", "${program}", "${args_no_hyphens}"]
method: grid
parameters:
  optimizer: {values: [adamw, sgd]}
  layers: {values: [[64, 64], [128]]}
  schedule: {value: {kind: cosine, warmup: 100}}
  model:
    parameters:
      depth: {values: [2, 4]}
resources: {threads: 2}
worker: {metrics: stdout, wandb: dropin, interpreter: /usr/bin/python3, environment: {A: "1"}}
early_terminate: {type: hyperband, min_iter: 3}
metric: {name: loss, goal: minimize}
)", "/sweeps/lm.yaml");
  ASSERT_TRUE(spec.ok()) << messages(spec);
  ASSERT_TRUE(spec->program);
  EXPECT_EQ(spec->program->path, "/sweeps/scripts/train.py");
  EXPECT_EQ(spec->program->command.size(), 4u);
  EXPECT_EQ(spec->program->metrics, "stdout");
  EXPECT_TRUE(spec->program->wandb_dropin);
  EXPECT_EQ(spec->program->environment.at("A"), "1");
  EXPECT_EQ(spec->program->nested_blocks, std::vector<std::string>{"model"});
  ASSERT_EQ(spec->parameters.size(), 4u);
  EXPECT_EQ(spec->parameters[1].values[0].value, nlohmann::json::array({64, 64}));
  EXPECT_EQ(spec->parameters[2].values[0].value["kind"], "cosine");
  EXPECT_EQ(spec->parameters[3].name, "model.depth");
  EXPECT_EQ(spec->resources.at("threads").value, 2);
  EXPECT_EQ(spec->early_terminate->min_iter, 3);
  EXPECT_TRUE(spec->kept.empty());
}

TEST(SweepSpec, ATrainerSweepStillRefusesNamesItDoesNotKnowAndProgramOnlyKeys) {
  auto unknown = parse_sweep("parameters:\n  optimizer: {values: [sgd]}\n", "t.yaml");
  EXPECT_NE(messages(unknown).find("t.yaml:2:3: unknown parameter 'optimizer'"), std::string::npos) << messages(unknown);
  auto resources = parse_sweep("parameters:\n  heads: {values: [1]}\nresources: {threads: 2}\n", "t.yaml");
  EXPECT_NE(messages(resources).find("t.yaml:3:12: 'resources' is for a program's sweep"), std::string::npos)
      << messages(resources);
  auto not_resource = parse_sweep("program: a.py\nparameters:\n  x: {value: 1}\nresources: {lr: 2}\n", "t.yaml");
  EXPECT_NE(messages(not_resource).find("'lr' is not a resource"), std::string::npos) << messages(not_resource);
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
        BadSweep{"method: bayes\nparameters:\n  heads: {values: [1, 2]}\n",
                 "bad.yaml:1:1: method: bayes needs the sweep's 'metric' (name and goal) to search by"},
        BadSweep{"method: bayes\nmetric: {name: eval/accuracy, goal: maximize}\nseeds: [1, 2]\nparameters:\n"
                 "  heads: {values: [1, 2]}\n",
                 "bad.yaml:3:8: method: bayes searches one seed at a time: set one value of 'seed' (or 'seeds: [N]'); "
                 "replicate the best cells over seeds with a grid sweep"},
        BadSweep{"method: bayes\nmetric: {name: eval/accuracy, goal: maximize}\nparameters:\n"
                 "  heads: {values: [1, 2]}\n  d_model: {values: [8, 16]}\nzip: [[heads, d_model]]\n",
                 "bad.yaml:6:7: zip works with method: grid only"},
        BadSweep{"method: bayes\nmetric: {name: eval/accuracy, goal: maximize}\nparameters:\n"
                 "  heads: {values: [1, 2]}\ninclude:\n  - {heads: 4}\n",
                 "bad.yaml:6:5: include lists cells of a grid; method: bayes proposes its own"},
        BadSweep{"parameters:\n  heads: {value: 1}\n  heads: {value: 2}\n",
                 "bad.yaml:3:3: duplicate key 'heads' in parameters"},
        BadSweep{"parameters:\n  heads: 4\n",
                 "bad.yaml:2:10: parameter 'heads' must be a map with 'value' or 'values' (W&B sweep "
                 "format)"},
        BadSweep{"method: bayes\nmetric: {name: eval/accuracy, goal: maximize}\n"
                 "tpe: {startup_trials: 0, multivarite: true}\nparameters:\n  heads: {values: [1, 2]}\n",
                 "bad.yaml:3:23: tpe 'startup_trials' must be an integer from 1 to 1000000: the random draws before TPE "
                 "follows the results\n"
                 "bad.yaml:3:26: unknown key 'multivarite' in tpe (did you mean 'multivariate'?)"},
        BadSweep{"method: random\ntpe: {multivariate: yes}\nparameters:\n  heads: {values: [1, 2]}\n",
                 "bad.yaml:2:21: tpe 'multivariate' must be true or false\n"
                 "bad.yaml:2:6: 'tpe' sets method: bayes's sampler; this sweep's method is random"},
        BadSweep{"metric: {name: eval/loss, goal: minimize}\nearly_terminate: {type: hyperband, min_iter: -2}\n"
                 "parameters:\n  heads: {values: [1, 2]}\n",
                 "bad.yaml:2:46: 'min_iter' must be a positive integer (iterations: the metric's logged steps)"},
        BadSweep{"retries: -1\nparameters:\n  heads: {value: 1}\n",
                 "bad.yaml:1:10: 'retries' must be a non-negative integer"}));

}  // namespace
}  // namespace headroom
