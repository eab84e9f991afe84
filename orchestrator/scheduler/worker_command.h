#pragma once
// How a cell's worker is started: its command line, its environment and the
// files it reads in its run folder, for headroom-train and for a program of
// the user's (W&B's `program` and `command`, docs/programs.md) alike. The
// one home of the worker's side of the protocol's start (docs/events.md):
// both schedulers start workers only through this. Pure except
// write_python_support, which writes files.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/spec/program_spec.h"
#include "orchestrator/store/store.h"

namespace headroom {

// What an attempt's worker is given besides its cell.
struct AttemptSetup {
  int threads = 1;
  bool gpus = false;           // it runs on the GPUs the scheduler gave it
  std::string trainer_path;    // headroom-train, for cells that run it
  std::string support_folder;  // where write_python_support put Headroom's Python modules
};

struct WorkerLaunch {
  std::vector<std::string> argv;                   // argv[0]: the executable
  std::map<std::string, std::string> environment;  // added to the orchestrator's
  // Files written into the run folder before the start (name -> content):
  // config.json always, args.json for ${args_json_file}.
  std::map<std::string, std::string> files;
};

// The run's part of the worker's environment (every worker, so that a
// restarted orchestrator can find a worker by its run folder):
// HEADROOM_RUN_DIR, HEADROOM_EVENTS, HEADROOM_CONFIG, HEADROOM_CHECKPOINT_DIR,
// HEADROOM_RESUME ("1" or "0"), HEADROOM_RUN_ID, HEADROOM_ATTEMPT,
// HEADROOM_SWEEP, HEADROOM_CELL.
std::map<std::string, std::string> run_environment(const SweepRecord& sweep, const CellRecord& cell,
                                                   const RunRecord& run, bool resume);

// The worker of one attempt. headroom-train: `headroom-train --config
// RUN/config.json --run-dir RUN [--resume]` with the cell's resolved config
// (threads and device as the scheduler chose). A program: its command with
// each macro token expanded as W&B's agent does (program_spec.h) from the
// cell's parameters as the program sees them (nested_config), which are also
// its config.json; PYTHONPATH starts with Headroom's `headroom` module (and
// its `wandb` drop-in when the sweep asks for it).
WorkerLaunch worker_launch(const SweepRecord& sweep, const CellRecord& cell, const RunRecord& run, bool resume,
                           const AttemptSetup& setup);

// Whether a run folder holds a checkpoint the next attempt resumes from:
// headroom-train's checkpoint/state.pt, or any file a program left in checkpoint/.
bool holds_checkpoint(const std::string& run_dir, const CellRecord& cell);

// A value as Python's str() writes it, which is how W&B's agent puts values
// on a command line: True, None, 1e-05, 0.001, [1, 'a'], {'k': 2}.
std::string python_str(const nlohmann::json& value);
// JSON as Python's json.dumps writes it (", " and ": " separators).
std::string python_json(const nlohmann::json& value);

// The shell script a SLURM task starts an attempt's worker with: `launch`'s
// environment and command line, deciding at the task's start whether the
// worker resumes (by holds_checkpoint's rule, in shell), since SLURM may
// requeue a preempted task into the same folder.
std::string launch_script(const std::string& run_dir, const WorkerLaunch& launch, const CellRecord& cell);

// `word` as a POSIX shell reads it back as one argument: as it is when that
// is safe, else in single quotes.
std::string shell_word(const std::string& word);

// Writes Headroom's Python modules (workers/python, embedded in the binary)
// under `folder`, leaving files that already hold the same text alone.
Status write_python_support(const std::string& folder);

}  // namespace headroom
