// Sweeping any program (issue #19), through the real binaries: W&B's
// `program` and `command` with their macros, free-form parameters, the
// worker protocol from Python (the `headroom` module), C++ (worker.h), a
// shell script that speaks no protocol, JSON lines on stdout, and a script
// written for W&B run unchanged through Headroom's `wandb` drop-in.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using testing::TemporaryFolder;

const std::string kPrograms = std::string(HEADROOM_SOURCE_DIR) + "/tests/workers/programs/";

class Programs : public ::testing::Test {
 protected:
  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path());
  }

  // Runs the sweep file `text` (as sweep.yaml) to its end; returns the runs as `headroom runs --json` lists them.
  nlohmann::json run_sweep(const std::string& text, int expected_exit = 0) {
    const std::string file = folder_.write("sweep.yaml", text);
    auto ran = headroom({"run", file, "--quiet", "-j", "2"});
    EXPECT_EQ(ran.exit_status, expected_exit) << ran.out << ran.err;
    auto runs = headroom({"runs", "sweep", "--json"});
    EXPECT_EQ(runs.exit_status, 0) << runs.err;
    return nlohmann::json::parse(runs.out, nullptr, false);
  }

  // Lines in `file` so far (0 before it exists): how many times programs logged their start there.
  static long lines_in(const fs::path& file) {
    const std::string text = fs::exists(file) ? testing::read_file(file) : "";
    return std::count(text.begin(), text.end(), '\n');
  }

  // The exit-status records the programs' supervisors wrote under runs/.
  std::vector<fs::path> exit_records() const {
    std::vector<fs::path> records;
    if (!fs::exists(folder_.path() / "runs")) return records;
    for (const auto& entry : fs::recursive_directory_iterator(folder_.path() / "runs")) {
      if (entry.path().filename() == "exit-status.txt") records.push_back(entry.path());
    }
    return records;
  }

  // The runs sorted by one of their parameters.
  static std::map<std::string, nlohmann::json> by(const nlohmann::json& runs, const std::string& name) {
    std::map<std::string, nlohmann::json> sorted;
    for (const auto& run : runs) sorted[run[name].dump()] = run;
    return sorted;
  }

  TemporaryFolder folder_;
};

TEST_F(Programs, AScriptWrittenForWandbRunsUnchangedThroughTheDropIn) {
  fs::copy_file(kPrograms + "wandb_script.py", folder_.path() / "train.py");
  auto runs = run_sweep(
      "program: train.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\n"
      "parameters:\n  lr: {values: [0.01, 0.1]}\n  optimizer: {values: [sgd, adam]}\n"
      "worker: {wandb: dropin}\n");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& run : runs) {
    EXPECT_EQ(run["state"], "succeeded") << run.dump();
    // loss(epoch 4) = (lr - 0.01)^2 * 100 + 1/5 (+ 0.5 with adam): the sweep's values reached wandb.config.
    const double lr = run["lr"].get<double>();
    const double expected = (lr - 0.01) * (lr - 0.01) * 100 + 0.2 + (run["optimizer"] == "adam" ? 0.5 : 0.0);
    EXPECT_NEAR(run["loss"].get<double>(), expected, 1e-9) << run.dump();
    EXPECT_NEAR(run["best_loss"].get<double>(), expected, 1e-9);
    EXPECT_EQ(run["epoch"], 4);
  }
}

TEST_F(Programs, APythonPytorchScriptLogsThroughTheHeadroomModule) {
  auto torch = testing::run_command({"/usr/bin/python3", "-c", "import torch"}, folder_.path());
  if (torch.exit_status != 0) GTEST_SKIP() << "Debian's python3-torch is not installed (scripts/setup installs it)";
  auto runs = run_sweep("program: " + kPrograms + "mlp_torch.py\nmethod: grid\n"
                        "worker: {interpreter: /usr/bin/python3}\n"
                        "parameters:\n  lr: {values: [0.05, 0.2]}\n  hidden: {value: 16}\n  steps: {value: 40}\n");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run["state"], "succeeded") << run.dump();
    EXPECT_TRUE(run["train/loss"].is_number()) << run.dump();
    EXPECT_GT(run["eval/accuracy"].get<double>(), 0.25) << "better than chance on 4 classes";
    EXPECT_FALSE(run.contains("parameter_count")) << "a program's model size is unknown: not a default column";
  }
  auto asked = headroom({"runs", "sweep", "--columns", "run,parameter_count", "--json"});
  ASSERT_EQ(asked.exit_status, 0) << asked.err;
  EXPECT_TRUE(nlohmann::json::parse(asked.out)[0]["parameter_count"].is_null()) << "unknown, not 0";
  auto curve = headroom({"query", "SELECT count(*) AS n FROM metrics m JOIN metric_names n ON n.id = m.metric_id "
                                   "WHERE n.name = 'train/loss'", "--json"});
  ASSERT_EQ(curve.exit_status, 0) << curve.err;
  EXPECT_GT(nlohmann::json::parse(curve.out)[0]["n"].get<int>(), 2);
}

