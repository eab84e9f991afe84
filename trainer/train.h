#pragma once
// One training run, from a resolved config to events and checkpoints.
// Torch-free interface so main.cc compiles quickly.

#include <string>

#include "trainer/config.h"

namespace headroom::trainer {

struct RunOptions {
  std::string run_dir;
  bool resume = false;  // continue from run_dir/checkpoint/state.pt if present
};

// Trains, appending start/metric/eval/checkpoint/end events to
// run_dir/events.jsonl. Returns the exit status of its end status
// (common/protocol.h); failures are also recorded in the end event. Installs
// a SIGTERM handler: on SIGTERM it checkpoints and ends "preempted".
int train(const TrainerConfig& config, const RunOptions& options);

// Builds the model on the CPU and returns its real parameter counts as JSON
// ({"parameters": N, "non_embedding_parameters": M}); used by tests to check
// model_size() against the module.
std::string describe_model(const TrainerConfig& config);

}  // namespace headroom::trainer
