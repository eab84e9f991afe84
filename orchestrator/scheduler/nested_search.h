#pragma once
// A search inside each cell of a grid (`search:` in the sweep file,
// docs/sweeps.md): the grid over the sweep's parameters gives the outer
// cells; each outer cell tunes the search's parameters with a search of its
// own (bayes_search.h, its proposals and cells marked with the outer cell's
// hash), and the outer cell's result is its best trial on the sweep's metric.
//
// With `replicate: true` (the economical protocol) only the sweep's first
// seed is tuned; once an outer cell's search is over and its trials have
// ended, its best succeeded trial's settings run again on each other seed
// (cells marked "replicate"). Without it every seed has a search of its own.
//
// The scheduler asks for one cell at a time (SchedulerOptions::add_cell):
// replicates of a finished search first, then a trial of the outer cell
// with the fewest trials so far (so that parallel slots serve several outer
// cells), until every search is over and replicated.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/scheduler/bayes_search.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct SearchGroup {
  std::string key;  // the outer cell's hash
  Cell outer;       // the outer cell as the grid makes it (searched settings at their defaults)
  // The outer cell's search: the sweep with the outer cell's values as
  // constant parameters, the search's parameters, its run_cap and rule.
  SweepSpec spec;
  std::vector<nlohmann::json> replicate_seeds;  // the seeds its best setting runs on after tuning
};

// The outer cells of a sweep with a search inside each (with replicate: the
// grid on the first seed only). Errors are expand()'s.
Result<std::vector<SearchGroup>> search_groups(const SweepSpec& spec, int64_t max_cells = kDefaultMaxCells);

class NestedSearch {
 public:
  NestedSearch(const SweepSpec& spec, std::vector<SearchGroup> groups);

  // Adds one more cell (or a group's replicates) to the sweep: added; wait
  // while only searches with running trials are left to replicate; over
  // when every search is over and replicated.
  Result<SearchStep> add_cell(Store& store, const SweepRecord& sweep);

  const std::vector<SearchGroup>& groups() const { return groups_; }

 private:
  // Adds the replicates of a group whose search is over and whose trials
  // have ended: its best succeeded trial on each other seed. The number added.
  Result<int64_t> add_replicates(Store& store, const SweepRecord& sweep, const SearchGroup& group,
                                 const std::vector<SearchTrial>& trials);

  SweepSpec spec_;
  std::vector<SearchGroup> groups_;
  std::vector<BayesSearch> searches_;  // one per group
};

}  // namespace headroom