TEST_F(Programs, ACppProgramReportsThroughTheHeader) {
  const std::string program = (fs::path(testing::test_worker_binary()).parent_path() / "headroom-cpp-worker").string();
  auto runs = run_sweep("program: " + program + "\nmethod: grid\n"
                        "parameters:\n  x: {values: [1.0, 2.0]}\n  steps: {value: 30}\n");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run["state"], "succeeded") << run.dump();
    // Gradient descent on (w - x)^2 from 0 with lr 0.1: w_k = x (1 - 0.8^k).
    const double x = run["x"].get<double>();
    const double left = x * std::pow(0.8, 30);
    EXPECT_NEAR(run["eval/loss"].get<double>(), left * left, 1e-9) << run.dump();
  }
}

// A program's settings are its own: its head_size is the runs' head_size
// column (the trainer's is not there to shadow it); one named like another
// built-in column (seconds: the run's duration) is warned of when it runs.
TEST_F(Programs, AProgramsHeadSizeIsItsOwnColumnAndASettingNamedLikeABuiltInIsWarnedOf) {
  const std::string file = folder_.write("sweep.yaml", "program: " + kPrograms +
                                                           "shell_worker.sh\nmethod: grid\nparameters:\n"
                                                           "  head_size: {values: [8, 16]}\n  seconds: {value: 5}\n");
  auto ran = headroom({"run", file, "-j", "2"});
  ASSERT_EQ(ran.exit_status, 0) << ran.err;
  EXPECT_NE(ran.err.find("warning: the program's setting 'seconds' has the name of a built-in column of `runs`"),
            std::string::npos)
      << ran.err;
  EXPECT_EQ(ran.err.find("'head_size'"), std::string::npos) << ran.err;
  auto runs = headroom({"runs", "sweep", "--where", "head_size = 16", "--json"});
  ASSERT_EQ(runs.exit_status, 0) << runs.err;
  auto found = nlohmann::json::parse(runs.out);
  ASSERT_EQ(found.size(), 1u) << runs.out;
  EXPECT_EQ(found[0]["head_size"], 16);
  EXPECT_FALSE(found[0].contains("parameter_count"));
}

TEST_F(Programs, AProgramThatSpeaksNoProtocolGetsItsExitStatusAndOutputRecorded) {
  auto runs = run_sweep("program: " + kPrograms + "shell_worker.sh\nmethod: grid\n"
                        "parameters:\n  fail: {values: [0, 1]}\n  name: {value: \"two words\"}\n", 1);
  ASSERT_EQ(runs.size(), 2u);
  auto sorted = by(runs, "fail");
  EXPECT_EQ(sorted["0"]["state"], "succeeded") << sorted["0"].dump();
  EXPECT_EQ(sorted["1"]["state"], "failed");
  auto shown = [&](const nlohmann::json& run) {
    auto show = headroom({"show", std::to_string(run["run"].get<int>()), "--json"});
    EXPECT_EQ(show.exit_status, 0) << show.err;
    return nlohmann::json::parse(show.out);
  };
  const auto failed = shown(sorted["1"]), succeeded = shown(sorted["0"]);
  EXPECT_EQ(failed["exit_code"], 1) << failed.dump();
  EXPECT_NE(failed["error"].get<std::string>().find("failing as asked"), std::string::npos) << failed.dump();
  EXPECT_GT(succeeded["ended_at"].get<double>(), succeeded["started_at"].get<double>()) << "its wall time";
  EXPECT_EQ(succeeded["program"]["path"], kPrograms + "shell_worker.sh");
  // Arguments arrive as one vector, never through a shell: a value with a space stays one argument.
  const std::string out = testing::read_file(fs::path(succeeded["paths"]["run_dir"].get<std::string>()) / "stdout.log");
  EXPECT_NE(out.find("argument --name=two words\n"), std::string::npos) << out;
}

