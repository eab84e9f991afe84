#pragma once
// The signals that ask an orchestrator to stop a sweep, for the time one
// scheduler drives it: SIGINT (Ctrl-C), SIGTERM, and SIGHUP (its terminal
// closed). SIGPIPE (a reader of its output went away) is ignored, so a failed
// write is an error instead of a sudden death that would leave the sweep
// marked running. The handlers only set flags the scheduler's loop reads.
// Not reentrant: one StopSignals at a time.

namespace headroom {

class StopSignals {
 public:
  StopSignals();   // installs the handlers and clears the flags
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // A stop was asked for (any of the signals).
  static bool requested();
  // SIGTERM or SIGHUP: stop without asking anyone.
  static bool without_asking();
  // Ctrl-C presses so far.
  static int interrupts();
};

}  // namespace headroom
