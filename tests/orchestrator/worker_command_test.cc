// How a cell's worker is started (orchestrator/scheduler/worker_command.h):
// headroom-train's command line, a program's command with W&B's macros and
// values written as W&B's agent writes them, and the protocol's environment.
#include "orchestrator/scheduler/worker_command.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

TEST(PythonStr, WritesValuesAsPythonsStrDoes) {
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {1e-05, "1e-05"},           {0.001, "0.001"},       {0.0001, "0.0001"},  {1.0, "1.0"},
      {100.0, "100.0"},           {1e16, "1e+16"},        {1.5e-7, "1.5e-07"}, {-2.5, "-2.5"},
      {123456.789, "123456.789"}, {3, "3"},               {true, "True"},      {false, "False"},
      {nullptr, "None"},          {"adam", "adam"},       {nlohmann::json::array({64, 32}), "[64, 32]"},
      {nlohmann::json::array({"a", "it's"}), "['a', \"it's\"]"},
      {nlohmann::json{{"beta", 0.9}, {"name", "adam"}}, "{'beta': 0.9, 'name': 'adam'}"},
  };
  for (const auto& [value, expected] : cases) EXPECT_EQ(python_str(value), expected) << value.dump();
}

TEST(PythonJson, WritesAsJsonDumpsDoes) {
  EXPECT_EQ(python_json({{"lr", 1e-05}, {"layers", {64, 32}}, {"name", "é"}, {"flag", false}}),
            R"({"flag": false, "layers": [64, 32], "lr": 1e-05, "name": "\u00e9"})");
}

TEST(ShellWord, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_word("--lr=0.1"), "--lr=0.1");
  EXPECT_EQ(shell_word("two words"), "'two words'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word(""), "''");
}

CellRecord program_cell(ProgramSpec program, nlohmann::json parameters) {
  CellRecord cell;
  cell.hash = "abc";
  cell.config = std::move(parameters);
  cell.worker = to_json(program);
  return cell;
}

RunRecord run_in(const std::string& dir) {
  RunRecord run;
  run.id = 7;
  run.attempt = 2;
  run.run_dir = dir;
  return run;
}

TEST(WorkerLaunch, APythonProgramRunsWithWandbsDefaultCommandAndItsParametersNested) {
  ProgramSpec program;
  program.program = "train.py";
  program.path = "/s/train.py";
  program.nested_blocks = {"optimizer"};
  SweepRecord sweep;
  sweep.name = "s";
  AttemptSetup setup;
  setup.support_folder = "/runs/s/.headroom";
  auto launch = worker_launch(sweep, program_cell(program, {{"lr", 0.01}, {"optimizer.name", "adam"}, {"model.depth", 2}}),
                              run_in("/runs/s/abc/2"), true, setup);
  EXPECT_EQ(launch.argv, (std::vector<std::string>{"/usr/bin/env", "python3", "/s/train.py", "--lr=0.01",
                                                   "--model.depth=2", "--optimizer={'name': 'adam'}"}));
  EXPECT_EQ(nlohmann::json::parse(launch.files.at("config.json")),
            (nlohmann::json{{"lr", 0.01}, {"model.depth", 2}, {"optimizer", {{"name", "adam"}}}}));
  EXPECT_EQ(launch.environment.at("HEADROOM_RESUME"), "1");
  EXPECT_EQ(launch.environment.at("HEADROOM_EVENTS"), "/runs/s/abc/2/events.jsonl");
  EXPECT_EQ(launch.environment.at("HEADROOM_RUN_ID"), "7");
  EXPECT_EQ(launch.environment.at("HEADROOM_ATTEMPT"), "2");
  EXPECT_EQ(launch.environment.at("PYTHONPATH").rfind("/runs/s/.headroom/python", 0), 0u);
  EXPECT_FALSE(launch.files.count("args.json"));
}

TEST(WorkerLaunch, OtherProgramsRunThemselvesAndTheDropInComesFirst) {
  ProgramSpec program;
  program.program = "train.sh";
  program.path = "/s/train.sh";
  program.wandb_dropin = true;
  program.command = {"${program}", "${args_no_equals}", "${args_json_file}", "--fixed"};
  AttemptSetup setup;
  setup.support_folder = "/h";
  auto launch = worker_launch(SweepRecord{}, program_cell(program, {{"x", "a b"}}), run_in("/r"), false, setup);
  EXPECT_EQ(launch.argv, (std::vector<std::string>{"/s/train.sh", "--x", "a b", "/r/args.json", "--fixed"}));
  EXPECT_EQ(launch.files.at("args.json"), "{\"x\": \"a b\"}\n");
  EXPECT_EQ(launch.environment.at("HEADROOM_RESUME"), "0");
  EXPECT_EQ(launch.environment.at("PYTHONPATH").rfind("/h/python/wandb_dropin:/h/python", 0), 0u);
  program.command.clear();
  EXPECT_EQ(command_template(program), (std::vector<std::string>{"${program}", "${args}"}));
}

TEST(WorkerLaunch, TheTrainerGetsItsConfigWithTheSchedulersThreadsAndDevice) {
  CellRecord cell;
  cell.config = {{"d_model", 64}};
  AttemptSetup setup;
  setup.threads = 3;
  setup.gpus = true;
  setup.trainer_path = "/bin/headroom-train";
  auto launch = worker_launch(SweepRecord{}, cell, run_in("/r"), true, setup);
  EXPECT_EQ(launch.argv, (std::vector<std::string>{"/bin/headroom-train", "--config", "/r/config.json", "--run-dir",
                                                   "/r", "--resume"}));
  auto config = nlohmann::json::parse(launch.files.at("config.json"));
  EXPECT_EQ(config["threads"], 3);
  EXPECT_EQ(config["device"], "cuda");
  EXPECT_EQ(launch.environment.at("HEADROOM_RUN_DIR"), "/r");
  EXPECT_FALSE(launch.environment.count("PYTHONPATH"));
}

}  // namespace
}  // namespace headroom