TEST_F(Programs, JsonLinesOnStdoutAreIngestedWhenTheSweepAsks) {
  auto runs = run_sweep("program: " + kPrograms + "stdout_metrics.py\nmethod: grid\nworker: {metrics: stdout}\n"
                        "parameters:\n  scale: {values: [1.0, 2.0]}\n  steps: {value: 4}\n");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run["state"], "succeeded") << run.dump();
    const double scale = run["scale"].get<double>();
    EXPECT_NEAR(run["loss"].get<double>(), scale / 4, 1e-12);
    EXPECT_NEAR(run["accuracy"].get<double>(), 0.5 + 0.1 * scale, 1e-12);
  }
  auto show = headroom({"show", "1", "--json"});
  ASSERT_EQ(show.exit_status, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["rejected_event_lines"], 0)
      << "ordinary output lines are not refused events: " << show.out;
}

// Steps on stdout are read as an events file's are: a step that is not a
// whole number from 0 refuses its line (counted, not moved to the next step,
// and the run is not a success, as with refused event lines), 10.0 is step
// 10, and Python's NaN (json.dumps writes it) is a value not measured,
// beside the line's other values.
TEST_F(Programs, StdoutStepsAreReadAsAnEventsFilesAndPythonsNanIsNull) {
  folder_.write("steps.py",
                "import json\n"
                "print(json.dumps({'step': 3, 'loss': 0.3}))\n"
                "print(json.dumps({'step': -1, 'loss': 111}))\n"
                "print(json.dumps({'step': 2.5, 'loss': 222}))\n"
                "print(json.dumps({'step': '7', 'loss': 333}))\n"
                "print(json.dumps({'step': 10.0, 'loss': 0.2}))\n"
                "print(json.dumps({'step': 11, 'loss': float('nan'), 'acc': 0.5}))\n"
                "print(json.dumps({'acc': 0.6}))\n");
  auto runs = run_sweep("program: steps.py\nmetric: {name: loss, goal: minimize}\nworker: {metrics: stdout}\n"
                        "parameters:\n  x: {value: 1}\nretries: 0\n",
                        1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "failed") << runs[0].dump();
  EXPECT_EQ(runs[0]["acc"], 0.6) << runs[0].dump();
  auto points = headroom({"query", "SELECT n.name, m.step FROM metrics m JOIN metric_names n "
                                   "ON n.id = m.metric_id ORDER BY n.name, m.step", "--json"});
  ASSERT_EQ(points.exit_status, 0) << points.err;
  const auto rows = nlohmann::json::parse(points.out);
  std::vector<std::string> seen;
  for (const auto& row : rows) seen.push_back(row["name"].get<std::string>() + "@" + std::to_string(row["step"].get<int>()));
  EXPECT_EQ(seen, (std::vector<std::string>{"acc@11", "acc@12", "loss@3", "loss@10", "loss@11"})) << points.out;
  auto show = nlohmann::json::parse(headroom({"show", "1", "--json"}).out);
  EXPECT_EQ(show["rejected_event_lines"], 3) << show.dump();
  EXPECT_NE(show["error"].get<std::string>().find("stdout.log at byte"), std::string::npos) << show.dump();
}

