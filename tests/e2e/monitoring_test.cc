// Watching a live sweep: `watch` in a real terminal (tmux), `logs -f`, and
// `status` while workers train.
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
namespace bp = boost::process;
using testing::TemporaryFolder;

class Monitoring : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string corpus = testing::write_small_corpus(folder_);
    // Two cells long enough (a few seconds each) to be watched while they train.
    sweep_ = folder_.write("live.yaml", R"(name: live
metric: {name: eval/accuracy, goal: maximize}
base:
  corpus: )" + corpus + R"(
  d_model: 16
  layers: 1
  seq_len: 16
  batch_size: 8
  steps: 2000
  eval_every: 500
  log_every: 20
  eval_batches: 1
  eval_batch_size: 16
  precision: fp32
parameters:
  heads: {values: [1, 4]}
)");
  }

  void TearDown() override {
    if (orchestrator_.valid() && orchestrator_.running()) {
      ::kill(orchestrator_.id(), SIGTERM);
      orchestrator_.wait();
    }
  }

  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path());
  }

  void start_sweep() {
    orchestrator_ = bp::child(bp::exe = testing::headroom_binary(),
                              bp::args = std::vector<std::string>{"run", sweep_, "--jobs", "1", "--quiet"},
                              bp::start_dir = folder_.path().string(), bp::std_out > bp::null,
                              bp::std_err > bp::null);
  }

  // Polls `sql` until it returns a positive count (or about 60 s pass).
  bool wait_for(const std::string& sql) {
    for (int i = 0; i < 600; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!fs::exists(folder_.path() / "headroom.db")) continue;
      try {
        sqlite::Connection connection((folder_.path() / "headroom.db").string(), sqlite::Connection::Mode::read_only);
        sqlite::Statement statement(connection.handle(), sql);
        if (statement.step() && statement.integer(0) > 0) return true;
      } catch (const sqlite::SqliteError&) {
        // The schema may not exist yet.
      }
    }
    return false;
  }

  static testing::CommandResult tmux(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), bp::search_path("tmux").string());
    return testing::run_command(arguments, fs::current_path());
  }

  TemporaryFolder folder_;
  std::string sweep_;
  bp::child orchestrator_;
};

TEST_F(Monitoring, WatchShowsRunningRunsInARealTerminalAndQuitsOnQ) {
  ASSERT_FALSE(bp::search_path("tmux").empty()) << "tmux is installed by scripts/setup";
  start_sweep();
  ASSERT_TRUE(wait_for("SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id "
                       "WHERE r.state = 'running' AND s.name = 'train/tokens_per_s'"));
  const std::string session = "headroom-watch-" + std::to_string(::getpid());
  // A private tmux server (-L) so the test never touches a user's sessions.
  const std::string socket = session;
  // NO_COLOR takes the colour away, not the live view.
  auto started = tmux({"-L", socket, "new-session", "-d", "-s", session, "-x", "160", "-y", "30", "-c",
                       folder_.path().string(), "env NO_COLOR=1 " + testing::headroom_binary() + " watch live --interval 0.3"});
  ASSERT_EQ(started.exit_status, 0) << started.err;
  std::string screen;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    screen = tmux({"-L", socket, "capture-pane", "-p", "-t", session}).out;
    if (screen.find("tok/s") != std::string::npos) break;
  }
  EXPECT_NE(screen.find("live: running (pid"), std::string::npos) << screen;
  EXPECT_NE(screen.find("0/2 cells"), std::string::npos) << screen;
  // Running runs sit under a header row.
  EXPECT_NE(screen.find("run  progress      step"), std::string::npos) << screen;
  EXPECT_NE(screen.find("loss"), std::string::npos) << screen;
  EXPECT_NE(screen.find("/2000"), std::string::npos) << screen;
  EXPECT_NE(screen.find(" cpu "), std::string::npos) << screen;
  EXPECT_NE(screen.find("press q to quit"), std::string::npos) << screen;

  ASSERT_EQ(tmux({"-L", socket, "send-keys", "-t", session, "q"}).exit_status, 0);
  bool quit = false;
  for (int i = 0; i < 50 && !quit; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    quit = tmux({"-L", socket, "has-session", "-t", session}).exit_status != 0;
  }
  EXPECT_TRUE(quit) << "watch did not quit on 'q'";
  if (!quit) tmux({"-L", socket, "kill-server"});
}

