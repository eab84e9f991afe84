// End to end through the real CLI: a real sweep of the real trainer on a tiny
// model, a real SQLite file, a real report.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::TemporaryFolder;

class SweepEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string corpus = testing::write_small_corpus(folder_);
    sweep_ = folder_.write("tiny.yaml", R"(# A 4-cell comparison of the two attention kinds.
name: tiny
method: grid
metric: {name: eval/accuracy, goal: maximize}
base:
  corpus: )" + corpus + R"(
  d_model: 16
  layers: 1
  seq_len: 16
  batch_size: 8
  steps: 30
  eval_every: 15
  log_every: 10
  eval_batches: 1
  eval_batch_size: 16
  precision: fp32
parameters:
  heads: {values: [1, 4]}
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 16}
)");
  }

  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path());
  }

  int64_t scalar(const std::string& sql) {
    sqlite::Connection connection((folder_.path() / "headroom.db").string(),
                                  sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    EXPECT_TRUE(statement.step());
    return statement.integer(0);
  }

  TemporaryFolder folder_;
  std::string sweep_;
};

TEST_F(SweepEndToEnd, RunsEveryCellOnceRecordsMetricsAndReports) {
  auto plan = headroom({"plan", sweep_});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("4 cells"), std::string::npos) << plan.out;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db")) << "plan must not touch the database";

  auto run = headroom({"run", sweep_, "--jobs", "2"});
  ASSERT_EQ(run.exit_status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("4 succeeded, 0 failed, 0 pending"), std::string::npos) << run.out;

  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded' AND end_status = 'ok'"), 4);
  // 3 logging steps x 4 train metrics + 2 evaluations x (loss, accuracy,
  // unigram accuracy + 2 rank metrics), per run.
  EXPECT_EQ(scalar("SELECT count(*) FROM metrics"), 4 * (3 * 4 + 2 * 5));
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'eval/accuracy' AND last_step = 30"), 4);
  EXPECT_EQ(scalar("SELECT count(DISTINCT run_dir) FROM runs"), 4);

  // Running again finds nothing to do: each cell runs exactly once.
  auto again = headroom({"run", sweep_});
  ASSERT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 4);

  auto status = headroom({"status"});
  ASSERT_EQ(status.exit_status, 0);
  EXPECT_NE(status.out.find("4/4 cells: 4 succeeded, 0 failed"), std::string::npos) << status.out;

  auto runs = headroom({"runs", "tiny", "--format", "csv"});
  ASSERT_EQ(runs.exit_status, 0) << runs.err;
  EXPECT_EQ(std::count(runs.out.begin(), runs.out.end(), '\n'), 5) << runs.out;

  auto report = headroom({"report", "tiny", "--out", "report"});
  ASSERT_EQ(report.exit_status, 0) << report.err;
  for (const char* file : {"report.html", "report.md", "tiny-runs.csv", "tiny-configurations.csv", "tiny-heads.gp",
                           "tiny-heads.png", "tiny-heads.svg", "tiny-curves.png"}) {
    fs::path path = folder_.path() / "report" / file;
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), 0u) << path;
  }
  EXPECT_NE(testing::read_file(folder_.path() / "report/tiny-configurations.csv").find("fixed,16,4,1,"), std::string::npos);
}

TEST_F(SweepEndToEnd, MalformedSweepExitsTwoWithLocationAndWritesNothing) {
  std::string bad = folder_.write("bad.yaml", "parameters:\n  heads: {values: [4, 3]}\n  d_model: {value: 64}\n");
  auto run = headroom({"run", bad});
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_NE(run.err.find("bad.yaml:2:23: 'heads': standard attention needs heads to divide d_model"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));

  // With a database in place, a bad file still leaves it untouched.
  ASSERT_EQ(headroom({"run", sweep_}).exit_status, 0);
  auto before = testing::read_file(folder_.path() / "headroom.db");
  auto typo = folder_.write("typo.yaml", "parameters:\n  heads: {values: [1]}\n  dmodel: {value: 8}\n");
  auto refused = headroom({"run", typo});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("typo.yaml:3:3: unknown parameter 'dmodel'"), std::string::npos) << refused.err;
  EXPECT_EQ(testing::read_file(folder_.path() / "headroom.db"), before);
}

TEST_F(SweepEndToEnd, HostileSweepFilesGetClearErrorsAndNothingRawReachesTheTerminal) {
  // A binary file: its control bytes come back escaped.
  std::string binary = "name: x\n\x01\x1b[2J\x07: 1\n";
  binary += std::string(1, '\0');
  const std::string path = folder_.write("binary.yaml", binary);
  auto refused = headroom({"plan", path});
  EXPECT_EQ(refused.exit_status, 2);
  for (char c : refused.err) EXPECT_TRUE(c == '\n' || c == '\t' || static_cast<unsigned char>(c) >= 0x20) << refused.err;
  EXPECT_NE(refused.err.find("binary.yaml:"), std::string::npos) << refused.err;
  // An integer literal past int64 says it overflows.
  auto overflow = headroom({"plan", folder_.write("big.yaml", "parameters:\n  steps: {value: 99999999999999999999}\n")});
  EXPECT_EQ(overflow.exit_status, 2);
  EXPECT_NE(overflow.err.find("big.yaml:2:18: 'steps': 1e+20 is too large for an integer"), std::string::npos)
      << overflow.err;
  // A huge grid is refused at once, at its largest axis.
  auto huge = headroom({"plan", folder_.write("huge.yaml", "parameters:\n  lr: {values: [1e-3, 2e-3]}\n"
                                                             "  seed: {distribution: int_uniform, min: 0, max: 100000000}\n")});
  EXPECT_EQ(huge.exit_status, 2);
  EXPECT_NE(huge.err.find("huge.yaml:3:3: the sweep has 200000002 cells, more than the limit of 100000"), std::string::npos)
      << huge.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
}

