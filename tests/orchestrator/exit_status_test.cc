// The record headroom-supervise leaves of how a worker ended
// (executors/exit_status.h), and the supervisor itself: it passes on the
// program's exit, or the signal that killed it, and records the same.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include "common/protocol.h"
#include "orchestrator/executors/exit_status.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;

// Starts the child as the leader of a process group of its own, as the local executor does.
struct OwnGroup : bp::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
  }
};

TEST(ExitStatus, ReadsBackOnlyWhatItWrites) {
  ProcessExit exited;
  exited.exit_code = 3;
  ProcessExit killed;
  killed.signal = 9;
  EXPECT_EQ(exit_status_text(exited), "exit 3\n");
  EXPECT_EQ(exit_status_text(killed), "signal 9\n");
  for (const auto& exit : {exited, killed}) {
    auto read = parse_exit_status(exit_status_text(exit));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->exit_code, exit.exit_code);
    EXPECT_EQ(read->signal, exit.signal);
  }
  ProcessExit unstarted;
  unstarted.start_error = ENOEXEC;
  EXPECT_EQ(parse_exit_status(exit_status_text(unstarted))->start_error, ENOEXEC);
  ProcessExit stopped = exited, stopped_and_killed = killed;
  stopped.stop_signal = stopped_and_killed.stop_signal = SIGTERM;
  EXPECT_EQ(exit_status_text(stopped), "exit 3 after signal 15\n");
  EXPECT_EQ(exit_status_text(stopped_and_killed), "signal 9 after signal 15\n");
  for (const auto& exit : {stopped, stopped_and_killed}) {
    auto read = parse_exit_status(exit_status_text(exit));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->exit_code, exit.exit_code);
    EXPECT_EQ(read->signal, exit.signal);
    EXPECT_EQ(read->stop_signal, SIGTERM);
  }
  EXPECT_FALSE(parse_exit_status("exit 0\n")->stop_signal);
  for (const char* bad : {"", "exit 3", "exit 256\n", "exit -1\n", "signal 0\n", "exit 3 \n", "stop 3\n", "exit x\n",
                          "exit 3\nexit 4\n", "unstarted 0\n", "exit 0 after signal 0\n", "exit 0 after signal\n",
                          "exit 0 after signal 15 \n", "unstarted 2 after signal 15\n", "after signal 15\n",
                          "exit 0 after signal 9\n", "exit 0 after signal 015\n", "exit 03\n"}) {
    EXPECT_FALSE(parse_exit_status(bad)) << bad;
  }
  testing::TemporaryFolder folder;
  EXPECT_FALSE(recorded_exit_status(folder.path().string())) << "none written";
  folder.write(std::string(protocol::kExitStatusFile), "exit 0\n");
  ASSERT_TRUE(recorded_exit_status(folder.path().string()));
  EXPECT_EQ(recorded_exit_status(folder.path().string())->exit_code, 0);
}

// The supervisor, started by hand (not leading a process group): the same
// exit as its program, and the same record.
TEST(Supervisor, EndsAsItsProgramAndRecordsHow) {
  testing::TemporaryFolder folder;
  const std::string supervisor = std::string(HEADROOM_BINARY_DIR) + "/headroom-supervise";
  const std::string status = (folder.path() / "exit-status.txt").string();
  const auto run = [&](const std::vector<std::string>& program) {
    std::vector<std::string> arguments = {status};
    arguments.insert(arguments.end(), program.begin(), program.end());
    bp::child child(supervisor, arguments, bp::std_out > bp::null, bp::std_err > bp::null);
    child.wait();
    return child.native_exit_code();
  };
  int wait_status = run({"/bin/sh", "-c", "exit 7"});
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 7);
  EXPECT_EQ(testing::read_file(status), "exit 7\n");

  wait_status = run({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(WIFSIGNALED(wait_status));
  EXPECT_EQ(WTERMSIG(wait_status), SIGTERM);
  EXPECT_EQ(testing::read_file(status), "signal 15\n");

  wait_status = run({(folder.path() / "missing").string()});
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 127) << "a program that cannot start, as a shell says it";
  EXPECT_EQ(testing::read_file(status), "unstarted " + std::to_string(ENOENT) + "\n") << "and recorded as such";
  EXPECT_FALSE(fs::exists(status + ".partial"));
}

// As the executor starts it, the leader of its process group: a SIGTERM sent
// to it reaches the program once, and the program's exit is its own,
// recorded with the stop that came before it.
TEST(Supervisor, PassesASigtermOnToItsGroupOnce) {
  testing::TemporaryFolder folder;
  const std::string supervisor = std::string(HEADROOM_BINARY_DIR) + "/headroom-supervise";
  const fs::path count = folder.path() / "count", ready = folder.path() / "ready", done = folder.path() / "done";
  // Counts SIGTERMs until the test says done; exits 3.
  const std::string script = "n=0; trap 'n=$((n+1)); echo $n > " + count.string() + "' TERM; touch " + ready.string() +
                             "; while [ ! -e " + done.string() + " ]; do sleep 0.05; done; exit 3";
  bp::child child(supervisor, std::vector<std::string>{(folder.path() / "exit-status.txt").string(), "/bin/sh", "-c", script},
                  OwnGroup{});
  for (int i = 0; i < 1000 && !fs::exists(ready); ++i) ::usleep(10000);
  ASSERT_TRUE(fs::exists(ready));
  ::kill(child.id(), SIGTERM);
  for (int i = 0; i < 1000 && !fs::exists(count); ++i) ::usleep(10000);
  ::usleep(300000);  // a second copy, had one been passed on, would have arrived
  folder.write("done", "");
  child.wait();
  const int wait_status = child.native_exit_code();
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 3);
  EXPECT_EQ(testing::read_file(count), "1\n") << "one SIGTERM, not two";
  EXPECT_EQ(testing::read_file(folder.path() / "exit-status.txt"), "exit 3 after signal 15\n")
      << "its own exit, and that a stop from outside came first";
}

}  // namespace
}  // namespace headroom
