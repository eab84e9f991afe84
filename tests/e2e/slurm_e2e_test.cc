// headroom run --executor slurm against a real one-node SLURM cluster
// (scripts/slurm-local, brought up by scripts/test): a real sweep with the
// real trainer, a failing task, a cancelled sweep, an orchestrator killed
// while an array runs, an array larger than its throttle, a bayes search and
// hyperband's scancel.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using testing::TemporaryFolder;

class SlurmEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("SLURM_CONF"), nullptr)
        << "no SLURM cluster: run `scripts/slurm-local up` and export SLURM_CONF (scripts/test does both)";
    log_ = (folder_.path() / "workers.log").string();
  }

  // A sweep of the test worker: `cells` cells (seed 1..cells), `steps` steps each.
  void write_worker_sweep(int cells, int steps, const std::string& extra = "") {
    std::string seeds;
    for (int i = 1; i <= cells; ++i) seeds += (i > 1 ? ", " : "") + std::to_string(i);
    folder_.write("s.yaml", "name: s\nexecutor: slurm\n" + extra + "base: {steps: " + std::to_string(steps) +
                                "}\nparameters:\n  seed: {values: [" + seeds + "]}\n");
  }

  std::vector<std::string> headroom_arguments(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return arguments;
  }

  testing::CommandResult headroom(std::vector<std::string> arguments, std::map<std::string, std::string> environment = {}) {
    environment["HEADROOM_TEST_WORKER_LOG"] = log_;
    return testing::run_command(headroom_arguments(std::move(arguments)), folder_.path(), environment);
  }

  // `headroom run s.yaml` with the test worker, in the background.
  bp::child start_in_background(const std::string& step_ms, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"HEADROOM_TEST_WORKER_STEP_MS=" + step_ms, "HEADROOM_TEST_WORKER_LOG=" + log_,
                                          testing::headroom_binary(), "run", "s.yaml", "--trainer",
                                          testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return bp::child(bp::search_path("env"), arguments, bp::start_dir = folder_.path().string(),
                     bp::std_out > bp::null, bp::std_err > (folder_.path() / "orchestrator.err").string());
  }

  bool wait_for(const std::string& sql, int seconds = 60) {
    for (int i = 0; i < seconds * 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!fs::exists(folder_.path() / "headroom.db")) continue;
      try {
        if (scalar(sql) > 0) return true;
      } catch (const std::exception&) {
        // The schema may not exist yet.
      }
    }
    return false;
  }

  int64_t scalar(const std::string& sql) {
    sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    if (!statement.step()) return -1;
    return statement.integer(0);
  }

  std::string text(const std::string& sql) {
    sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    return statement.step() ? statement.text(0) : std::string();
  }

  // Every attempt's state, SLURM task and error, with its worker's events and
  // standard error: what a failed assertion needs to say why.
  std::string attempts() {
    std::string result = "\nattempts:\n";
    sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(),
                                "SELECT state, coalesce(slurm_job, ''), coalesce(error, ''), run_dir FROM runs");
    while (statement.step()) {
      const fs::path run_dir = statement.text(3);
      result += statement.text(0) + " " + statement.text(1) + " " + statement.text(2) + "\nevents:\n" +
                testing::read_file(run_dir / "events.jsonl") + "stderr:\n" + testing::read_file(run_dir / "stderr.log");
    }
    return result;
  }

  // Start and end times of each worker by run folder, from the test worker's log.
  std::map<std::string, std::pair<double, double>> spans() {
    std::map<std::string, std::pair<double, double>> result;
    std::istringstream log(testing::read_file(log_));
    for (std::string kind, dir, gpus, threads; log >> kind;) {
      double time = 0;
      log >> time >> dir >> gpus >> threads;
      (kind == "start" ? result[dir].first : result[dir].second) = time;
    }
    return result;
  }

  TemporaryFolder folder_;
  std::string log_;
};

