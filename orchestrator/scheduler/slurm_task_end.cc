#include "orchestrator/scheduler/slurm_task_end.h"

#include "common/protocol.h"

namespace headroom {

namespace {

// Final states that say why a worker was stopped by a signal.
bool explains_a_stop(slurm::State state) {
  return state == slurm::State::cancelled || state == slurm::State::timeout || state == slurm::State::preempted ||
         state == slurm::State::node_fail || state == slurm::State::out_of_memory;
}

// The worker was stopped by a signal and checkpointed: SLURM may run it again.
bool stopped_after_checkpoint(const std::string& end_status) {
  return protocol::parse_end_status(end_status) == protocol::EndStatus::preempted;
}

// The worker told how it ended, and nothing SLURM does brings that back.
bool worker_finished_by_itself(const std::string& end_status) {
  return !end_status.empty() && !stopped_after_checkpoint(end_status);
}

}  // namespace

TaskEnd judge_task_end(const std::optional<slurm::Task>& task, const std::string& end_status,
                       std::optional<std::chrono::steady_clock::time_point>& unsure_since,
                       std::chrono::steady_clock::time_point now, std::chrono::milliseconds settle) {
  if (task && !slurm::is_final(task->state)) {
    unsure_since.reset();
    return TaskEnd::running;
  }
  // A worker stopped by a signal in a task SLURM calls plainly completed or
  // failed: the stop may come from a requeue still going through.
  const bool conclusive = task ? !stopped_after_checkpoint(end_status) || explains_a_stop(task->state)
                               : worker_finished_by_itself(end_status);
  if (conclusive) return TaskEnd::ended;
  if (!unsure_since) unsure_since = now;
  return now - *unsure_since >= settle ? TaskEnd::ended : TaskEnd::settling;
}

}  // namespace headroom