// Ctrl-C on a terminal asks once; one key (no Enter) answers it.
TEST_F(Monitoring, CtrlCAsksAndOneKeyLeavesTheWorkersRunning) {
  ASSERT_FALSE(bp::search_path("tmux").empty()) << "tmux is installed by scripts/setup";
  const std::string session = "headroom-ask-" + std::to_string(::getpid());
  const std::string socket = session;
  // The shell stays after headroom exits, so its last words can be read.
  auto started = tmux({"-L", socket, "new-session", "-d", "-s", session, "-x", "200", "-y", "30", "-c",
                       folder_.path().string(),
                       testing::headroom_binary() + " run " + sweep_ + " --jobs 1; echo EXITED $?; sleep 60"});
  ASSERT_EQ(started.exit_status, 0) << started.err;
  ASSERT_TRUE(wait_for("SELECT count(*) FROM runs WHERE state = 'running' AND pid IS NOT NULL"));
  auto screen_shows = [&](const std::string& text) {
    for (int i = 0; i < 100; ++i) {
      if (tmux({"-L", socket, "capture-pane", "-p", "-t", session}).out.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_EQ(tmux({"-L", socket, "send-keys", "-t", session, "C-c"}).exit_status, 0);
  EXPECT_TRUE(screen_shows("[l]eave")) << tmux({"-L", socket, "capture-pane", "-p", "-t", session}).out;
  ASSERT_EQ(tmux({"-L", socket, "send-keys", "-t", session, "l"}).exit_status, 0);  // no Enter
  EXPECT_TRUE(screen_shows("EXITED 130")) << tmux({"-L", socket, "capture-pane", "-p", "-t", session}).out;
  const std::string screen = tmux({"-L", socket, "capture-pane", "-p", "-t", session}).out;
  EXPECT_NE(screen.find("'headroom resume live' adopts"), std::string::npos) << screen;
  tmux({"-L", socket, "kill-server"});

  // The worker was left running; cancel stops it.
  auto pid = headroom({"query", "SELECT pid FROM runs WHERE state = 'running'", "-f", "csv"});
  ASSERT_EQ(pid.exit_status, 0) << pid.err;
  const pid_t worker = pid_t(std::stol(pid.out.substr(pid.out.find('\n') + 1)));
  EXPECT_EQ(::kill(worker, 0), 0) << "the worker should still run";
  EXPECT_EQ(headroom({"cancel", "live"}).exit_status, 0);
  for (int i = 0; i < 300 && ::kill(worker, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(::kill(worker, 0), 0) << "cancel should stop the left worker";
}

TEST_F(Monitoring, PlainWatchLogsFollowAndStatusDuringARun) {
  start_sweep();
  ASSERT_TRUE(wait_for("SELECT count(*) FROM runs WHERE state = 'running' AND id = 1"));
  // No terminal: plain frames without escape codes.
  auto once = headroom({"watch", "--once"});
  ASSERT_EQ(once.exit_status, 0) << once.err;
  EXPECT_NE(once.out.find("live: running"), std::string::npos) << once.out;
  EXPECT_EQ(once.out.find('\x1b'), std::string::npos);

  auto status = headroom({"status", "live"});
  EXPECT_NE(status.out.find("  run  progress"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("\n  1    ["), std::string::npos) << status.out;

  // Follows run 1 until it ends, then returns with everything it printed.
  auto logs = headroom({"logs", "1", "-f"});
  ASSERT_EQ(logs.exit_status, 0) << logs.err;
  EXPECT_NE(logs.out.find("step 20 |"), std::string::npos);
  EXPECT_NE(logs.out.find("eval step 2000 |"), std::string::npos) << logs.out.substr(logs.out.size() - 300);
  EXPECT_NE(logs.err.find("run 1 ended: succeeded"), std::string::npos) << logs.err;

  orchestrator_.wait();
  EXPECT_EQ(orchestrator_.exit_code(), 0);
  auto finished = headroom({"status", "live"});
  EXPECT_NE(finished.out.find("live: finished"), std::string::npos) << finished.out;
  auto plain = headroom({"watch", "live"});  // returns at once: nothing is running
  EXPECT_EQ(plain.exit_status, 0);
  EXPECT_NE(plain.out.find("2/2 cells: 2 succeeded"), std::string::npos) << plain.out;
}

}  // namespace
}  // namespace headroom