TEST_F(SlurmEndToEnd, ASweepRunsThroughSlurmWithTheRealTrainer) {
  const std::string corpus = testing::write_small_corpus(folder_);
  folder_.write("tiny.yaml", "name: tiny\nexecutor: slurm\nmetric: {name: eval/accuracy, goal: maximize}\nbase:\n"
                             "  corpus: " + corpus +
                                 "\n  d_model: 16\n  layers: 1\n  seq_len: 16\n  batch_size: 8\n  steps: 30\n"
                                 "  eval_every: 15\n  log_every: 10\n  eval_batches: 1\n  eval_batch_size: 16\n"
                                 "  precision: fp32\nparameters:\n  heads: {values: [1, 4]}\n");
  auto result = headroom({"run", "tiny.yaml"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.err.find("job arrays on SLURM"), std::string::npos) << result.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded' AND slurm_job GLOB '[0-9]*_[0-9]*'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'eval/accuracy' AND last_step = 30"), 2);
  EXPECT_EQ(scalar("SELECT count(DISTINCT substr(slurm_job, 1, instr(slurm_job, '_'))) FROM runs"), 1)
      << "both cells go out as one array";
}

// A program's cells go out the same way (issue #19): each task starts its
// worker from RUN/launch.sh with the protocol's environment and the
// program's command line, a value with spaces and quotes kept as one word.
TEST_F(SlurmEndToEnd, AProgramsSweepRunsThroughSlurm) {
  const std::string program = (fs::path(testing::test_worker_binary()).parent_path() / "headroom-cpp-worker").string();
  folder_.write("p.yaml", "name: p\nexecutor: slurm\nprogram: " + program +
                              "\nparameters:\n  x: {values: [1.0, 2.0]}\n  steps: {value: 10}\n"
                              "  label: {value: \"it's two words\"}\n");
  auto result = headroom({"run", "p.yaml"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded' AND slurm_job GLOB '[0-9]*_[0-9]*'"), 2)
      << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'eval/loss' AND last_step = 10"), 2);
  const std::string launch = testing::read_file(fs::path(text("SELECT run_dir FROM runs LIMIT 1")) / "launch.sh");
  EXPECT_NE(launch.find("'--label=it'\\''s two words'"), std::string::npos) << launch;
  EXPECT_NE(launch.find("export HEADROOM_EVENTS="), std::string::npos) << launch;
}

// A bayes search on SLURM (issue #20): proposals go out as they are made (an
// array of those made since the last submission), at most the throttle
// (-j 2) out at once, until run_cap.
TEST_F(SlurmEndToEnd, ABayesSearchProposesAsTasksEnd) {
  folder_.write("s.yaml", "name: s\nexecutor: slurm\nprogram: " + std::string(HEADROOM_SOURCE_DIR) +
                              "/tests/workers/programs/objective.py\nmethod: bayes\nrun_cap: 5\n"
                              "metric: {name: score, goal: maximize}\nparameters:\n"
                              "  x: {distribution: uniform, min: 0, max: 1}\n"
                              "  lr: {distribution: log_uniform_values, min: 0.0001, max: 1}\n  epochs: {value: 1}\n");
  auto result = headroom({"run", "s.yaml", "-j", "2"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded' AND slurm_job GLOB '[0-9]*_[0-9]*'"), 5)
      << attempts();
  EXPECT_GE(scalar("SELECT count(DISTINCT substr(slurm_job, 1, instr(slurm_job, '_'))) FROM runs"), 3)
      << "later proposals wait for results: not one array";
  EXPECT_EQ(scalar("SELECT count(DISTINCT cell_id) FROM proposals"), 5);
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'score'"), 5);
}

// W&B's hyperband on SLURM (issue #20): with one task at a time and the best
// cell first, the later ones fall behind it at their second value and are
// stopped with scancel: 'stopped early', metrics kept, never retried.
TEST_F(SlurmEndToEnd, HyperbandStopsTheTasksBehindWithScancel) {
  folder_.write("s.yaml", "name: s\nexecutor: slurm\nprogram: " + std::string(HEADROOM_SOURCE_DIR) +
                              "/tests/workers/programs/objective.py\nmethod: grid\n"
                              "metric: {name: score, goal: maximize}\n"
                              "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\n"
                              "parameters:\n  x: {values: [0.3, 0.6, 0.9]}\n  lr: {value: 0.01}\n"
                              "  epochs: {value: 40}\n  epoch_delay: {value: 0.2}\n");
  auto result = headroom({"run", "s.yaml", "-j", "1"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded'"), 1) << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'stopped early'"), 2) << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 3) << "a stopped task is never retried: " << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'stopped early'"), 2);
  // Their metrics stay: at least the two values they were judged on, fewer than all 40.
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id WHERE s.name = 'score' "
                   "AND r.state = 'stopped early' AND s.last_step >= 2 AND s.last_step < 40"),
            2)
      << attempts();
}

TEST_F(SlurmEndToEnd, ARequeuedTaskResumesFromItsCheckpointAndItsCellSucceedsOnce) {
  // What a preemption with requeue does: SLURM stops the task (SIGTERM: the
  // trainer checkpoints) and runs it again, in the same run folder.
  const std::string corpus = testing::write_small_corpus(folder_);
  folder_.write("long.yaml", "name: long\nexecutor: slurm\nbase:\n  corpus: " + corpus +
                                 "\n  d_model: 16\n  heads: 2\n  layers: 1\n  seq_len: 16\n  batch_size: 8\n"
                                 "  steps: 3000\n  eval_every: 1000\n  log_every: 50\n  eval_batches: 1\n"
                                 "  eval_batch_size: 16\n  precision: fp32\nparameters:\n  seed: {values: [1]}\n");
  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"run", "long.yaml", "--quiet"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null,
                         bp::std_err > (folder_.path() / "orchestrator.err").string());
  ASSERT_TRUE(wait_for("SELECT count(*) FROM summaries WHERE name = 'train/loss' AND last_step >= 200"));
  const std::string job = text("SELECT slurm_job FROM runs");
  const std::string scontrol = bp::search_path("scontrol").string();
  auto requeued = testing::run_command({scontrol, "requeue", job}, folder_.path());
  ASSERT_EQ(requeued.exit_status, 0) << requeued.err;
  // SLURM starts the requeued task again once its old credential has
  // expired (about 20 s on the test cluster): forcing an earlier start makes
  // slurmd refuse it ("Job credential revoked").
  orchestrator.wait();
  ASSERT_EQ(orchestrator.exit_code(), 0) << testing::read_file(folder_.path() / "orchestrator.err") << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 1) << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 1) << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'train/loss' AND last_step = 3000"), 1);
  // The second start of the worker continued from the checkpoint the first one wrote.
  const std::string events = testing::read_file(fs::path(text("SELECT run_dir FROM runs")) / "events.jsonl");
  EXPECT_NE(events.find("\"status\":\"preempted\""), std::string::npos);
  const auto second_start = events.find("\"event\":\"start\"", events.find("\"status\":\"preempted\""));
  ASSERT_NE(second_start, std::string::npos);
  EXPECT_EQ(events.find("\"resumed_from_step\":0", second_start), std::string::npos) << "the retry started over";
}

TEST_F(SlurmEndToEnd, AWorkerStoppedBySignalWhoseTaskIsNotRequeuedRunsAgain) {
  // SIGTERM to the worker alone (it checkpoints and exits): SLURM calls the
  // task failed and does not run it again. Once the settling period shows no
  // requeue is coming, the attempt is lost, not failed, and the cell runs again.
  write_worker_sweep(1, 100);
  auto orchestrator = start_in_background("50");
  ASSERT_TRUE(wait_for("SELECT count(*) FROM summaries WHERE name = 'train/loss' AND last_step >= 5"));
  const std::string job = text("SELECT slurm_job FROM runs");
  auto signalled = testing::run_command({bp::search_path("scancel").string(), "--batch", "--signal=TERM", job},
                                        folder_.path());
  ASSERT_EQ(signalled.exit_status, 0) << signalled.err;
  orchestrator.wait();
  ASSERT_EQ(orchestrator.exit_code(), 0) << testing::read_file(folder_.path() / "orchestrator.err") << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE attempt = 1 AND state = 'lost' AND error LIKE "
                   "'%stopped its worker, which checkpointed, and ended failed without requeueing it%'"),
            1)
      << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE attempt = 2 AND state = 'succeeded'"), 1) << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 1);
}

