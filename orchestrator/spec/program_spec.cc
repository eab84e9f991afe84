#include "orchestrator/spec/program_spec.h"

#include <algorithm>

namespace headroom {

const std::vector<std::string>& command_macros() {
  static const std::vector<std::string> macros = {
      "${env}",           "${interpreter}",  "${program}",        "${args}",      "${args_no_hyphens}",
      "${args_no_boolean_flags}", "${args_no_equals}", "${args_json}", "${args_json_file}", "${project}",
      "${entity}"};
  return macros;
}

std::vector<std::string> command_template(const ProgramSpec& program) {
  if (!program.command.empty()) return program.command;
  const std::string& name = program.program;
  const bool python = name.size() > 3 && name.compare(name.size() - 3, 3, ".py") == 0;
  if (python) return {"${env}", "${interpreter}", "${program}", "${args}"};
  return {"${program}", "${args}"};
}

nlohmann::json program_identity(const ProgramSpec& program) {
  return {{"program", program.path},
          {"command", command_template(program)},
          {"interpreter", program.interpreter},
          {"environment", program.environment},
          {"nested_blocks", program.nested_blocks}};
}

nlohmann::json nested_config(const nlohmann::json& flat, const std::vector<std::string>& nested_blocks) {
  nlohmann::json nested = nlohmann::json::object();
  for (const auto& [name, value] : flat.items()) {
    // The blocks this name lies under, outermost (shortest) first, cut it into its path.
    std::vector<size_t> cuts;
    for (const auto& block : nested_blocks) {
      if (name.size() > block.size() + 1 && name.compare(0, block.size(), block) == 0 && name[block.size()] == '.') {
        cuts.push_back(block.size());
      }
    }
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::string> path;
    size_t from = 0;
    for (size_t cut : cuts) {
      path.push_back(name.substr(from, cut - from));
      from = cut + 1;
    }
    path.push_back(name.substr(from));
    nlohmann::json* target = &nested;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      nlohmann::json& next = (*target)[path[i]];
      if (!next.is_object()) next = nlohmann::json::object();
      target = &next;
    }
    (*target)[path.back()] = value;
  }
  return nested;
}

nlohmann::json to_json(const ProgramSpec& program) {
  return {{"program", program.program},       {"path", program.path},
          {"command", command_template(program)}, {"interpreter", program.interpreter},
          {"metrics", program.metrics},       {"wandb", program.wandb_dropin ? "dropin" : "real"},
          {"environment", program.environment}, {"project", program.project},
          {"entity", program.entity},             {"nested_blocks", program.nested_blocks}};
}

ProgramSpec program_from_json(const nlohmann::json& stored) {
  ProgramSpec program;  // what the stored form leaves out keeps ProgramSpec's defaults
  program.program = stored.value("program", "");
  program.path = stored.value("path", "");
  program.command = stored.value("command", std::vector<std::string>{});
  program.interpreter = stored.value("interpreter", program.interpreter);
  program.metrics = stored.value("metrics", program.metrics);
  program.wandb_dropin = stored.value("wandb", program.wandb_dropin ? "dropin" : "real") == "dropin";
  program.environment = stored.value("environment", std::map<std::string, std::string>{});
  program.project = stored.value("project", "");
  program.entity = stored.value("entity", "");
  program.nested_blocks = stored.value("nested_blocks", std::vector<std::string>{});
  return program;
}

}  // namespace headroom
