#pragma once
// A sweep of the user's own program (W&B's `program` and `command`, and
// Headroom's `worker:` block): what the sweep file says about the program, as
// parsed and as stored with each of its cells (cells.worker). How a cell's
// command line and environment are made from it is
// orchestrator/executors/worker_command.h; docs/programs.md is the user's guide.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace headroom {

struct ProgramSpec {
  std::string program;  // as written; empty when `command` does not run one
  std::string path;     // absolute: a relative program is relative to the sweep file's folder
  Location where;
  // W&B's command template, token by token; empty: the default (command_template).
  std::vector<std::string> command;
  Location command_where;
  // `worker:` (Headroom's): the interpreter of ${interpreter}, where the
  // program's metrics come from (events: it appends to $HEADROOM_EVENTS;
  // stdout: the JSON lines it prints), whether Headroom's offline `wandb`
  // drop-in is first on its PYTHONPATH, and variables added to its environment.
  std::string interpreter = "python3";
  std::string metrics = "events";
  bool wandb_dropin = false;
  std::map<std::string, std::string> environment;
  std::string project, entity;  // the sweep's W&B `project` and `entity`
  // The dotted paths of W&B's nested `parameters:` blocks ("optimizer",
  // "optimizer.schedule"): a cell's parameters under them are passed to the
  // program as one nested value, while a name merely written with a dot
  // (Hydra's "model.lr") stays one flat name.
  std::vector<std::string> nested_blocks;
};

// A program cell's parameters as the program sees them (config.json,
// wandb.config, ${args}): those under a nested block gathered into nested
// objects, the others as they are.
nlohmann::json nested_config(const nlohmann::json& flat, const std::vector<std::string>& nested_blocks);

// The macros a command may use, each as a whole token (W&B's, plus
// ${args_no_equals}): ${env} ${interpreter} ${program} ${args}
// ${args_no_hyphens} ${args_no_boolean_flags} ${args_no_equals} ${args_json}
// ${args_json_file} ${project} ${entity}.
const std::vector<std::string>& command_macros();

// The command the program runs with: its own, or W&B's default
// `${env} ${interpreter} ${program} ${args}` for a Python program (.py) and
// `${program} ${args}` for any other (which runs itself: an executable or a
// #! script), where W&B would hand it to Python.
std::vector<std::string> command_template(const ProgramSpec& program);

// What makes a cell of this program a different cell: the program's path,
// the command, the interpreter and the environment. Where its metrics come
// from and the drop-in are not part of it.
nlohmann::json program_identity(const ProgramSpec& program);

// The stored form, and back.
nlohmann::json to_json(const ProgramSpec& program);
ProgramSpec program_from_json(const nlohmann::json& stored);

}  // namespace headroom