TEST_F(SlurmEndToEnd, AFailingTaskIsRetriedThenRecordedWithItsError) {
  write_worker_sweep(2, 20, "retries: 1\n");
  auto result = headroom({"run", "s.yaml", "--trainer", testing::test_worker_binary(), "--quiet"},
                         {{"HEADROOM_TEST_WORKER", "2=crash"}});
  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'failed'"), 1);
  // Two attempts of the crashing cell, each a SLURM task that FAILED with exit 1.
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'failed' AND exit_code = 1 AND error LIKE "
                   "'SLURM task %ended failed%crashing at step%'"),
            2);
}

TEST_F(SlurmEndToEnd, CancelScancelsTheTasksAndTheirCellsStayCancelled) {
  write_worker_sweep(2, 400);
  auto orchestrator = start_in_background("50");
  ASSERT_TRUE(wait_for("SELECT count(*) FROM runs WHERE state = 'running'"));
  auto cancel = headroom({"cancel", "s"});
  ASSERT_EQ(cancel.exit_status, 0) << cancel.err;
  orchestrator.wait();
  EXPECT_EQ(orchestrator.exit_code(), 0) << testing::read_file(folder_.path() / "orchestrator.err");
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'cancelled'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'cancelled'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state IN ('starting', 'running')"), 0);
}

