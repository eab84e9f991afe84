#include "orchestrator/scheduler/nested_search.h"

#include <algorithm>
#include <optional>
#include <set>

namespace headroom {
namespace {

Location location_of(const SweepSpec& spec, const std::string& name) {
  for (const auto& parameter : spec.parameters) {
    if (parameter.name == name) return parameter.where;
  }
  for (const auto& derived : spec.derived) {
    if (derived.name == name) return derived.expression.where;
  }
  return Location{spec.file};
}

}  // namespace

Result<std::vector<SearchGroup>> search_groups(const SweepSpec& spec, int64_t max_cells) {
  if (!spec.search) return Error::internal("search_groups of a sweep without a search");
  const InnerSearch& search = *spec.search;
  SweepSpec outer = spec;
  outer.search.reset();
  std::vector<nlohmann::json> other_seeds;
  if (search.replicate) {
    for (auto& parameter : outer.parameters) {
      if (parameter.name != "seed" || parameter.values.size() < 2) continue;
      for (size_t i = 1; i < parameter.values.size(); ++i) other_seeds.push_back(parameter.values[i].value);
      parameter.values.resize(1);
    }
  }
  HEADROOM_ASSIGN_OR_RETURN(Expansion expansion, expand(outer, max_cells));
  std::vector<SearchGroup> groups;
  for (auto& cell : expansion.cells) {
    SearchGroup group;
    group.key = cell.hash;
    SweepSpec& inner = group.spec;
    inner = spec;
    inner.search.reset();
    inner.method = "bayes";
    inner.run_cap = search.run_cap;
    inner.early_terminate = search.early_terminate;
    inner.tpe = search.tpe;
    inner.zipped.clear();
    inner.include.clear();
    inner.exclude.clear();
    // A matched outer cell's solved setting is one of its constants below:
    // its trials train that very model. Solving it again would not: `like`'s
    // reference cell would take the solved value as its own (a 331k model
    // matched to a 563k one).
    inner.match.reset();
    // The outer cell's values as constants: they are its trials' parameters
    // too (filters and tables see them), and its search does not vary them.
    inner.parameters.clear();
    for (const auto& [name, value] : cell.parameters.items()) {
      ParameterSpec constant;
      constant.name = name;
      constant.where = location_of(spec, name);
      constant.values = {SpecValue{value, constant.where}};
      constant.distribution.kind = "constant";
      constant.distribution.where = constant.where;
      inner.parameters.push_back(std::move(constant));
    }
    inner.parameters.insert(inner.parameters.end(), search.parameters.begin(), search.parameters.end());
    group.replicate_seeds = other_seeds;
    group.outer = std::move(cell);
    groups.push_back(std::move(group));
  }
  return groups;
}

NestedSearch::NestedSearch(const SweepSpec& spec, std::vector<SearchGroup> groups)
    : spec_(spec), groups_(std::move(groups)) {
  for (const auto& group : groups_) {
    searches_.emplace_back(group.spec, group.key, spec.search && spec.search->method == "random");
  }
}

Result<int64_t> NestedSearch::add_replicates(Store& store, const SweepRecord& sweep, const SearchGroup& group,
                                             const std::vector<SearchTrial>& trials) {
  if (group.replicate_seeds.empty()) return int64_t(0);
  const bool minimize = spec_.metric && !spec_.metric->maximize();
  // The best trial that trained to its end (a stopped one did not).
  const SearchTrial* best = nullptr;
  for (const auto& trial : trials) {
    if (trial.cell_state != CellState::succeeded || !trial.value) continue;
    if (!best || (minimize ? *trial.value < *best->value : *trial.value > *best->value)) best = &trial;
  }
  if (!best) return int64_t(0);
  std::vector<Cell> replicates;
  for (const auto& seed : group.replicate_seeds) {
    SweepSpec on_seed = group.spec;
    nlohmann::json point = best->parameters;
    point["seed"] = seed;
    auto made = cell_of_point(on_seed, point);
    if (auto* cell = std::get_if<Cell>(&made)) {
      cell->search_group = group.key;
      cell->search_role = "replicate";
      replicates.push_back(std::move(*cell));
    }
  }
  return store.add_cells(sweep.id, replicates);
}

Result<SearchStep> NestedSearch::add_cell(Store& store, const SweepRecord& sweep) {
  const std::string& metric = spec_.metric->name;
  std::vector<std::pair<size_t, size_t>> order;  // (trials made, group), fewest first
  std::vector<bool> busy(groups_.size(), false);  // a trial still pending or running
  for (size_t i = 0; i < groups_.size(); ++i) {
    HEADROOM_ASSIGN_OR_RETURN(auto trials, store.search_trials(sweep.id, groups_[i].key, metric));
    std::set<int64_t> cells;
    for (const auto& trial : trials) {
      if (!trial.cell_id) continue;
      cells.insert(*trial.cell_id);
      busy[i] = busy[i] || trial_running(trial);
    }
    // A finished search is replicated first: its outer cell's result is then complete.
    if (int64_t(cells.size()) >= groups_[i].spec.run_cap && !busy[i]) {
      HEADROOM_ASSIGN_OR_RETURN(int64_t added, add_replicates(store, sweep, groups_[i], trials));
      if (added > 0) return SearchStep::added;
    }
    order.push_back({cells.size(), i});
  }
  std::sort(order.begin(), order.end());
  for (const auto& [made, i] : order) {
    HEADROOM_ASSIGN_OR_RETURN(SearchStep step, searches_[i].add_cell(store, sweep));
    if (step == SearchStep::added) return step;
  }
  // Every search is over; one that ended short of its run_cap (its space
  // exhausted) is replicated too, once its trials have ended.
  bool waiting = false;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (busy[i]) {
      waiting = waiting || !groups_[i].replicate_seeds.empty();
      continue;
    }
    HEADROOM_ASSIGN_OR_RETURN(auto trials, store.search_trials(sweep.id, groups_[i].key, metric));
    HEADROOM_ASSIGN_OR_RETURN(int64_t added, add_replicates(store, sweep, groups_[i], trials));
    if (added > 0) return SearchStep::added;
  }
  return waiting ? SearchStep::wait : SearchStep::over;
}

}  // namespace headroom
