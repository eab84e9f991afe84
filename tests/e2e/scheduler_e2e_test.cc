// The scheduler through the real CLI with headroom-test-worker standing in for
// the trainer: GPU assignment from a fake nvidia-smi, retries with back-off,
// hang detection, timeouts that escalate to SIGKILL, the sweep lock, and
// adopting a worker whose pid never reached the database.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using testing::TemporaryFolder;

const char* kFourGpus =
    "0, GPU-aaaa0000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 0\n"
    "1, GPU-bbbb0000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 0\n"
    "2, GPU-cccc0000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 0\n"
    "3, GPU-dddd0000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 0\n";

struct WorkerSpan {
  double start = 0, end = 0;
  std::string gpus, threads;
};

class SchedulerEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(folder_.path() / "bin");
    environment_["PATH"] = (folder_.path() / "bin").string() + ":" + std::getenv("PATH");
    environment_["HEADROOM_TEST_WORKER_LOG"] = (folder_.path() / "workers.log").string();
  }

  // A sweep of `seeds` cells (seed 1..seeds) run by the test worker.
  std::string write_sweep(int seeds, int steps = 20, const std::string& extra = "") {
    std::string values;
    for (int i = 1; i <= seeds; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
    return folder_.write("s.yaml", "name: s\n" + extra + "base: {steps: " + std::to_string(steps) +
                                       "}\nparameters:\n  seed: {values: [" + values + "]}\n");
  }

  void fake_gpus(const std::string& csv) {
    std::string path = folder_.write("bin/nvidia-smi", "#!/bin/sh\ncat <<'EOF'\n" + csv + "EOF\n");
    fs::permissions(path, fs::perms::owner_all);
  }

  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path(), environment_);
  }

  testing::CommandResult run(std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"run", (folder_.path() / "s.yaml").string(), "--trainer",
                                          testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return headroom(arguments);
  }

  // `headroom run` of s.yaml in the background (20 ms per worker step), once
  // its first worker has started.
  bp::child start_in_background(std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"HEADROOM_TEST_WORKER_STEP_MS=20",
                                          "HEADROOM_TEST_WORKER_LOG=" + environment_["HEADROOM_TEST_WORKER_LOG"],
                                          testing::headroom_binary(), "run", (folder_.path() / "s.yaml").string(),
                                          "--trainer", testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    bp::child orchestrator(bp::search_path("env"), arguments, bp::start_dir = folder_.path().string(),
                           bp::std_out > bp::null, bp::std_err > bp::null);
    for (int i = 0; i < 200 && !fs::exists(folder_.path() / "workers.log"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(fs::exists(folder_.path() / "workers.log")) << "no worker started";
    return orchestrator;
  }

  // Worker start/end lines by run folder.
  std::map<std::string, WorkerSpan> spans() {
    std::map<std::string, WorkerSpan> result;
    std::istringstream log(testing::read_file(folder_.path() / "workers.log"));
    for (std::string kind, dir, gpus, threads; log >> kind;) {
      double time = 0;
      log >> time >> dir >> gpus >> threads;
      auto& span = result[dir];
      (kind == "start" ? span.start : span.end) = time;
      span.gpus = gpus;
      span.threads = threads;
    }
    return result;
  }

  // Most workers alive at once on each CUDA_VISIBLE_DEVICES value.
  static std::map<std::string, int> peak_per_gpu(const std::map<std::string, WorkerSpan>& spans) {
    std::map<std::string, int> peak;
    for (const auto& [dir, span] : spans) {
      int overlapping = 0;
      for (const auto& [other_dir, other] : spans) {
        overlapping += other.gpus == span.gpus && other.start <= span.start && span.start < other.end;
      }
      peak[span.gpus] = std::max(peak[span.gpus], overlapping);
    }
    return peak;
  }

  int64_t scalar(const std::string& sql) {
    sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    EXPECT_TRUE(statement.step()) << sql;
    return statement.integer(0);
  }

  TemporaryFolder folder_;
  std::map<std::string, std::string> environment_;
};

TEST_F(SchedulerEndToEnd, WithoutGpusWorkersGetNoneAndTheirThreadCount) {
  write_sweep(3);
  auto result = run({"--jobs", "1"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto all = spans();
  ASSERT_EQ(all.size(), 3u);
  for (const auto& [dir, span] : all) {
    EXPECT_EQ(span.gpus, "[]") << dir;  // CUDA_VISIBLE_DEVICES set and empty
    EXPECT_EQ(span.threads, "1");
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE device = 'cpu'"), 3);
}

TEST_F(SchedulerEndToEnd, FourGpusEachWorkerGetsOneByUuidSpreadOverTheGpus) {
  fake_gpus(kFourGpus);
  write_sweep(4, 40);
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "10";
  auto result = run({"--jobs", "2"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto all = spans();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& [dir, span] : all) EXPECT_EQ(span.gpus.substr(0, 5), "[GPU-") << dir;
  // Two at a time, always on different GPUs (least loaded first).
  for (const auto& [gpu, peak] : peak_per_gpu(all)) EXPECT_EQ(peak, 1) << gpu;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE device LIKE 'gpu:_ (cuda:0)'"), 4);
}

TEST_F(SchedulerEndToEnd, OneGpuSharedByPerGpuWorkersAndNoMore) {
  fake_gpus("0, GPU-one00000-0000-0000-0000-000000000000, Tesla T4, 15360, 0\n");
  write_sweep(4, 40);
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "10";
  ASSERT_EQ(run({"--per-gpu", "2"}).exit_status, 0);
  EXPECT_EQ(peak_per_gpu(spans())["[GPU-one00000-0000-0000-0000-000000000000]"], 2);

  // One per GPU: the default --jobs follows the GPU slots, so they run one at a time.
  fs::remove(folder_.path() / "workers.log");
  write_sweep(3, 40, "description: again\n");
  ASSERT_EQ(run({"--extend"}).exit_status, 0);
  for (const auto& [gpu, peak] : peak_per_gpu(spans())) EXPECT_EQ(peak, 1) << gpu;
}

TEST_F(SchedulerEndToEnd, CellsAskingForTwoGpusGetTwoThatNoOtherWorkerShares) {
  fake_gpus(kFourGpus);
  folder_.write("s.yaml", "name: s\nbase: {steps: 40, gpus: 2}\nparameters:\n  seed: {values: [1, 2, 3, 4]}\n");
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "10";
  auto result = run({"--jobs", "2"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto all = spans();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& [dir, span] : all) {
    ASSERT_EQ(std::count(span.gpus.begin(), span.gpus.end(), ','), 1) << span.gpus;
    // Workers alive at the same time hold disjoint GPUs.
    for (const auto& [other_dir, other] : all) {
      if (other_dir == dir || !(other.start <= span.start && span.start < other.end)) continue;
      for (const auto& uuid : {span.gpus.substr(1, 40), span.gpus.substr(42, 40)}) {
        EXPECT_EQ(other.gpus.find(uuid), std::string::npos) << span.gpus << " overlaps " << other.gpus;
      }
    }
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE device LIKE 'gpu:_,_ %'"), 4);
}

TEST_F(SchedulerEndToEnd, MemoryEstimatesPackAGpuBeyondPerGpuAndNoFurther) {
  // 10 GB free: two 4 GB cells share it although --per-gpu is 1.
  fake_gpus("0, GPU-one00000-0000-0000-0000-000000000000, Tesla T4, 16000, 5760\n");
  folder_.write("s.yaml", "name: s\nbase: {steps: 40, gpu_memory_gb: 4}\nparameters:\n  seed: {values: [1, 2, 3, 4]}\n");
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "10";
  ASSERT_EQ(run({"--jobs", "2"}).exit_status, 0);
  EXPECT_EQ(peak_per_gpu(spans())["[GPU-one00000-0000-0000-0000-000000000000]"], 2);

  // 6 GB cells: only one fits at a time, although --per-gpu would allow two.
  fs::remove(folder_.path() / "workers.log");
  folder_.write("t.yaml", "name: t\nbase: {steps: 40, gpu_memory_gb: 6}\nparameters:\n  seed: {values: [1, 2, 3]}\n");
  auto result = headroom({"run", (folder_.path() / "t.yaml").string(), "--trainer", testing::test_worker_binary(),
                          "--quiet", "--jobs", "2", "--per-gpu", "2"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(peak_per_gpu(spans())["[GPU-one00000-0000-0000-0000-000000000000]"], 1);
}

TEST_F(SchedulerEndToEnd, ACellThatCanNeverFitIsRefusedBeforeAnythingStarts) {
  fake_gpus(kFourGpus);
  folder_.write("s.yaml", "name: s\nbase: {gpus: 8}\nparameters:\n  seed: {values: [1]}\n");
  auto many = run({});
  EXPECT_EQ(many.exit_status, 2);
  EXPECT_NE(many.err.find("a cell asks for 8 GPUs but this sweep has 4 GPUs"), std::string::npos) << many.err;
  folder_.write("s.yaml", "name: s\nbase: {gpu_memory_gb: 100}\nparameters:\n  seed: {values: [1]}\n");
  auto large = run({});
  EXPECT_EQ(large.exit_status, 2);
  EXPECT_NE(large.err.find("a cell asks for 1 GPU with 100 GB free each but this sweep has 4 GPUs, 0 of them with "
                           "that much free"),
            std::string::npos)
      << large.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
}

TEST_F(SchedulerEndToEnd, PriorityComesBeforeCost) {
  // Cell 3 is the cheapest (fewest steps) but has the highest priority.
  folder_.write("s.yaml",
                "name: s\nbase: {steps: 30}\nparameters:\n  seed:\n    values: [1, 2, 3]\n    overrides:\n"
                "      2: {steps: 60}\n      3: {steps: 10, priority: 5}\n");
  ASSERT_EQ(run({"--jobs", "1"}).exit_status, 0);
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [dir, span] : spans()) order.push_back({span.start, dir});
  std::sort(order.begin(), order.end());
  ASSERT_EQ(order.size(), 3u);
  auto seed_of = [&](const std::string& dir) {
    return scalar("SELECT c.parameters ->> '$.seed' FROM runs r JOIN cells c ON c.id = r.cell_id WHERE r.run_dir = '" +
                  dir + "'");
  };
  EXPECT_EQ(seed_of(order[0].second), 3);  // priority
  EXPECT_EQ(seed_of(order[1].second), 2);  // then the costliest
  EXPECT_EQ(seed_of(order[2].second), 1);
}

TEST_F(SchedulerEndToEnd, GpusFlagAndCudaVisibleDevicesNarrowTheChoice) {
  fake_gpus(kFourGpus);
  write_sweep(2);
  environment_["CUDA_VISIBLE_DEVICES"] = "1,3";
  ASSERT_EQ(run({"--gpus", "3", "--jobs", "1"}).exit_status, 0);
  for (const auto& [dir, span] : spans()) EXPECT_EQ(span.gpus, "[GPU-dddd0000-0000-0000-0000-000000000000]");
  auto hidden = run({"--gpus", "0"});
  EXPECT_EQ(hidden.exit_status, 2);
  EXPECT_NE(hidden.err.find("GPU 0 is not visible (visible: 1, 3)"), std::string::npos) << hidden.err;
}

TEST_F(SchedulerEndToEnd, ThreadsAreNeverOversubscribed) {
  write_sweep(1);
  auto result = run({"--jobs", "64", "--threads", "2"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("--jobs 64 x --threads 2 exceeds the"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
}

TEST_F(SchedulerEndToEnd, ACrashIsRetriedAfterABackOffAndTheCellSucceeds) {
  write_sweep(2, 20, "retries: 2\n");
  environment_["HEADROOM_TEST_WORKER"] = "1=crash_once";
  auto result = run({"--jobs", "1"});
  ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'failed' AND exit_code = 1 AND "
                   "error LIKE '%crashing at step 11 as told%'"),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
  // The retry waited out the back-off (2 s) after the crash.
  EXPECT_GE(scalar("SELECT CAST(1000 * (b.started_at - a.ended_at) AS INTEGER) FROM runs a JOIN runs b "
                   "ON a.cell_id = b.cell_id AND b.attempt = 2 AND a.attempt = 1"),
            1900);
}

TEST_F(SchedulerEndToEnd, AHungWorkerIsStoppedAndCountsAsACrash) {
  write_sweep(1);
  environment_["HEADROOM_TEST_WORKER"] = "1=hang";
  auto result = run({"--hang-timeout", "1", "--stop-grace", "1"});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'failed' AND error LIKE 'hung: no event for 1 s%'"), 1);
}

TEST_F(SchedulerEndToEnd, ATimeoutEscalatesToSigkillForAWorkerIgnoringSigterm) {
  write_sweep(1, 20, "timeout: 1\n");
  environment_["HEADROOM_TEST_WORKER"] = "1=ignore_term";
  auto started = std::chrono::steady_clock::now();
  auto result = run({"--stop-grace", "1"});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'timeout' AND signal = 9"), 1);
}

TEST_F(SchedulerEndToEnd, TwoOrchestratorsCannotDriveOneSweepAndTheLockDiesWithItsHolder) {
  write_sweep(2, 200);
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "20";
  bp::child first = start_in_background({"--jobs", "1"});
  auto second = run({"--jobs", "1"});
  EXPECT_EQ(second.exit_status, 1);
  EXPECT_NE(second.err.find("sweep 's' is being run by another orchestrator (pid " + std::to_string(first.id()) + ")"),
            std::string::npos)
      << second.err;

  ::kill(first.id(), SIGKILL);
  first.wait();
  auto resumed = run({"--jobs", "1"});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
}

TEST_F(SchedulerEndToEnd, AWorkerWhosePidWasNeverRecordedIsAdoptedNotStartedTwice) {
  write_sweep(1, 150);
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "20";
  bp::child first = start_in_background({});
  ::kill(first.id(), SIGKILL);
  first.wait();
  // The worst moment: the attempt row exists, its worker runs, its pid is not recorded.
  {
    sqlite::Connection connection((folder_.path() / "headroom.db").string(),
                                  sqlite::Connection::Mode::read_write_create);
    connection.execute("UPDATE runs SET state = 'starting', pid = NULL");
  }
  auto resumed = run({});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 1);  // adopted, not started again
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded' AND pid > 0"), 1);
  EXPECT_EQ(spans().size(), 1u);
}

TEST_F(SchedulerEndToEnd, CancelStopsASweepAndResumeIncludingCancelledFinishesIt) {
  write_sweep(3, 150);
  bp::child orchestrator = start_in_background({"--jobs", "1"});
  EXPECT_EQ(headroom({"cancel", "s", "ffffffffffff"}).exit_status, 2);  // no such cell
  auto cancelled = headroom({"cancel", "s"});
  ASSERT_EQ(cancelled.exit_status, 0) << cancelled.err;
  EXPECT_NE(cancelled.out.find("1 running worker asked to stop"), std::string::npos) << cancelled.out;
  orchestrator.wait();  // it ends on its own: nothing is left to run
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'cancelled'"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'cancelled'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 1);

  auto plain = headroom({"resume", "s", "--trainer", testing::test_worker_binary(), "--quiet"});
  EXPECT_EQ(plain.exit_status, 0) << plain.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 1);  // cancelled cells stay cancelled
  auto resumed = headroom({"resume", "s", "--include-cancelled", "--trainer", testing::test_worker_binary(),
                           "--json"});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 3);
  // --json: one object per line, the last one the summary.
  std::istringstream lines(resumed.out);
  std::string line, last;
  int progress_lines = 0;
  while (std::getline(lines, line)) {
    auto event = nlohmann::json::parse(line);
    progress_lines += event["event"] == "progress";
    last = line;
  }
  EXPECT_GT(progress_lines, 0);
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["succeeded"], 3);
  EXPECT_EQ(headroom({"resume", "nosuch"}).exit_status, 2);
}

TEST_F(SchedulerEndToEnd, KillNineAtRandomMomentsLosesAndDuplicatesNothing) {
  // 16 short cells, 2 at a time; the orchestrator is killed at a random
  // moment (fixed seed), then started again, until the sweep finishes.
  write_sweep(16, 30, "retries: 5\n");
  std::vector<std::string> arguments = {"run", (folder_.path() / "s.yaml").string(), "--trainer",
                                        testing::test_worker_binary(), "--quiet", "--jobs", "2"};
  std::mt19937 random(20261128);
  std::uniform_int_distribution<int> delay_ms(0, 400);
  int kills = 0;
  for (int round = 0; round < 40; ++round) {
    bp::child orchestrator(bp::search_path("env"), "HEADROOM_TEST_WORKER_STEP_MS=10", testing::headroom_binary(),
                           arguments, bp::start_dir = folder_.path().string(), bp::std_out > bp::null,
                           bp::std_err > bp::null);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    if (!orchestrator.running()) {
      orchestrator.wait();
      if (orchestrator.exit_code() == 0) break;  // finished before the kill
      continue;
    }
    ::kill(orchestrator.id(), SIGKILL);
    orchestrator.wait();
    ++kills;
  }
  EXPECT_GE(kills, 5) << "the kills should land while the sweep runs";
  auto last = run({"--jobs", "2"});  // whatever is left, without interference
  ASSERT_EQ(last.exit_status, 0) << last.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 16);
  // Exactly one succeeded attempt per cell, and nothing left running.
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'succeeded'"), 16);
  EXPECT_EQ(scalar("SELECT count(DISTINCT cell_id) FROM runs WHERE state = 'succeeded'"), 16);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state IN ('starting', 'running')"), 0);
  // Every point every succeeded worker wrote: 30 lines x 2 values + 1 evaluation.
  EXPECT_EQ(scalar("SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.state = 'succeeded'"),
            16 * (30 * 2 + 1));
  sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
  sqlite::Statement check(connection.handle(), "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
}

TEST_F(SchedulerEndToEnd, DetachReturnsAtOnceAndTheSweepFinishesInTheBackground) {
  write_sweep(3, 50);
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "20";
  auto started = std::chrono::steady_clock::now();
  auto detached = run({"--detach", "--jobs", "1"});
  ASSERT_EQ(detached.exit_status, 0) << detached.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  const std::string marker = "log: ";
  auto at = detached.out.find(marker);
  ASSERT_NE(at, std::string::npos) << detached.out;
  fs::path log = detached.out.substr(at + marker.size(), detached.out.find('\n', at) - at - marker.size());
  // A second orchestrator is refused while the background one holds the sweep.
  auto second = run({"--jobs", "1"});
  EXPECT_EQ(second.exit_status, 1);
  bool finished = false;
  for (int i = 0; i < 300 && !finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    finished = testing::read_file(log).find("sweep 's': 3 succeeded") != std::string::npos;
  }
  EXPECT_TRUE(finished) << testing::read_file(log);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 3);
}

TEST_F(SchedulerEndToEnd, CellsThatSetTheirOwnThreadsShareTheCoresWithoutOversubscribing) {
  // Seeds 1 and 2 ask for 2 threads (all of this machine's cores in CI), 3 and 4 for 1.
  folder_.write("s.yaml", "name: s\nbase: {steps: 40}\nparameters:\n  seed:\n    values: [1, 2, 3, 4]\n"
                          "    overrides:\n      1: {threads: 2}\n      2: {threads: 2}\n");
  environment_["HEADROOM_TEST_WORKER_STEP_MS"] = "10";
  auto result = run({"--jobs", "2"});
  if (result.exit_status == 2) {
    // A machine with one usable core cannot run a 2-thread cell: refused before anything runs.
    EXPECT_NE(result.err.find("a cell asks for 2 threads but only 1 CPU cores are usable"), std::string::npos);
    return;
  }
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto all = spans();
  ASSERT_EQ(all.size(), 4u);
  const int cores = int(std::thread::hardware_concurrency());
  for (const auto& [dir, span] : all) {
    int threads_at_start = 0;
    for (const auto& [other_dir, other] : all) {
      if (other.start <= span.start && span.start < other.end) threads_at_start += std::stoi(other.threads);
    }
    EXPECT_LE(threads_at_start, std::max(2, cores)) << dir;
  }
  int two_thread_workers = 0;
  for (const auto& [dir, span] : all) two_thread_workers += span.threads == "2";
  EXPECT_EQ(two_thread_workers, 2);
}

// Ctrl-C in a real terminal (a private tmux server): the question, then
// leaving the workers running or stopping them.
class CtrlC : public SchedulerEndToEnd {
 protected:
  void SetUp() override {
    SchedulerEndToEnd::SetUp();
    ASSERT_FALSE(bp::search_path("tmux").empty()) << "tmux is installed by scripts/setup";
    socket_ = "headroom-ctrl-c-" + std::to_string(::getpid());
    write_sweep(2, 100);
    // The shell ignores SIGINT so that it outlives the orchestrator and records its exit status.
    const std::string command = "trap '' INT; env HEADROOM_TEST_WORKER_STEP_MS=50 HEADROOM_TEST_WORKER_LOG=" +
                                environment_["HEADROOM_TEST_WORKER_LOG"] + " " + testing::headroom_binary() +
                                " run s.yaml --trainer " + testing::test_worker_binary() +
                                " --jobs 2 --quiet; echo \\$? > exit_status; sleep 60";
    auto started = tmux({"new-session", "-d", "-s", "run", "-x", "200", "-y", "30", "-c", folder_.path().string(),
                         "bash -c \"" + command + "\""});
    ASSERT_EQ(started.exit_status, 0) << started.err;
    for (int i = 0; i < 200 && spans().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(spans().size(), 2u) << "both workers should be running";
  }

  void TearDown() override { tmux({"kill-server"}); }

  testing::CommandResult tmux(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {bp::search_path("tmux").string(), "-L", socket_});
    return testing::run_command(arguments, folder_.path());
  }

  // The pane's text once it contains `text` (or after about 10 s).
  std::string wait_for_screen(const std::string& text) {
    std::string screen;
    for (int i = 0; i < 100; ++i) {
      screen = tmux({"capture-pane", "-p", "-J", "-t", "run"}).out;
      if (screen.find(text) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return screen;
  }

  std::string exit_status() {
    for (int i = 0; i < 200 && !fs::exists(folder_.path() / "exit_status"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return testing::read_file(folder_.path() / "exit_status");
  }

  std::string socket_;
};

TEST_F(CtrlC, LeavingTheWorkersLetsThemFinishAndResumeAdoptsThem) {
  ASSERT_EQ(tmux({"send-keys", "-t", "run", "C-c"}).exit_status, 0);
  std::string screen = wait_for_screen("[l]eave");
  EXPECT_NE(screen.find("2 workers are running. [s]top them"), std::string::npos) << screen;
  ASSERT_EQ(tmux({"send-keys", "-t", "run", "l", "Enter"}).exit_status, 0);
  EXPECT_EQ(exit_status(), "130\n");
  screen = wait_for_screen("left 2 workers running");
  EXPECT_NE(screen.find("left 2 workers running; 'headroom resume s' adopts them"), std::string::npos) << screen;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'running'"), 2);

  // The next orchestrator adopts both workers: nothing is started twice.
  auto resumed = headroom({"resume", "s", "--trainer", testing::test_worker_binary(), "--quiet"});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM summaries WHERE name = 'train/loss' AND last_step = 100"), 2);
}

TEST_F(CtrlC, ASecondCtrlCStopsTheWorkersCleanly) {
  ASSERT_EQ(tmux({"send-keys", "-t", "run", "C-c"}).exit_status, 0);
  wait_for_screen("[l]eave");
  ASSERT_EQ(tmux({"send-keys", "-t", "run", "C-c"}).exit_status, 0);
  EXPECT_EQ(exit_status(), "130\n");
  EXPECT_NE(wait_for_screen("stopping").find("headroom: stopping the workers"), std::string::npos);
  // Stopped with SIGTERM, checkpointed, their cells pending for a resume.
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'cancelled'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'pending'"), 2);
  for (const auto& [dir, span] : spans()) EXPECT_GT(span.end, 0) << dir << " still running";
}

}  // namespace
}  // namespace headroom
