#pragma once
// SLURM through its own commands: submitting a job array (sbatch), reading
// its tasks' states (squeue while a task is queued or running, then scontrol,
// which keeps a finished job for MinJobAge) and cancelling (scancel). The
// SLURM executor's scheduler is built on these; they hold no state.
// Commands come from PATH and honour SLURM_CONF like any SLURM client.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace headroom::slurm {

struct ArrayRequest {
  std::string script;       // the batch script's path; task i reads $SLURM_ARRAY_TASK_ID
  size_t tasks = 0;         // indices 0 .. tasks - 1
  int throttle = 0;         // at most this many tasks at once (--array=0-N%K); 0: no limit
  std::string job_name;
  std::string output;       // --output pattern (%A array job, %a index)
  std::string working_dir;  // --chdir
  int cpus_per_task = 1;
  int gpus_per_task = 0;    // --gpus-per-task (needs gres on the nodes)
  std::string memory;       // --mem, e.g. "8G"; empty: the partition's default
  std::string time_limit;   // --time, e.g. "02:00:00"; empty: the partition's default
  std::string partition, account, qos;
  std::vector<std::string> extra_arguments;  // passed to sbatch as they are, before the script
};

// sbatch's arguments for the request (without the program name).
std::vector<std::string> sbatch_arguments(const ArrayRequest& request);

// Submits the array; returns its job id. An error quotes sbatch's message.
Result<std::string> submit_array(const ArrayRequest& request);

enum class State {
  pending,
  running,
  completing,
  completed,
  failed,
  timeout,
  cancelled,
  node_fail,
  preempted,
  out_of_memory,
  unknown,
};
State parse_state(const std::string& text);
std::string to_string(State state);
// A state from which the task will not run again by itself.
bool is_final(State state);

struct Task {
  std::string array_job;  // the array's job id
  int index = 0;          // its array index
  State state = State::unknown;
  std::string reason;                // squeue's reason, e.g. JobArrayTaskLimit
  std::optional<int> exit_code;      // scontrol's ExitCode=code:signal, once finished
  std::optional<int> signal;
};

// `squeue -h -t all -o %i|%T|%r` lines. Pending tasks may come grouped as
// 12_[3-5,7%2]: each index becomes one task.
std::vector<Task> parse_squeue(const std::string& text);
// `scontrol -o show job` lines: array tasks with their state and exit code.
std::vector<Task> parse_scontrol(const std::string& text);

// Every task of an array SLURM still knows of, by index: squeue for those
// queued or running, scontrol for finished ones (and their exit codes).
Result<std::map<int, Task>> query_array(const std::string& array_job);

// The id of the array submitted under `job_name`, if SLURM still knows it
// (squeue, every state). Finds an array whose sbatch answer was lost.
Result<std::optional<std::string>> find_array(const std::string& job_name);

// scancel for one task of the array, or the whole array when index is empty.
Status cancel(const std::string& array_job, std::optional<int> index = std::nullopt);

}  // namespace headroom::slurm