TEST_F(SweepEndToEnd, AMissingOrTooSmallCorpusIsRefusedBeforeAnythingStarts) {
  std::string missing = folder_.write("missing.yaml", R"(
name: missing
base: {corpus: /nonexistent/corpus, steps: 5}
parameters:
  heads: {values: [1, 2]}
)");
  for (const std::string command : {"plan", "run"}) {
    auto refused = headroom({command, missing});
    EXPECT_EQ(refused.exit_status, 2) << command << refused.out << refused.err;
    EXPECT_NE(refused.err.find("missing.yaml:3:16: corpus '/nonexistent/corpus' does not exist (read by 2 cells)"),
              std::string::npos)
        << refused.err;
  }
  // Too short for the longest window of its cells (lm reads seq_len + 1 characters).
  folder_.write("short.txt", std::string(600, 'a') + std::string(600, 'b'));
  std::string small = folder_.write("small.yaml", R"(
name: small
base: {corpus: short.txt, task: lm, steps: 5}
parameters:
  seq_len: {values: [16, 64]}
)");
  auto refused = headroom({"run", small});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("small.yaml:3:16: corpus 'short.txt' is too small: 1200 characters, need at least 1320"),
            std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
}

TEST_F(SweepEndToEnd, InvalidWorkerConfigIsRecordedWithItsErrorAndNotRetried) {
  std::string failing = folder_.write("failing.yaml", R"(
name: failing
retries: 1
base: {steps: 5}
parameters:
  heads: {values: [2]}
)");
  // The worker finds its config unusable (headroom-train does so when the
  // corpus vanished after the check before launch).
  auto run = testing::run_command({testing::headroom_binary(), "run", failing, "--trainer", testing::test_worker_binary()},
                                  folder_.path(), {{"HEADROOM_TEST_WORKER", "0=invalid_config"}});
  EXPECT_EQ(run.exit_status, 1) << run.out << run.err;
  // An invalid config is not retried.
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'invalid'"), 1);
  auto status = headroom({"status", "failing"});
  EXPECT_NE(status.out.find("' does not exist"), std::string::npos) << status.out;
}

TEST_F(SweepEndToEnd, KillNineOfTheOrchestratorThenRunAgainFinishesEachCellOnce) {
  // Longer runs, so the kill lands while workers are training.
  std::string text = testing::read_file(sweep_);
  text.replace(text.find("steps: 30"), 9, "steps: 400");
  std::string sweep = folder_.write("tiny.yaml", text);
  namespace bp = boost::process;
  bp::child orchestrator(bp::exe = testing::headroom_binary(),
                         bp::args = std::vector<std::string>{"run", sweep, "--jobs", "2", "--quiet"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null,
                         bp::std_err > bp::null);
  fs::path runs = folder_.path() / "runs" / "tiny";
  // Wait until some worker has written metrics, then kill the orchestrator outright.
  bool training = false;
  for (int i = 0; i < 1500 && !training; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(runs, error); !error && it != fs::recursive_directory_iterator(); ++it) {
      if (it->path().filename() == "events.jsonl" &&
          testing::read_file(it->path()).find("\"metric\"") != std::string::npos) {
        training = true;
      }
    }
  }
  ASSERT_TRUE(training);
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();

  auto resumed = headroom({"run", sweep});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.out << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded'"), 4);
  // Every succeeded run has all its evaluations: nothing a worker wrote was lost.
  EXPECT_EQ(scalar("SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id "
                   "JOIN metric_names n ON n.id = m.metric_id "
                   "WHERE r.state = 'succeeded' AND n.name = 'eval/accuracy'"),
            4 * (400 / 15 + 1));
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state IN ('starting', 'running')"), 0);
}

TEST_F(SweepEndToEnd, EveryShippedSweepPlansCleanly) {
  int planned = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(HEADROOM_SOURCE_DIR) / "sweeps")) {
    if (entry.path().extension() != ".yaml") continue;
    auto plan = headroom({"plan", entry.path().string()});
    EXPECT_EQ(plan.exit_status, 0) << entry.path() << "\n" << plan.err;
    ++planned;
  }
  EXPECT_GE(planned, 7);
}

TEST_F(SweepEndToEnd, EveryCommandExplainsItselfAndUnknownOnesFail) {
  for (const char* command : {"plan", "run", "resume", "status", "watch", "logs", "runs", "show", "query", "export",
                              "report", "note", "tag", "cancel", "db"}) {
    auto help = headroom({command, "--help"});
    EXPECT_EQ(help.exit_status, 0) << command;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << command;
  }
  EXPECT_EQ(headroom({"frobnicate"}).exit_status, 2);
}

}  // namespace
}  // namespace headroom
