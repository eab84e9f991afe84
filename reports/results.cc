#include "reports/results.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "orchestrator/spec/sweep_spec.h"
#include "reports/statistics.h"

namespace headroom {

std::vector<double> Configuration::finals(const std::string& metric) const {
  std::vector<double> values;
  for (const auto& replicate : replicates) {
    auto found = replicate.finals.find(metric);
    if (found != replicate.finals.end()) values.push_back(found->second);
  }
  return values;
}

std::map<int64_t, double> Configuration::finals_by_seed(const std::string& metric) const {
  std::map<int64_t, double> values;
  for (const auto& replicate : replicates) {
    auto found = replicate.finals.find(metric);
    if (found != replicate.finals.end()) values[replicate.seed] = found->second;
  }
  return values;
}

bool Configuration::at_unigram_baseline() const {
  const auto accuracy = finals("eval/accuracy"), baseline = finals("eval/unigram_accuracy");
  if (accuracy.empty() || baseline.empty()) return false;
  return summarize(accuracy).mean - summarize(baseline).mean <= 0.005;
}

std::optional<double> Configuration::number(const std::string& key) const {
  auto found = config.find(key);
  if (found == config.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

std::string Configuration::text(const std::string& key) const {
  auto found = config.find(key);
  if (found == config.end()) return "";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

namespace {

// Succeeded runs of the sweep's cells, keyed by cell id; the latest attempt
// wins should a cell have succeeded twice.
Result<std::map<int64_t, Replicate>> load_replicates(Store& store, int64_t sweep_id) {
  HEADROOM_ASSIGN_OR_RETURN(auto runs, store.succeeded_runs(sweep_id));
  std::map<int64_t, Replicate> by_cell;
  std::map<int64_t, int64_t> cell_of_run;
  for (const auto& run : runs) {
    Replicate replicate;
    replicate.run_id = run.run_id;
    replicate.cell_hash = run.cell_hash;
    replicate.started_at = run.started_at.value_or(0);
    replicate.ended_at = run.ended_at.value_or(0);
    replicate.seconds = run.started_at && run.ended_at ? *run.ended_at - *run.started_at : 0;
    replicate.device = run.device;
    replicate.host = run.host;
    replicate.precision = run.precision;
    cell_of_run[run.run_id] = run.cell_id;
    by_cell[run.cell_id] = std::move(replicate);
  }
  HEADROOM_ASSIGN_OR_RETURN(auto finals, store.final_values_of_succeeded_runs(sweep_id));
  for (const auto& final_value : finals) {
    auto& replicate = by_cell[cell_of_run[final_value.run_id]];
    if (replicate.run_id == final_value.run_id) replicate.finals[final_value.metric] = final_value.value;
  }
  return by_cell;
}

// A searched sweep's cells that stand for their outer cells: each search's
// best succeeded trial on `metric` and every replicate; fills the sweep's
// search fields. Empty (and nothing filled) for any other sweep.
std::set<int64_t> chosen_cells(const std::vector<CellRecord>& cells, const std::map<int64_t, Replicate>& replicates,
                               SweepResults& results) {
  std::set<int64_t> kept;
  if (std::none_of(cells.begin(), cells.end(), [](const CellRecord& cell) { return !cell.search_group.empty(); })) {
    return kept;
  }
  const SweepRecord& sweep = results.sweep;
  if (auto spec = parse_sweep(sweep.spec_text, sweep.spec_path); spec.ok() && spec->search) {
    results.search_method = spec->search->method;
    for (const auto& parameter : spec->search->parameters) results.searched.push_back(parameter.name);
  }
  results.selected_on = sweep.metric.value_or("eval/accuracy");
  const bool maximize = sweep.goal.value_or("maximize") != "minimize";
  std::map<std::string, std::pair<int64_t, double>> best;  // group -> (cell, value)
  int64_t trials = 0;
  for (const auto& cell : cells) {
    if (cell.search_role == "replicate") kept.insert(cell.id);
    if (cell.search_role != "trial") continue;
    ++trials;
    auto found = replicates.find(cell.id);
    if (found == replicates.end()) continue;
    auto value = found->second.finals.find(results.selected_on);
    if (value == found->second.finals.end()) continue;
    auto [current, added] = best.emplace(cell.search_group, std::make_pair(cell.id, value->second));
    if (!added && (maximize ? value->second > current->second.second : value->second < current->second.second)) {
      current->second = {cell.id, value->second};
    }
  }
  for (const auto& [group, choice] : best) kept.insert(choice.first);
  results.unchosen_trials = trials - int64_t(best.size());
  return kept;
}

// Every run of the sweep's cells that started.
Result<SweepResults::RunSpan> span_of_runs(Store& store, const std::vector<CellRecord>& cells) {
  SweepResults::RunSpan span;
  span.first_start = INFINITY;
  for (const auto& cell : cells) {
    HEADROOM_ASSIGN_OR_RETURN(auto runs, store.runs_of_cell(cell.id));
    for (const auto& run : runs) {
      if (!run.started_at) continue;
      ++span.runs;
      span.first_start = std::min(span.first_start, *run.started_at);
      // A lost run's end time is when its loss was noticed (after a restart: maybe hours later).
      if (run.state == RunState::lost) ++span.lost;
      if (!run.ended_at || run.state == RunState::lost) continue;
      span.last_end = std::max(span.last_end, *run.ended_at);
      span.seconds += *run.ended_at - *run.started_at;
    }
  }
  if (span.runs == 0) span.first_start = 0;
  return span;
}

}  // namespace

Result<SweepResults> load_sweep_results(Store& store, const SweepRecord& sweep) {
  SweepResults results;
  results.sweep = sweep;
  HEADROOM_ASSIGN_OR_RETURN(auto cells, store.cells(sweep.id));
  HEADROOM_ASSIGN_OR_RETURN(auto replicates, load_replicates(store, sweep.id));
  HEADROOM_ASSIGN_OR_RETURN(auto names, store.parameter_names(sweep.id));
  const std::set<int64_t> chosen = chosen_cells(cells, replicates, results);
  const bool searched = !chosen.empty();
  if (searched) {
    HEADROOM_ASSIGN_OR_RETURN(auto span, span_of_runs(store, cells));
    results.search_runs = span;
  }
  std::map<std::string, int64_t> trials_of_group;
  for (const auto& cell : cells) {
    if (cell.search_role == "trial") ++trials_of_group[cell.search_group];
  }
  for (const auto& name : names) {
    if (name != "seed" && std::find(results.searched.begin(), results.searched.end(), name) == results.searched.end()) {
      results.swept.push_back(name);
    }
  }
  std::map<std::string, size_t> index_of_config;
  for (const auto& cell : cells) {
    ++results.cell_states[std::string(to_string(cell.state))];
    if (searched && !chosen.count(cell.id)) continue;
    nlohmann::json config = cell.config;
    const int64_t seed = config.value("seed", int64_t(0));
    config.erase("seed");
    nlohmann::json chosen_settings = nlohmann::json::object();
    for (const auto& name : results.searched) {
      if (config.contains(name)) chosen_settings[name] = config[name];
      config.erase(name);
    }
    auto [position, added] = index_of_config.emplace(config.dump(), results.configurations.size());
    if (added) {
      Configuration configuration;
      configuration.config = config;
      configuration.parameters = cell.parameters;
      configuration.parameters.erase("seed");
      for (const auto& name : results.searched) configuration.parameters.erase(name);
      if (searched) configuration.selection = Selection{};
      configuration.parameter_count = cell.parameter_count;
      configuration.non_embedding_parameters = cell.non_embedding_parameters;
      configuration.flops_per_token = cell.flops_per_token;
      results.configurations.push_back(std::move(configuration));
    }
    if (auto& selection = results.configurations[position->second].selection) {
      if (cell.search_role == "replicate") {
        selection->replicated_on.push_back(seed);
      } else {
        selection->chosen[seed] = chosen_settings;
        selection->trials = trials_of_group[cell.search_group];
      }
    }
    auto found = replicates.find(cell.id);
    if (found == replicates.end()) continue;
    found->second.seed = seed;
    results.configurations[position->second].replicates.push_back(std::move(found->second));
    ++results.succeeded_runs;
  }
  return results;
}

Result<std::vector<CurvePoint>> mean_curve(Store& store, const Configuration& configuration,
                                           const std::string& metric) {
  std::map<int64_t, std::vector<double>> by_step;
  for (const auto& replicate : configuration.replicates) {
    HEADROOM_ASSIGN_OR_RETURN(auto points, store.curve(replicate.run_id, metric));
    for (const auto& point : points) {
      if (point.value) by_step[point.step].push_back(*point.value);
    }
  }
  std::vector<CurvePoint> curve;
  for (const auto& [step, values] : by_step) {
    if (values.size() != configuration.replicates.size()) continue;
    Summary summary = summarize(values);
    curve.push_back({step, summary.mean, summary.standard_deviation});
  }
  return curve;
}

}  // namespace headroom
