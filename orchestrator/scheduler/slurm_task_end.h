#pragma once
// When an attempt out in SLURM has really ended. One look at squeue and
// scontrol is not always conclusive: a task SLURM is requeueing (after a
// preemption, `scontrol requeue`, a node failure) stops its worker, and a
// busy controller can leave a task out of a listing for a moment. Ending
// the attempt on such a look would retry the cell while SLURM runs the
// requeued task too, or call a worker that only checkpointed failed. So an
// ambiguous look starts a settling period; the attempt ends only if the
// task is still finished or missing when the period is over.

#include <chrono>
#include <optional>
#include <string>

#include "orchestrator/executors/slurm.h"

namespace headroom {

enum class TaskEnd {
  running,  // queued or running: keep tracking
  settling, // looks over, but may come back: look again later
  ended,    // over: record how the attempt ended
};

// `task` is what SLURM lists for the attempt (nothing when neither squeue nor
// scontrol knows it), `end_status` the status of the worker's last end event
// ("" if none; "preempted" when a signal stopped it after a checkpoint).
// `unsure_since` carries the start of the settling period from one look to
// the next; `settle` is its length.
TaskEnd judge_task_end(const std::optional<slurm::Task>& task, const std::string& end_status,
                       std::optional<std::chrono::steady_clock::time_point>& unsure_since,
                       std::chrono::steady_clock::time_point now, std::chrono::milliseconds settle);

}  // namespace headroom