// A failed program's stderr, shown by status, cannot move the cursor or
// repaint the terminal (tqdm's carriage returns, colour codes).
TEST_F(Programs, StatusShowsAFailedProgramsStderrAsText) {
  folder_.write("boom.py", "import sys\nsys.stderr.write('progress 50%\\r\\x1b[2K\\x1b[31mRuntimeError: boom\\x1b[0m\\n')\n"
                           "sys.exit(1)\n");
  run_sweep("program: boom.py\nretries: 0\nparameters:\n  x: {value: 1}\n", 1);
  auto status = headroom({"status"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  EXPECT_NE(status.out.find("RuntimeError: boom"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find('\x1b'), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find('\r'), std::string::npos) << status.out;
}

// A sweep judged on a metric no run logged says so (a search searched blind).
TEST_F(Programs, ASweepWhoseMetricNoRunLoggedWarns) {
  folder_.write("typo.py", "import json\nprint(json.dumps({'val_loss': 0.5}))\n");
  const std::string file = folder_.write("sweep.yaml", "program: typo.py\nworker: {metrics: stdout}\n"
                                                       "metric: {name: val/loss, goal: minimize}\n"
                                                       "parameters:\n  x: {value: 1}\n");
  auto ran = headroom({"run", file, "--quiet"});
  EXPECT_EQ(ran.exit_status, 0) << ran.err;
  EXPECT_NE(ran.err.find("no run logged the sweep's metric 'val/loss' (did you mean 'val_loss'?)"), std::string::npos)
      << ran.err;
}

// Said as soon as the first run ends without the metric (a search would
// otherwise search blind to its end), and once.
TEST_F(Programs, AMissingMetricIsSaidWhenTheFirstRunEnds) {
  folder_.write("typo.py", "import json\nprint(json.dumps({'val_loss': 0.5}))\n");
  const std::string file = folder_.write("sweep.yaml", "program: typo.py\nworker: {metrics: stdout}\n"
                                                       "metric: {name: val/loss, goal: minimize}\n"
                                                       "parameters:\n  x: {values: [1, 2, 3]}\n");
  auto ran = headroom({"run", file, "-j", "1"});
  EXPECT_EQ(ran.exit_status, 0) << ran.err;
  const std::string warning = "no run logged the sweep's metric 'val/loss'";
  const auto said = ran.err.find(warning);
  ASSERT_NE(said, std::string::npos) << ran.err;
  EXPECT_EQ(ran.err.find(warning, said + 1), std::string::npos) << "once: " << ran.err;
  EXPECT_LT(said, ran.err.find("3/3 cells")) << "before the last run ended: " << ran.err;
}

TEST_F(Programs, MacrosAndFreeFormValuesRenderAsWandbsAgentRendersThem) {
  const std::string echo = folder_.write("echo.py",
                                         "import json, os, sys\n"
                                         "print(json.dumps(sys.argv[1:]))\n"
                                         "print(open(os.environ['HEADROOM_CONFIG']).read())\n");
  run_sweep("program: echo.py\nmethod: grid\nproject: proj\n"
            "command: [\"${env}\", \"${interpreter}\", \"${program}\", \"${args_no_hyphens}\", \"${args_json}\", "
            "\"${args_no_boolean_flags}\", \"${project}\"]\n"
            "parameters:\n  lr: {value: 0.00001}\n  flag: {value: false}\n  layers: {value: [64, 32]}\n"
            "  optimizer:\n    parameters:\n      name: {value: adam}\n      beta: {value: 0.9}\n"
            "  model.depth: {value: 2}\n");
  auto runs = nlohmann::json::parse(headroom({"runs", "sweep", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u);
  auto show = nlohmann::json::parse(headroom({"show", "1", "--json"}).out);
  const std::string out = testing::read_file(fs::path(show["paths"]["run_dir"].get<std::string>()) / "stdout.log");
  const auto newline = out.find('\n');
  auto argv = nlohmann::json::parse(out.substr(0, newline));
  const nlohmann::json expected = {
      "flag=False", "layers=[64, 32]", "lr=1e-05", "model.depth=2", "optimizer={'beta': 0.9, 'name': 'adam'}",
      R"({"flag": false, "layers": [64, 32], "lr": 1e-05, "model.depth": 2, "optimizer": {"beta": 0.9, "name": "adam"}})",
      "--layers=[64, 32]", "--lr=1e-05", "--model.depth=2", "--optimizer={'beta': 0.9, 'name': 'adam'}", "proj"};
  EXPECT_EQ(argv, expected);
  // The config the program reads: a nested block nested, a dotted name as written.
  auto config = nlohmann::json::parse(out.substr(newline + 1));
  EXPECT_EQ(config["optimizer"]["name"], "adam");
  EXPECT_EQ(config["model.depth"], 2);
  // Swept under its dotted name, like every parameter.
  EXPECT_EQ(runs[0]["optimizer.beta"], 0.9);
}

// kill -9 of the orchestrator while a program trains: the program is found
// again by HEADROOM_RUN_DIR in its environment (its command line does not
// name its run folder), watched to its end, and never started twice.
TEST_F(Programs, AProgramOutlivesAKilledOrchestratorAndIsAdoptedNotStartedTwice) {
  const std::string program = (fs::path(testing::test_worker_binary()).parent_path() / "headroom-cpp-worker").string();
  const std::string file = folder_.write("p.yaml", "name: p\nprogram: " + program +
                                                       "\nparameters:\n  x: {value: 1.0}\n  steps: {value: 20}\n"
                                                       "  step_ms: {value: 150}\n");
  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"run", file, "--quiet"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  // Until the worker has logged a few steps: it is running and recorded.
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto query = headroom({"query", "SELECT count(*) AS n FROM summaries WHERE name = 'train/loss' AND last_step >= 2",
                           "--json"});
    running = query.exit_status == 0 && nlohmann::json::parse(query.out, nullptr, false)[0].value("n", 0) > 0;
  }
  ASSERT_TRUE(running) << "the program never logged";
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();
  auto resumed = headroom({"resume", "p", "--quiet"});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  auto runs = nlohmann::json::parse(headroom({"runs", "p", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u) << "adopted, not started again: " << runs.dump();
  EXPECT_EQ(runs[0]["state"], "succeeded");
  EXPECT_EQ(runs[0]["train/loss"].is_number(), true);
}

// A program that writes no end event says how it ended by its exit status
// alone, which only its parent sees. kill -9 of the orchestrator: one program
// ends while no orchestrator runs, the other while the resumed one watches it
// (adopted). Each is recorded by its exit status (headroom-supervise, their
// parent, wrote it down), and neither is lost and started a second time.
TEST_F(Programs, AProgramsExitStatusOutlivesAKilledOrchestrator) {
  const fs::path starts = folder_.path() / "starts.log";
  const std::string program = folder_.write("wait.sh",
                                            "#!/bin/sh\n"
                                            "# --x=N: logs its start, waits for the file go-N, exits N - 1\n"
                                            "x=${1#--x=}\n"
                                            "echo \"$x\" >> '" + starts.string() + "'\n"
                                            "while [ ! -e \"go-$x\" ]; do sleep 0.05; done\n"
                                            "exit $((x - 1))\n");
  fs::permissions(program, fs::perms::owner_exec, fs::perm_options::add);
  const std::string file = folder_.write("w.yaml", "name: w\nprogram: wait.sh\nretries: 0\n"
                                                   "parameters:\n  x: {values: [1, 2]}\n");
  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"run", file, "--quiet", "-j", "2"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  const auto started = [&] { return lines_in(starts); };
  for (int i = 0; i < 400 && started() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(started(), 2) << "both programs should have started";
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();

  // x = 1 exits 0 while no orchestrator runs; its supervisor records it.
  folder_.write("go-1", "");
  const auto exits_recorded = [&] { return exit_records().size(); };
  for (int i = 0; i < 400 && exits_recorded() < 1u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(exits_recorded(), 1u) << "the supervisor should record x = 1's exit";

  // x = 2 still runs: the resumed orchestrator adopts it (its start-up
  // decides x = 1 by its record first, then adopts x = 2); it exits 1.
  bp::child resumed(testing::headroom_binary(), std::vector<std::string>{"resume", "w", "--quiet"},
                    bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  bool first_decided = false;
  for (int i = 0; i < 400 && !first_decided; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto query = headroom({"query", "SELECT count(*) AS n FROM runs WHERE state = 'succeeded'", "--json"});
    first_decided = query.exit_status == 0 && nlohmann::json::parse(query.out, nullptr, false)[0].value("n", 0) == 1;
  }
  ASSERT_TRUE(first_decided) << "the resumed orchestrator should decide x = 1 by its record";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  folder_.write("go-2", "");
  resumed.wait();
  EXPECT_EQ(resumed.exit_code(), 1) << "a cell failed";

  EXPECT_EQ(started(), 2) << "no program started twice: " << testing::read_file(starts);
  auto runs = nlohmann::json::parse(headroom({"runs", "w", "--json"}).out);
  ASSERT_EQ(runs.size(), 2u) << runs.dump();
  auto sorted = by(runs, "x");
  EXPECT_EQ(sorted["1"]["state"], "succeeded") << sorted["1"].dump();
  EXPECT_EQ(sorted["2"]["state"], "failed") << sorted["2"].dump();
  auto failed = nlohmann::json::parse(headroom({"show", std::to_string(sorted["2"]["run"].get<int>()), "--json"}).out);
  EXPECT_EQ(failed["exit_code"], 1) << failed.dump();
}

// An orchestrator that sends its workers SIGTERM and is killed before they end
// (or a SIGTERM from anyone else while none runs): a program that exits 0 on
// SIGTERM without an end event did not finish. Its supervisor records the stop
// beside the exit, and the resumed orchestrator runs the cell again instead of
// counting it done.
TEST_F(Programs, AProgramThatExitsZeroOnAStopNobodyWatchedRunsAgain) {
  const fs::path starts = folder_.path() / "starts.log";
  const std::string program = folder_.write("graceful.sh",
                                            "#!/bin/sh\n"
                                            "# Logs its start; exits 0 at SIGTERM, or once the file go exists.\n"
                                            "trap 'exit 0' TERM\n"
                                            "echo started >> '" + starts.string() + "'\n"
                                            "while [ ! -e go ]; do sleep 0.05; done\n"
                                            "exit 0\n");
  fs::permissions(program, fs::perms::owner_exec, fs::perm_options::add);
  const std::string file = folder_.write("g.yaml", "name: g\nprogram: graceful.sh\nparameters:\n  x: {value: 1}\n");
  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"run", file, "--quiet"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  const auto started = [&] { return lines_in(starts); };
  for (int i = 0; i < 400 && started() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(started(), 1) << "the program never started";
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();
  // The stop the killed orchestrator would have sent: SIGTERM to the worker's
  // process group, whose leader is the supervisor (the run's pid).
  // (The program may have started before its pid was committed.)
  int worker = 0;
  for (int i = 0; i < 400 && worker <= 1; ++i) {
    auto pid = headroom({"query", "SELECT pid FROM runs WHERE pid IS NOT NULL", "--json"});
    const auto rows = nlohmann::json::parse(pid.out, nullptr, false);
    if (pid.exit_status == 0 && rows.is_array() && !rows.empty()) worker = rows[0]["pid"].get<int>();
    if (worker <= 1) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(worker, 1) << "the worker's pid was never recorded";
  ASSERT_EQ(::kill(-worker, SIGTERM), 0);
  for (int i = 0; i < 400 && exit_records().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(exit_records().size(), 1u) << "the supervisor should record how the program ended";
  EXPECT_EQ(testing::read_file(exit_records().front()), "exit 0 after signal 15\n");

  folder_.write("go", "");
  auto resumed = headroom({"resume", "g", "--quiet"});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(started(), 2) << "the stopped cell runs again";
  auto runs = nlohmann::json::parse(headroom({"runs", "g", "--json", "--sort", "run"}).out);
  ASSERT_EQ(runs.size(), 2u) << runs.dump();
  EXPECT_EQ(runs[0]["state"], "lost") << runs.dump();
  EXPECT_EQ(runs[1]["state"], "succeeded") << runs.dump();
  auto stopped = nlohmann::json::parse(headroom({"show", std::to_string(runs[0]["run"].get<int>()), "--json"}).out);
  EXPECT_NE(stopped.value("error", "").find("stop signal (15)"), std::string::npos) << stopped.dump();
}

// A program that cannot be started (executable, run without ${env}, its #!
// naming no interpreter) stops the sweep with the reason, as it did when the
// orchestrator started it itself: the attempt is lost and its cell waits,
// never retried in a loop.
TEST_F(Programs, AProgramThatCannotStartStopsTheSweepWithTheReason) {
  const std::string program = folder_.write("badshebang.sh", "#!/nonexistent/interpreter\necho hello\n");
  fs::permissions(program, fs::perms::owner_exec, fs::perm_options::add);
  const std::string file = folder_.write("n.yaml", "name: n\nprogram: badshebang.sh\ncommand: [\"${program}\"]\n"
                                                   "parameters:\n  x: {values: [1, 2]}\n");
  auto ran = headroom({"run", file, "--quiet", "-j", "2"});
  EXPECT_NE(ran.exit_status, 0);
  EXPECT_NE(ran.err.find("cannot start '" + program + "': No such file or directory"), std::string::npos) << ran.err;
  auto runs = nlohmann::json::parse(headroom({"runs", "n", "--json"}).out);
  ASSERT_EQ(runs.size(), 2u) << runs.dump();
  // The first failed start stops the sweep; the other attempt failed to start
  // too (lost) or was stopped by it first (cancelled): none is left running.
  int lost = 0;
  for (const auto& run : runs) {
    lost += run["state"] == "lost";
    EXPECT_TRUE(run["state"] == "lost" || run["state"] == "cancelled") << run.dump();
  }
  EXPECT_GE(lost, 1) << runs.dump();
  // Mended, one resume runs both: nothing of the failed starts is left to trip it.
  folder_.write("badshebang.sh", "#!/bin/sh\necho hello\n");
  auto resumed = headroom({"resume", "n", "--quiet", "-j", "2"});
  EXPECT_EQ(resumed.exit_status, 0) << resumed.err;
  auto after = nlohmann::json::parse(headroom({"runs", "n", "--where", "state = 'succeeded'", "--json"}).out);
  EXPECT_EQ(after.size(), 2u) << after.dump();
}

// A stop reaches a program and its child once each: the supervisor passes
// the orchestrator's SIGTERM on to the worker's process group.
TEST_F(Programs, ACancelledProgramAndItsChildGetOneSigtermEach) {
  folder_.write("count_terms.py",
                "import signal, sys, time\n"
                "# Counts SIGTERMs until half a second after the first; writes the count to argv[1].\n"
                "terms = []\n"
                "signal.signal(signal.SIGTERM, lambda *_: terms.append(1))\n"
                "open(sys.argv[1] + '-ready', 'w').close()\n"
                "while not terms: time.sleep(0.02)\n"
                "time.sleep(0.5)\n"
                "open(sys.argv[1], 'w').write(str(len(terms)))\n");
  folder_.write("parent.py",
                "import runpy, subprocess, sys\n"
                "child = subprocess.Popen([sys.executable, 'count_terms.py', 'child'])\n"
                "sys.argv = ['count_terms.py', 'program']\n"
                "runpy.run_path('count_terms.py')\n"
                "child.wait()\n");
  const std::string file = folder_.write("t.yaml", "name: t\nprogram: parent.py\nparameters:\n  x: {value: 1}\n");
  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"run", file, "--quiet"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  const auto ready = [&] {
    return fs::exists(folder_.path() / "program-ready") && fs::exists(folder_.path() / "child-ready");
  };
  for (int i = 0; i < 400 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(ready()) << "the program and its child never started";
  ASSERT_EQ(headroom({"cancel", "t"}).exit_status, 0);
  orchestrator.wait();
  EXPECT_EQ(testing::read_file(folder_.path() / "program"), "1");
  EXPECT_EQ(testing::read_file(folder_.path() / "child"), "1");
  // It exited 0 once stopped, without an end event: stopped, not finished.
  auto runs = nlohmann::json::parse(headroom({"runs", "t", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["state"], "cancelled") << runs.dump();
}

// Resources of a program's sweep are in `resources:` (its parameters are all
// its own): two cells on two GPUs of a fake nvidia-smi, each program told its
// GPU and threads through the environment.
TEST_F(Programs, ResourcesPlaceAProgramOnTheGpusAndItsEnvironmentSaysWhich) {
  const std::string smi = folder_.write("bin/nvidia-smi", "#!/bin/sh\ncat <<'EOF'\n"
                                                         "0, GPU-aaaa0000-0000-0000-0000-000000000000, H100, 81559, 0\n"
                                                         "1, GPU-bbbb0000-0000-0000-0000-000000000000, H100, 81559, 0\n"
                                                         "EOF\n");
  fs::permissions(smi, fs::perms::owner_all);
  const std::string show = folder_.write("show.sh", "#!/bin/sh\necho \"gpus=$CUDA_VISIBLE_DEVICES threads=$OMP_NUM_THREADS\"\n"
                                                    "sleep 1\n");
  fs::permissions(show, fs::perms::owner_all);
  const std::string file = folder_.write("sweep.yaml", "program: show.sh\nresources: {device: cuda, threads: 1}\n"
                                                       "parameters:\n  seed: {values: [1, 2]}\n");
  auto ran = testing::run_command({testing::headroom_binary(), "run", file, "--quiet", "-j", "2"}, folder_.path(),
                                  {{"PATH", (folder_.path() / "bin").string() + ":" + std::getenv("PATH")}});
  ASSERT_EQ(ran.exit_status, 0) << ran.err;
  std::set<std::string> seen;
  for (int run = 1; run <= 2; ++run) {
    auto shown = nlohmann::json::parse(headroom({"show", std::to_string(run), "--json"}).out);
    seen.insert(testing::read_file(fs::path(shown["paths"]["run_dir"].get<std::string>()) / "stdout.log"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"gpus=GPU-aaaa0000-0000-0000-0000-000000000000 threads=1\n",
                                         "gpus=GPU-bbbb0000-0000-0000-0000-000000000000 threads=1\n"}));
}

// Random search without run_cap draws until stopped, as W&B's does: here
// until a round draws no new cell, since the space has only three.
TEST_F(Programs, RandomSearchWithoutARunCapDrawsUntilItsSpaceIsExhausted) {
  const std::string file = folder_.write("r.yaml", "name: r\nmethod: random\nprogram: " + kPrograms +
                                                       "shell_worker.sh\nparameters:\n  x: {values: [1, 2, 3]}\n");
  auto plan = headroom({"plan", file});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("draws until stopped"), std::string::npos) << plan.out;
  auto ran = headroom({"run", file, "--quiet"});
  ASSERT_EQ(ran.exit_status, 0) << ran.err;
  EXPECT_NE(ran.err.find("drew no new cell"), std::string::npos) << ran.err;
  EXPECT_EQ(nlohmann::json::parse(headroom({"runs", "r", "--json"}).out).size(), 3u);
}

TEST_F(Programs, AnotherProgramOrCommandIsAnotherCell) {
  folder_.write("a.py", "print(1)\n");
  folder_.write("b.py", "print(2)\n");
  auto hash = [&](const std::string& text) {
    auto plan = headroom({"plan", folder_.write("s.yaml", text), "--json"});
    EXPECT_EQ(plan.exit_status, 0) << plan.err;
    return nlohmann::json::parse(plan.out)["cells"][0]["hash"].get<std::string>();
  };
  const std::string parameters = "method: grid\nparameters:\n  lr: {value: 0.1}\n";
  const std::string a = hash("program: a.py\n" + parameters);
  EXPECT_EQ(a, hash("program: a.py\n" + parameters));
  EXPECT_NE(a, hash("program: b.py\n" + parameters));
  EXPECT_NE(a, hash("program: a.py\ncommand: [\"${env}\", \"${interpreter}\", \"${program}\", \"${args_no_hyphens}\"]\n" +
                    parameters));
}

TEST_F(Programs, PlanRefusesWhatWandbsSchemaRefusesAtItsLine) {
  folder_.write("train.py", "print(1)\n");
  const std::map<std::string, std::string> cases = {
      {"program: train.py\nmethod: grid\nmetric: {name: loss}\nparameters: {lr: {value: 1}}\n"
       "early_terminate: {type: hyperband, min_iter: 3, eta: 1}\n",
       "s.yaml:5:"},
      {"program: train.py\nmethod: grid\nparameters: {lr: {value: 1}}\nearly_terminate: {type: hyperband, min_iter: 3}\n",
       "needs the sweep's 'metric'"},
      {"program: train.py\nmethod: grid\nparameters: {lr: {value: 1}}\nearly_terminate: {type: median}\n", "hyperband"},
      {"program: train.py\nmethod: grid\nparameters: {lr: {value: 1}}\nearly_terminate: {type: hyperband, eta: 3}\n",
       "min_iter"},
      {"program: train.py\nmethod: grid\nmetric: {name: loss, goal: lowest}\nparameters: {lr: {value: 1}}\n", "s.yaml:3:"},
      {"program: train.py\nmethod: grid\nparameters: {lr: {value: 1}}\nsurprise: 1\n", "unknown key 'surprise'"},
      {"program: train.py\nmethod: grid\ncommand: [\"${env}\", \"${programme}\"]\nparameters: {lr: {value: 1}}\n",
       "unknown macro '${programme}'"},
      // At the item, not at 'command'.
      {"program: train.py\nmethod: grid\ncommand:\n  - ${env}\n  - ${program}\n  - ${argz}\nparameters: {lr: {value: 1}}\n",
       "s.yaml:6:5: unknown macro '${argz}'"},
      {"program: train.py\nmethod: random\nrun_cap: 2\nparameters:\n  lr: {distribution: normal, mu: 0, sigma: -1}\n",
       "s.yaml:5:"},
      {"program: train.py\nmethod: random\nrun_cap: 2\nparameters:\n  lr: {distribution: beta, a: 0, b: 2}\n",
       "'a' of 'lr' must be a finite number greater than 0"},
      // A sweep's name is a folder of runs and an item of the dashboard's comma-separated lists.
      {"name: a/importance\nprogram: train.py\nparameters: {lr: {value: 1}}\n",
       "s.yaml:1:7: the sweep's name contains '/'"},
      {"name: \"a,b\"\nprogram: train.py\nparameters: {lr: {value: 1}}\n", "the sweep's name contains ','"},
      {"program: missing.py\nmethod: grid\nparameters: {lr: {value: 1}}\n", "program 'missing.py' not found"},
      // What a new file may not say (a stored sweep that says it still resumes).
      {"program: train.py\nmethod: bayes\nmetric: {name: loss, goal: minimize}\nparameters:\n  lr: {value: 0.1}\n"
       "  x: {values: [1]}\n",
       "s.yaml:2:9: method: bayes has nothing to search: every parameter has one value"},
      {"program: train.py\nparameters:\n  opt:\n    values: [adam, sgd]\n    overrides:\n"
       "      sgd: {momentum: {distribution: uniform, min: 0.5, max: 0.99}}\n",
       "s.yaml:6:23: an override sets a fixed value; 'momentum' here reads as a parameter's spec (distribution, "
       "values, or min and max): a parameter searched only for some values of 'opt' cannot be declared"},
      {"program: train.py\nmethod: grid\nworker: {metrics: stderr}\nparameters: {lr: {value: 1}}\n", "s.yaml:3:"},
  };
  for (const auto& [text, expected] : cases) {
    auto plan = headroom({"plan", folder_.write("s.yaml", text)});
    EXPECT_NE(plan.exit_status, 0) << text;
    EXPECT_NE(plan.err.find(expected), std::string::npos) << text << "\n" << plan.err;
  }
  auto from_file = headroom({"plan", folder_.write("my,sweep.yaml", "program: train.py\nparameters: {lr: {value: 1}}\n")});
  EXPECT_EQ(from_file.exit_status, 2);
  EXPECT_NE(from_file.err.find("'my,sweep' from the file's name, contains ',': give it a 'name:'"), std::string::npos)
      << from_file.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
}

}  // namespace
}  // namespace headroom
