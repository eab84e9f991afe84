#pragma once
// Starts, watches and stops worker processes on this machine (Boost.Process).
// Each worker runs in its own process group so that stopping it also stops
// anything it started; arguments are passed as an argv vector, never through
// a shell. With a supervisor (headroom-supervise, supervise_main.cc), a
// worker launched with an exit_status_path runs under it, the group's
// leader, which records how the worker ended in its run folder
// (exit_status.h) for an orchestrator that is not there to see it, and
// passes our signals on to the group. Not thread-safe.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/executors/exit_status.h"

namespace headroom {

struct LaunchRequest {
  std::vector<std::string> argv;  // argv[0] is the executable's path
  std::map<std::string, std::string> environment;  // added to (or replacing in) ours
  std::string stdout_path, stderr_path;            // created or truncated
  // Where the supervisor records how the worker ended; empty: the worker is
  // started directly, without one (headroom-train, whose end event says it).
  std::string exit_status_path;
};

// True when the process's command line has `--run-dir RUN_DIR` or its
// environment HEADROOM_RUN_DIR=RUN_DIR (every worker is started with it).
bool names_run_dir(int64_t pid, const std::string& run_dir);
// True when `pid` is alive and names `run_dir` (guards against a pid
// recycled after a crash).
bool is_worker_of(int64_t pid, const std::string& run_dir);
// Every live process that names `run_dir` (names_run_dir), by /proc: a
// worker, a program's supervisor, and what they started.
std::vector<int64_t> processes_naming(const std::string& run_dir);
// Asks a worker to stop: SIGTERM to its pid, which its supervisor passes on
// to the worker's process group (a worker without one, headroom-train or
// one an older headroom started, gets it alone). False when the signal
// could not be sent.
bool ask_worker_to_stop(int64_t pid);
// SIGKILL to what is left of a worker whose supervisor `pid` is gone: its
// process group, when a member still names `run_dir`.
void stop_leftovers_of(int64_t pid, const std::string& run_dir);

class LocalExecutor {
 public:
  // Blocks SIGCHLD in the calling thread (restored by the destructor) so that
  // wait_for_exit can sleep until a worker ends. `supervisor`: the
  // headroom-supervise executable; empty starts workers without one (then
  // nothing records an exit this orchestrator does not see).
  explicit LocalExecutor(std::string supervisor = "");
  ~LocalExecutor();  // stops nothing: workers outlive an orchestrator that exits early

  // Returns as soon as one of our workers ends (SIGCHLD), a signal handler
  // runs (Ctrl-C), or `timeout` passes, whichever is first.
  void wait_for_exit(std::chrono::milliseconds timeout);

  // Starts a process (under the supervisor when the request names an exit
  // status path); returns its pid (also its process group id): the
  // supervisor's when there is one.
  Result<pid_t> start(const LaunchRequest& request);
  // Collects processes that have ended since the last call (non-blocking).
  std::vector<std::pair<pid_t, ProcessExit>> reap();
  // Sends SIGTERM to the worker's process group now (through the supervisor,
  // which passes it on once) and SIGKILL to the group once `grace` has passed
  // (checked by reap()).
  void stop(pid_t pid, std::chrono::milliseconds grace);
  size_t running() const;

 private:
  struct Worker;
  std::string supervisor_;
  std::map<pid_t, std::unique_ptr<Worker>> workers_;
  sigset_t saved_mask_;
};

}  // namespace headroom
