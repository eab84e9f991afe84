#pragma once
// Starts, watches and stops worker processes on this machine (Boost.Process).
// Each worker runs in its own process group so that stopping it also stops
// anything it started; arguments are passed as an argv vector, never through
// a shell. Not thread-safe.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace headroom {

struct LaunchRequest {
  std::vector<std::string> argv;  // argv[0] is the executable's path
  std::map<std::string, std::string> environment;  // added to (or replacing in) ours
  std::string stdout_path, stderr_path;            // created or truncated
};

// How a process ended, from waitpid's status.
struct ProcessExit {
  std::optional<int> exit_code;  // set when it exited
  std::optional<int> signal;     // set when a signal killed it
};

// True when the process's command line has `--run-dir RUN_DIR` or its
// environment HEADROOM_RUN_DIR=RUN_DIR (every worker is started with it).
bool names_run_dir(int64_t pid, const std::string& run_dir);
// True when `pid` is alive and names `run_dir` (guards against a pid
// recycled after a crash).
bool is_worker_of(int64_t pid, const std::string& run_dir);

class LocalExecutor {
 public:
  // Blocks SIGCHLD in the calling thread (restored by the destructor) so that
  // wait_for_exit can sleep until a worker ends.
  LocalExecutor();
  ~LocalExecutor();  // stops nothing: workers outlive an orchestrator that exits early

  // Returns as soon as one of our workers ends (SIGCHLD), a signal handler
  // runs (Ctrl-C), or `timeout` passes, whichever is first.
  void wait_for_exit(std::chrono::milliseconds timeout);

  // Starts a process; returns its pid (also its process group id).
  Result<pid_t> start(const LaunchRequest& request);
  // Collects processes that have ended since the last call (non-blocking).
  std::vector<std::pair<pid_t, ProcessExit>> reap();
  // Sends SIGTERM to the worker's process group now and SIGKILL once `grace`
  // has passed (checked by reap()).
  void stop(pid_t pid, std::chrono::milliseconds grace);
  size_t running() const;

 private:
  struct Worker;
  std::map<pid_t, std::unique_ptr<Worker>> workers_;
  sigset_t saved_mask_;
};

}  // namespace headroom
