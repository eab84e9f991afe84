#include "orchestrator/grid/preflight.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "trainer/corpus.h"

namespace headroom {
namespace {

// Where the sweep file sets `corpus`: its base, a swept parameter, or
// (the default corpus) nowhere but the file.
Location corpus_location(const SweepSpec& spec) {
  if (auto base = spec.base.find("corpus"); base != spec.base.end()) return base->second.where;
  for (const auto& parameter : spec.parameters) {
    if (parameter.name == "corpus") return parameter.where;
  }
  return Location{spec.file};
}

bool has_token(const std::vector<std::string>& command, const std::string& token) {
  return std::find(command.begin(), command.end(), token) != command.end();
}

// An executable file named `name`: a path, or found on PATH.
bool executable_found(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string folders = path ? path : "";
  for (size_t start = 0; start <= folders.size();) {
    size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    const std::string folder = folders.substr(start, end - start);
    if (!folder.empty() && ::access((folder + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// A program's sweep: its program is there (and runs itself where the command
// does not hand it to an interpreter), and the interpreter can be found.
void check_program(const ProgramSpec& program, std::vector<Diagnostic>& problems) {
  const auto command = command_template(program);
  if (has_token(command, "${program}")) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(program.path, error)) {
      problems.push_back({program.where, "program '" + program.program + "' not found (looked for " + program.path +
                                             "; a relative program is relative to the sweep file's folder)"});
    } else if (!has_token(command, "${interpreter}") && command.front() == "${program}" &&
               ::access(program.path.c_str(), X_OK) != 0) {
      problems.push_back({program.where, "program '" + program.program +
                                             "' is not executable: chmod +x it, or start it with an interpreter "
                                             "in 'command'"});
    }
  }
  if (has_token(command, "${interpreter}") && !executable_found(program.interpreter)) {
    problems.push_back({program.command_where.line ? program.command_where : program.where,
                        "interpreter '" + program.interpreter + "' not found on PATH (set worker: {interpreter: ...})"});
  }
  if (!command.empty() && command.front().rfind("${", 0) != 0 && !executable_found(command.front())) {
    problems.push_back({program.command_where, "'" + command.front() + "', the command's first word, is not an "
                                               "executable file or on PATH"});
  }
}

}  // namespace

Status check_cells_data(const SweepSpec& spec, const Expansion& expansion) {
  if (spec.program) {
    std::vector<Diagnostic> problems;
    check_program(*spec.program, problems);
    if (!problems.empty()) return Error::invalid(std::move(problems));
    return Ok{};
  }
  struct Need {
    size_t shortest_split = 0;  // the longest window any cell takes from it, plus one
    int64_t cells = 0;
  };
  std::map<std::pair<std::string, bool>, Need> needs;  // (corpus, test_split)
  for (const auto& cell : expansion.cells) {
    const std::string task = cell.config.value("task", "mlm");
    if (task == "fit") continue;  // the fit probe draws its own data
    const std::string corpus = cell.config.value("corpus", "");
    Need& need = needs[{corpus, cell.config.value("test_split", false)}];
    need.shortest_split =
        std::max(need.shortest_split, trainer::shortest_split_for(task, cell.config.value("seq_len", int64_t(0))));
    ++need.cells;
  }
  std::vector<Diagnostic> problems;
  for (const auto& [key, need] : needs) {
    // An empty corpus (no default found) is already a config problem of each cell.
    if (key.first.empty()) continue;
    if (auto problem = trainer::corpus_problem(key.first, need.shortest_split, key.second)) {
      problems.push_back({corpus_location(spec), *problem + " (read by " + std::to_string(need.cells) +
                                                     " cell" + (need.cells == 1 ? "" : "s") + ")"});
    }
  }
  if (!problems.empty()) return Error::invalid(std::move(problems));
  return Ok{};
}

}  // namespace headroom
