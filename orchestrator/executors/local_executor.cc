// Boost 1.74 enables its vfork launcher only for pre-2008 POSIX feature
// macros, which glibc's _GNU_SOURCE excludes; vfork is there on Linux.
// (Only this file launches with use_vfork, so no other file sees a
// different definition.)
#define BOOST_POSIX_HAS_VFORK 1

#include "orchestrator/executors/local_executor.h"

#include <signal.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>

namespace headroom {

namespace bp = boost::process;

struct LocalExecutor::Worker {
  bp::child child;
  bool supervised = false;  // headroom-supervise leads its group and passes signals on
  std::optional<std::chrono::steady_clock::time_point> kill_at;
};

namespace {

// Puts the child in a process group of its own, so signals reach its whole
// tree and a Ctrl-C at the terminal does not (the orchestrator decides).
// Also unblocks SIGCHLD, which the orchestrator blocks for itself (see
// wait_for_exit): a blocked mask would otherwise pass to the worker.
struct OwnProcessGroup : bp::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    ::sigprocmask(SIG_UNBLOCK, &child, nullptr);
  }
};

// Hands execve an environment built here: ours with the request's variables
// set. (Boost 1.74's environment::operator[] reads past short keys: ASan
// reports a heap-buffer-overflow in basic_environment_impl::find.)
class ExplicitEnvironment : public bp::extend::handler {
 public:
  explicit ExplicitEnvironment(const std::map<std::string, std::string>& overrides) {
    for (char** entry = environ; *entry; ++entry) {
      std::string variable = *entry;
      if (!overrides.count(variable.substr(0, variable.find('=')))) variables_.push_back(variable);
    }
    for (const auto& [name, value] : overrides) variables_.push_back(name + "=" + value);
    for (auto& variable : variables_) pointers_.push_back(variable.data());
    pointers_.push_back(nullptr);
  }
  template <typename Executor>
  void on_setup(Executor& executor) const {
    executor.env = const_cast<char**>(pointers_.data());
  }

 private:
  std::vector<std::string> variables_;
  std::vector<char*> pointers_;
};

}  // namespace

LocalExecutor::LocalExecutor(std::string supervisor) : supervisor_(std::move(supervisor)) {
  // SIGCHLD stays pending while blocked, so wait_for_exit never misses an
  // exit that happened between two waits.
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  ::pthread_sigmask(SIG_BLOCK, &child, &saved_mask_);
}

LocalExecutor::~LocalExecutor() {
  for (auto& [pid, worker] : workers_) worker->child.detach();
  ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
}

void LocalExecutor::wait_for_exit(std::chrono::milliseconds timeout) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  timespec wait{time_t(timeout.count() / 1000), long(timeout.count() % 1000) * 1000000};
  ::sigtimedwait(&child, nullptr, &wait);  // EINTR (Ctrl-C) and EAGAIN (timeout) both just return
}

Result<pid_t> LocalExecutor::start(const LaunchRequest& request) {
  if (request.argv.empty()) return Error::internal("empty argv");
  try {
    std::vector<std::string> arguments(request.argv.begin() + 1, request.argv.end());
    std::string executable = request.argv[0];
    const bool supervised = !supervisor_.empty() && !request.exit_status_path.empty();
    if (supervised) {
      arguments.insert(arguments.begin(), {request.exit_status_path, executable});
      executable = supervisor_;
    }
    ExplicitEnvironment environment(request.environment);
    auto worker = std::make_unique<Worker>();
    worker->supervised = supervised;
    worker->child = bp::child(bp::exe = executable, bp::args = arguments, environment,
                              bp::std_in < bp::null, bp::std_out > request.stdout_path,
                              bp::std_err > request.stderr_path, OwnProcessGroup{},
                              // vfork: fork's copy of the page tables grows with the orchestrator's
                              // SQLite cache and was most of the per-trial cost.
                              bp::posix::use_vfork);
    pid_t pid = worker->child.id();
    workers_[pid] = std::move(worker);
    return pid;
  } catch (const std::exception& error) {
    return Error::io("cannot start '" + request.argv[0] + "': " + error.what());
  }
}

std::vector<std::pair<pid_t, ProcessExit>> LocalExecutor::reap() {
  std::vector<std::pair<pid_t, ProcessExit>> ended;
  auto now = std::chrono::steady_clock::now();
  for (auto it = workers_.begin(); it != workers_.end();) {
    auto& worker = *it->second;
    std::error_code error;
    if (worker.child.running(error)) {
      if (worker.kill_at && now >= *worker.kill_at) {
        ::kill(-it->first, SIGKILL);
        worker.kill_at.reset();
      }
      ++it;
      continue;
    }
    // Boost.Process's exit_code() is meaningless after a signal: read waitpid's status.
    const ProcessExit exit = process_exit_of_wait_status(worker.child.native_exit_code());
    // The group may still hold grandchildren: they go with the worker.
    ::kill(-it->first, SIGKILL);
    worker.child.detach();
    ended.emplace_back(it->first, exit);
    it = workers_.erase(it);
  }
  return ended;
}

void LocalExecutor::stop(pid_t pid, std::chrono::milliseconds grace) {
  auto it = workers_.find(pid);
  if (it == workers_.end()) return;
  if (it->second->supervised) {
    ask_worker_to_stop(pid);
  } else {
    ::kill(-pid, SIGTERM);
  }
  it->second->kill_at = std::chrono::steady_clock::now() + grace;
}

size_t LocalExecutor::running() const { return workers_.size(); }

namespace {

std::string proc_file(int64_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

bool names_run_dir(int64_t pid, const std::string& run_dir) {
  // argv and the environment are NUL-separated: match whole entries.
  const std::string command_line = proc_file(pid, "cmdline");
  if (command_line.find(std::string("--run-dir") + '\0' + run_dir + '\0') != std::string::npos) return true;
  const std::string environment = '\0' + proc_file(pid, "environ");
  return environment.find(std::string("\0HEADROOM_RUN_DIR=") + run_dir + '\0') != std::string::npos;
}

bool ask_worker_to_stop(int64_t pid) { return pid > 0 && ::kill(pid_t(pid), SIGTERM) == 0; }

std::vector<int64_t> processes_naming(const std::string& run_dir) {
  std::vector<int64_t> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t pid = std::stoll(name);
    if (names_run_dir(pid, run_dir)) found.push_back(pid);
  }
  return found;
}

void stop_leftovers_of(int64_t pid, const std::string& run_dir) {
  if (pid <= 0 || ::kill(-pid_t(pid), 0) != 0) return;  // no such group
  for (int64_t member : processes_naming(run_dir)) {
    if (::getpgid(pid_t(member)) == pid_t(pid)) {
      ::kill(-pid_t(pid), SIGKILL);
      return;
    }
  }
}

bool is_worker_of(int64_t pid, const std::string& run_dir) {
  if (pid <= 0 || ::kill(pid_t(pid), 0) != 0) return false;
  return names_run_dir(pid, run_dir);
}

}  // namespace headroom
