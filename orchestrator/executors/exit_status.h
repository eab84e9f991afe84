#pragma once
// How a worker process ended, and its record in the run folder
// (protocol::kExitStatusFile). headroom-supervise writes the record when the
// program it runs ends, so that an orchestrator that was not the worker's
// parent (it was killed -9, or the user left the workers running) still learns
// the exit status of a program that writes no end event; the scheduler reads
// it when an attempt's worker has ended. One line: "exit N" or "signal N",
// each followed by " after signal S" when a stop signal S from outside the
// worker's process group reached it first, or "unstarted ERRNO" when the
// program could not be started at all.

#include <optional>
#include <string>
#include <string_view>

namespace headroom {

// How a process ended, from waitpid's status.
struct ProcessExit {
  std::optional<int> exit_code;  // set when it exited
  std::optional<int> signal;     // set when a signal killed it
  // The errno of the exec that failed: the program never ran (the
  // supervisor then exits 127). Only the supervisor's record sets it.
  std::optional<int> start_error;
  // A stop signal (is_stop_signal) from outside the worker's process group
  // that the supervisor passed on while the program had not yet ended:
  // something stopped it, whatever its exit status says (a program may exit
  // 0 on SIGTERM). Only the supervisor's record sets it.
  std::optional<int> stop_signal;
};

ProcessExit process_exit_of_wait_status(int status);
// SIGTERM, SIGINT, SIGHUP or SIGQUIT: the signals that ask a worker to stop
// (ProcessExit::stop_signal). Async-signal-safe.
bool is_stop_signal(int signal);
// "exit 0\n", "signal 9\n", "exit 0 after signal 15\n", "unstarted 2\n".
std::string exit_status_text(const ProcessExit& exit);
// nullopt unless `text` is exactly what exit_status_text writes.
std::optional<ProcessExit> parse_exit_status(std::string_view text);
// The record in `run_dir`; nullopt when there is none (headroom-train, which
// runs without a supervisor; the supervisor was killed too; the worker is
// still running; or an older headroom started it).
std::optional<ProcessExit> recorded_exit_status(const std::string& run_dir);

}  // namespace headroom
