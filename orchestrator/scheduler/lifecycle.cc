#include "orchestrator/scheduler/lifecycle.h"

#include <algorithm>

#include "common/number_format.h"
#include "common/protocol.h"

namespace headroom {
namespace {

using protocol::EndStatus;

std::string joined(const std::string& first, const std::string& second) {
  if (first.empty()) return second;
  if (second.empty()) return first;
  return first + "\n" + second;
}

// Why a failed attempt failed, when neither the worker nor a rule above said:
// how the process ended, then the last lines of its stderr.
std::string failure_reason(const AttemptFacts& facts, const std::optional<EndStatus>& status) {
  std::string how;
  if (!facts.where.empty()) {
    how = facts.where + " ended " + (facts.slurm_state ? slurm::to_string(*facts.slurm_state) : "unknown");
  } else if (facts.signal) {
    how = "killed by signal " + std::to_string(*facts.signal);
  } else if (facts.exit_code && facts.end_status.empty()) {
    how = "exited with status " + std::to_string(*facts.exit_code) + " without an end event";
  }
  if (!facts.end_status.empty() && !status) {
    how = joined(how, "ended with status '" + facts.end_status + "', which this headroom does not know");
  } else if (status == EndStatus::ok && facts.exit_code && *facts.exit_code != 0) {
    how = joined(how, "wrote end 'ok' but exited with status " + std::to_string(*facts.exit_code));
  }
  return joined(joined(how, facts.event_problem), facts.stderr_tail);
}

// The rules of lifecycle.h in order; the cancelled-cell rule is applied after.
Decision by_rules(const AttemptFacts& facts, const CellHistory& history, const LifecyclePolicy& policy) {
  Decision d;
  d.end.exit_code = facts.exit_code;
  d.end.signal = facts.signal;
  const std::optional<EndStatus> status = protocol::parse_end_status(facts.end_status);
  // The worker's end event says `wanted`, or, without one, its exit status does.
  const auto worker_says = [&](EndStatus wanted) {
    if (status) return *status == wanted;
    return facts.exit_code && protocol::end_status_of_exit_code(*facts.exit_code) == wanted;
  };
  const auto slurm_said = [&](slurm::State state) { return facts.slurm_state == state; };
  const auto run_again = [&](RunState state, std::string error) {
    d.end.state = state;
    d.cell = CellState::pending;
    if (!error.empty()) d.end.error = std::move(error);
    return d;
  };

  if (!facts.start_failure.empty()) return run_again(RunState::lost, facts.start_failure);
  if (status == EndStatus::ok && (!facts.exit_code || *facts.exit_code == 0)) {
    d.end.state = RunState::succeeded;
    d.cell = CellState::succeeded;
    return d;
  }
  if (!facts.stopped_early.empty()) {
    d.end.state = RunState::stopped_early;
    d.cell = CellState::stopped_early;
    d.end.error = facts.stopped_early;
    return d;
  }
  // A program that speaks no protocol says it succeeded with its exit status
  // alone, unless something here stopped it, a stop signal from elsewhere
  // came first, or ingestion refused some of its lines (perhaps its end
  // event: a newer protocol version).
  if (facts.end_status.empty() && facts.exit_code == 0 && !facts.signal && !facts.stop_signal &&
      !facts.stopped_at_timeout &&
      (!facts.slurm_state || facts.slurm_state == slurm::State::completed) &&
      !facts.stopped_as_hung && !facts.stopped_by_orchestrator && facts.event_problem.empty()) {
    d.end.state = RunState::succeeded;
    d.cell = CellState::succeeded;
    return d;
  }
  if (facts.stopped_at_timeout || slurm_said(slurm::State::timeout)) {
    d.end.state = RunState::timeout;
    d.cell = CellState::failed;
    d.end.error = facts.where.empty()
                      ? "stopped after the sweep's timeout of " + shortest(policy.timeout_seconds) + " s"
                      : facts.where + " reached its time limit";
    return d;
  }
  if (facts.stopped_as_hung) {
    d.end.state = RunState::failed;
    d.end.error = "hung: no event for " + shortest(policy.hang_seconds) + " s; stopped";
  } else if (facts.stopped_by_orchestrator || slurm_said(slurm::State::cancelled)) {
    d.hold_until_resume = slurm_said(slurm::State::cancelled);
    return run_again(RunState::cancelled, "");
  } else if (slurm_said(slurm::State::preempted) || slurm_said(slurm::State::node_fail)) {
    return run_again(RunState::lost, facts.where + " ended " + slurm::to_string(*facts.slurm_state) +
                                         "; the cell runs again from its checkpoint");
  } else if (facts.end_status.empty() && facts.exit_code == 0 && facts.stop_signal) {
    if (history.state == CellState::cancelled) return run_again(RunState::cancelled, "");
    return run_again(RunState::lost, "the program ended after a stop signal (" + std::to_string(*facts.stop_signal) +
                                         ") that no running headroom accounts for (the orchestrator that sent it was "
                                         "gone before it ended, or someone else sent it), with no end event to say it "
                                         "had finished; the cell runs again");
  } else if (status == EndStatus::preempted) {
    if (history.state == CellState::cancelled) return run_again(RunState::cancelled, "");
    std::string why = facts.where.empty()
                          ? "the worker was stopped by a SIGTERM headroom did not send, after a checkpoint"
                          : facts.where + " stopped its worker, which checkpointed, and " +
                                (facts.slurm_state ? "ended " + slurm::to_string(*facts.slurm_state)
                                                   : std::string("is no longer known to SLURM")) +
                                " without requeueing it";
    return run_again(RunState::lost, why + "; the cell runs again from its checkpoint");
  } else if (facts.vanished && facts.end_status.empty()) {
    return run_again(RunState::lost, facts.where.empty()
                                         ? "the worker was gone when the orchestrator restarted"
                                         : facts.where + " is no longer known to SLURM and left no end event");
  } else if (worker_says(EndStatus::diverged)) {
    d.end.state = RunState::diverged;
    d.cell = CellState::failed;
  } else if (worker_says(EndStatus::invalid_config)) {
    d.end.state = RunState::invalid;
    d.cell = CellState::failed;
  } else {
    d.end.state = RunState::failed;
    if (slurm_said(slurm::State::out_of_memory)) d.end.error = facts.where + " ran out of memory (OUT_OF_MEMORY)";
  }
  if (d.end.state == RunState::failed) {
    const int failures = 1 + counted_failures(history);
    if (failures <= policy.retries) {
      d.cell = CellState::pending;
      d.retry_after = retry_delay(failures, policy.retry_backoff);
    } else {
      d.cell = CellState::failed;
    }
  }
  return d;
}

}  // namespace

Decision decide(const AttemptFacts& facts, const CellHistory& history, const LifecyclePolicy& policy) {
  Decision d = by_rules(facts, history, policy);
  if (history.state == CellState::cancelled && d.end.state != RunState::succeeded) {
    d.cell = CellState::cancelled;
    d.retry_after.reset();
    d.hold_until_resume = false;
  }
  // A rule's own reason (a timeout, a lost node) is recorded whatever the run
  // says already; the general reason only when the run records none.
  if (!d.end.error && !facts.error_recorded && d.end.state != RunState::succeeded &&
      d.end.state != RunState::cancelled) {
    std::string reason = failure_reason(facts, protocol::parse_end_status(facts.end_status));
    if (!reason.empty()) d.end.error = reason;
  }
  return d;
}

std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds base) {
  const auto delay = base * (int64_t(1) << std::clamp(failures - 1, 0, 16));
  return std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5));
}

int counted_failures(const CellHistory& history) {
  const auto failed = std::count(history.earlier_attempts.begin(), history.earlier_attempts.end(), RunState::failed);
  return int(std::max<int64_t>(0, failed - history.forgiven_failures));
}

bool retries_now_allow(const CellHistory& history, const LifecyclePolicy& policy) {
  return !history.earlier_attempts.empty() && history.earlier_attempts.back() == RunState::failed &&
         counted_failures(history) <= policy.retries;
}

const std::vector<CellState>& cancellable_cell_states() {
  static const std::vector<CellState> states = {CellState::pending, CellState::running};
  return states;
}

}  // namespace headroom
