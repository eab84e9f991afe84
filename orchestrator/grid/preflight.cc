#include "orchestrator/grid/preflight.h"

#include <algorithm>
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

}  // namespace

Status check_cells_data(const SweepSpec& spec, const Expansion& expansion) {
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
