// headroom-supervise STATUS_FILE PROGRAM [ARGUMENT...]
//
// The parent of every program's worker the local executor starts (headroom-train
// runs without it: its end event says how it ended). It runs PROGRAM (a
// path, or a name looked up on the PATH of the worker's environment by
// execvp, which runs a script without #! with /bin/sh),
// waits for it, records how it ended in STATUS_FILE (exit_status.h: written
// aside and renamed) and then ends the same way, so that its own parent sees
// what it would have seen of PROGRAM. An orchestrator killed -9, or one whose
// user left the workers running, is not there to wait for its workers:
// without this record a program that writes no end event would be lost, and
// its finished work run again. A PROGRAM that cannot be started is recorded
// as such ("unstarted ERRNO"), said on stderr, and ends it with status 127.
//
// Signals: the executor starts it as the leader of the worker's process
// group. A SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 or SIGUSR2 sent to it
// from outside the group is passed on to the whole group (PROGRAM and
// whatever it started), as a signal to the group would have been; one sent by
// a member of the group (its own copy of that, or PROGRAM signalling its
// group with kill 0) is not passed on again. A signal sent to the whole group
// from outside reaches PROGRAM twice: once directly, once passed on. Until
// PROGRAM's pid is known they wait (blocked). SIGKILL ends it at once, and
// then nothing is recorded. A stop signal (exit_status.h, is_stop_signal)
// passed on while PROGRAM still runs is recorded beside its exit ("exit 0
// after signal 15"): an orchestrator that stopped the worker and was killed
// before it ended must not read a program that exits 0 on SIGTERM as
// finished.
//
// It writes nothing to stdout (a program's metrics may be read from there);
// its own failures (a pipe, fork, wait or the record) are said on stderr.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "orchestrator/executors/exit_status.h"

namespace {

constexpr int kPassedOn[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
constexpr size_t kSignals = sizeof(kPassedOn) / sizeof(kPassedOn[0]);

// PROGRAM's pid once started; 0 before.
volatile sig_atomic_t program = 0;
// Started by hand, outside a group of its own, it passes signals on to
// PROGRAM alone: its group is then its caller's.
volatile sig_atomic_t leads_group = 0;
// The last stop signal passed on; 0 when none was.
volatile sig_atomic_t stopped_by = 0;

void pass_on(int signal, siginfo_t* info, void*) {
  const int saved = errno;
  // From a member of the group (ourselves passing it on, or PROGRAM's own
  // kill 0): the group has it already.
  const bool from_group = leads_group && info && info->si_code == SI_USER && info->si_pid > 0 &&
                          (info->si_pid == ::getpid() || ::getpgid(info->si_pid) == ::getpgrp());
  if (!from_group) {
    // A stop that comes after PROGRAM ended (it is only not yet reaped)
    // stopped nothing.
    siginfo_t ended{};
    if (headroom::is_stop_signal(signal) && program > 0 &&
        ::waitid(P_PID, id_t(program), &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid == 0) {
      stopped_by = signal;
    }
    if (leads_group) {
      ::kill(-::getpgrp(), signal);
    } else if (program > 0) {
      ::kill(pid_t(program), signal);
    }
  }
  errno = saved;
}

bool write_all(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += size_t(n);
  }
  return true;
}

// Written aside and renamed: a reader sees the whole record or none. Not
// fsynced (a millisecond per trial): what a process wrote survives its
// kill -9; a machine's crash may lose it, and the attempt is then lost and
// runs again, as it would without a record.
bool record(const std::string& path, const headroom::ProcessExit& exit) {
  const std::string partial = path + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool written = write_all(fd, headroom::exit_status_text(exit));
  ::close(fd);
  return written && ::rename(partial.c_str(), path.c_str()) == 0;
}

[[noreturn]] void end_as(const headroom::ProcessExit& exit) {
  if (exit.signal) {
    // Die of the same signal, without a core file or crash report of our own.
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    ::signal(*exit.signal, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, *exit.signal);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(*exit.signal);
    ::_exit(128 + *exit.signal);  // a signal whose default is not to end a process
  }
  ::_exit(exit.exit_code.value_or(127));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: headroom-supervise STATUS_FILE PROGRAM [ARGUMENT...]\n");
    return 2;
  }
  const std::string status_file = argv[1];
  leads_group = ::getpgrp() == ::getpid();
  // Blocked before the handlers exist: a stop that arrives now waits for
  // PROGRAM's pid instead of being passed on to a group that holds only us.
  sigset_t passed_on, before;
  sigemptyset(&passed_on);
  for (int signal : kPassedOn) sigaddset(&passed_on, signal);
  ::sigprocmask(SIG_BLOCK, &passed_on, &before);
  struct sigaction action {};
  action.sa_sigaction = pass_on;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  struct sigaction inherited[kSignals];
  for (size_t i = 0; i < kSignals; ++i) ::sigaction(kPassedOn[i], &action, &inherited[i]);

  // A pipe closed by PROGRAM's exec tells us whether the exec worked.
  int exec_error[2];
  if (::pipe2(exec_error, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "headroom-supervise: cannot make a pipe: %s\n", std::strerror(errno));
    return 127;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "headroom-supervise: cannot fork: %s\n", std::strerror(errno));
    return 127;
  }
  if (child == 0) {
    ::close(exec_error[0]);
    // PROGRAM gets the dispositions we were given (an ignored SIGQUIT stays
    // ignored) and the mask, never our handler.
    for (size_t i = 0; i < kSignals; ++i) ::sigaction(kPassedOn[i], &inherited[i], nullptr);
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    ::execvp(argv[2], argv + 2);
    const int error = errno;
    (void)!::write(exec_error[1], &error, sizeof(error));
    ::_exit(127);
  }
  program = child;
  ::sigprocmask(SIG_SETMASK, &before, nullptr);  // what waited is passed on now
  ::close(exec_error[1]);
  int error = 0;
  ssize_t n;
  while ((n = ::read(exec_error[0], &error, sizeof(error))) < 0 && errno == EINTR) {
  }
  ::close(exec_error[0]);

  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "headroom-supervise: cannot wait for '%s': %s\n", argv[2], std::strerror(errno));
      return 127;
    }
  }
  program = 0;  // reaped: its pid may be another process's now
  headroom::ProcessExit exit = headroom::process_exit_of_wait_status(status);
  if (stopped_by != 0) exit.stop_signal = int(stopped_by);
  if (n == ssize_t(sizeof(error))) {
    std::fprintf(stderr, "headroom-supervise: cannot start '%s': %s\n", argv[2], std::strerror(error));
    exit = headroom::ProcessExit{};
    exit.start_error = error;
  }
  if (!record(status_file, exit)) {
    std::fprintf(stderr, "headroom-supervise: cannot record the exit status in '%s': %s\n", status_file.c_str(),
                 std::strerror(errno));
  }
  end_as(exit);
}