TEST_F(SlurmEndToEnd, ATaskCancelledInSlurmItselfIsNotSubmittedAgainUntilResumed) {
  write_worker_sweep(2, 100);
  auto orchestrator = start_in_background("50");
  ASSERT_TRUE(wait_for("SELECT count(*) FROM runs WHERE state = 'running' AND cell_id = "
                       "(SELECT cell_id FROM cell_parameters WHERE name = 'seed' AND value = 1)"));
  const std::string job = text("SELECT r.slurm_job FROM runs r JOIN cell_parameters p ON p.cell_id = r.cell_id "
                               "WHERE p.name = 'seed' AND p.value = 1");
  auto cancelled = testing::run_command({bp::search_path("scancel").string(), job}, folder_.path());
  ASSERT_EQ(cancelled.exit_status, 0) << cancelled.err;
  orchestrator.wait();
  EXPECT_EQ(orchestrator.exit_code(), 0) << testing::read_file(folder_.path() / "orchestrator.err") << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 2) << "the cancelled cell went out again" << attempts();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'cancelled'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'pending'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 1);
}

TEST_F(SlurmEndToEnd, AnOrchestratorKilledWhileAnArrayRunsIsResumedWithoutSubmittingTwice) {
  write_worker_sweep(3, 40);
  auto orchestrator = start_in_background("50", {"-j", "1"});
  ASSERT_TRUE(wait_for("SELECT count(*) FROM runs WHERE state = 'running'"));
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();
  // The array keeps running in SLURM; the next orchestrator adopts it.
  auto resumed = headroom({"resume", "s", "--trainer", testing::test_worker_binary(), "--quiet"},
                          {{"HEADROOM_TEST_WORKER_STEP_MS", "50"}});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 3) << "no cell was submitted twice";
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'train/loss' AND last_step = 40"), 3);
  EXPECT_EQ(spans().size(), 3u);
}

TEST_F(SlurmEndToEnd, AnArrayLargerThanItsThrottleRunsEveryCellAndNeverMoreAtOnce) {
  write_worker_sweep(4, 10, "slurm: {throttle: 1}\n");
  auto result = headroom({"run", "s.yaml", "--trainer", testing::test_worker_binary(), "--quiet"},
                         {{"HEADROOM_TEST_WORKER_STEP_MS", "50"}});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 4);
  auto all = spans();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& [a, span_a] : all) {
    for (const auto& [b, span_b] : all) {
      if (a < b) {
        EXPECT_TRUE(span_a.second <= span_b.first || span_b.second <= span_a.first) << a << " overlaps " << b;
      }
    }
  }
}

}  // namespace
}  // namespace headroom
