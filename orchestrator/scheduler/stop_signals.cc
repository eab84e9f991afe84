#include "orchestrator/scheduler/stop_signals.h"

#include <signal.h>

#include <atomic>

namespace headroom {
namespace {

std::atomic<bool> stop_requested{false};
std::atomic<bool> stop_without_asking{false};
std::atomic<int> interrupts_seen{0};

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGTERM || signal == SIGHUP) stop_without_asking = true;
  if (signal == SIGINT) ++interrupts_seen;
  stop_requested = true;
}

struct sigaction previous_int, previous_term, previous_hup, previous_pipe;

}  // namespace

StopSignals::StopSignals() {
  stop_requested = false;
  stop_without_asking = false;
  interrupts_seen = 0;
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  sigaction(SIGHUP, &action, &previous_hup);
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous_pipe);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  sigaction(SIGHUP, &previous_hup, nullptr);
  sigaction(SIGPIPE, &previous_pipe, nullptr);
}

bool StopSignals::requested() { return stop_requested; }
bool StopSignals::without_asking() { return stop_without_asking; }
int StopSignals::interrupts() { return interrupts_seen; }

}  // namespace headroom
