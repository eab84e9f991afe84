#include "orchestrator/scheduler/bayes_search.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace headroom {
namespace {

bool minimizes(const SweepSpec& spec) { return spec.metric && !spec.metric->maximize(); }

TpeSettings settings_for(const SweepSpec& spec, bool random_only) {
  TpeSettings settings = sampler_settings(spec.tpe);
  // TPE's startup trials are random search's draws: never leaving them is random search.
  if (random_only) settings.startup_trials = std::numeric_limits<int>::max();
  return settings;
}

nlohmann::json sampler_json_of(const TpeSettings& s, bool random_only, uint64_t seed) {
  return {{"sampler", random_only ? "random" : "tpe"},
          {"seed", seed},
          {"startup_trials", s.startup_trials},
          {"ei_candidates", s.ei_candidates},
          {"prior_weight", s.prior_weight},
          {"consider_magic_clip", s.consider_magic_clip},
          {"consider_endpoints", s.consider_endpoints},
          {"constant_liar", s.constant_liar},
          {"gamma_fraction", s.gamma_fraction},
          {"gamma_cap", s.gamma_cap},
          {"flat_weights", s.flat_weights},
          {"normal_truncation", s.normal_truncation},
          {"multivariate", s.multivariate}};
}

// Each setting the sweep file does not choose is the one the search started
// with, its first stored proposal's, so that a search resumed by a binary
// with other defaults (or after `--extend` dropped a `tpe:` key) keeps its
// sampler and its proposals stay a function of what it recorded. A first
// proposal without `multivariate` was made by a binary from before the
// setting, which sampled univariately.
void keep_started_settings(const std::vector<SearchTrial>& stored, const std::optional<SamplerOptions>& chosen,
                           bool random_only, TpeSettings& settings) {
  if (stored.empty()) return;
  const nlohmann::json& sampler = stored.front().sampler;
  const bool recorded = sampler.is_object();
  if (!(chosen && chosen->multivariate)) {
    const auto found = recorded ? sampler.find("multivariate") : sampler.end();
    settings.multivariate = recorded && found != sampler.end() && found->is_boolean() && found->get<bool>();
  }
  if (!(chosen && chosen->startup_trials) && !random_only && recorded) {
    const auto found = sampler.find("startup_trials");
    if (found != sampler.end() && found->is_number_integer() && found->get<int64_t>() >= 1 &&
        found->get<int64_t>() <= std::numeric_limits<int>::max()) {
      settings.startup_trials = int(found->get<int64_t>());
    }
  }
}

}  // namespace

TpeSettings sampler_settings(const std::optional<SamplerOptions>& options) {
  TpeSettings settings;
  if (options && options->startup_trials) settings.startup_trials = *options->startup_trials;
  if (options && options->multivariate) settings.multivariate = *options->multivariate;
  return settings;
}

bool trial_running(const SearchTrial& trial) {
  return trial.cell_state == CellState::pending || trial.cell_state == CellState::running;
}

BayesSearch::BayesSearch(const SweepSpec& spec, std::string search_group, bool random_only)
    : spec_(spec),
      search_group_(std::move(search_group)),
      random_only_(random_only),
      sampler_(spec.parameters, minimizes(spec), settings_for(spec, random_only), spec.random_seed) {}

nlohmann::json BayesSearch::sampler_json() const {
  return sampler_json_of(sampler_.settings(), random_only_, spec_.random_seed);
}

Result<SearchStep> BayesSearch::add_cell(Store& store, const SweepRecord& sweep) {
  if (!spec_.metric) return Error::internal("a bayes sweep without a metric");
  HEADROOM_ASSIGN_OR_RETURN(auto stored, store.search_trials(sweep.id, search_group_, spec_.metric->name));
  TpeSettings settings = sampler_.settings();
  keep_started_settings(stored, spec_.tpe, random_only_, settings);
  const TpeSampler sampler(spec_.parameters, minimizes(spec_), settings, spec_.random_seed);
  const nlohmann::json sampler_json = sampler_json_of(settings, random_only_, spec_.random_seed);
  std::vector<Trial> trials;
  std::map<int64_t, Trial> trial_of_cell;  // as it stands now
  int fruitless = 0;  // proposals at the end that made no new cell
  for (const auto& proposal : stored) {
    if (!proposal.cell_id) {
      ++fruitless;
      continue;
    }
    Trial trial;
    trial.parameters = proposal.parameters;
    const CellState state = proposal.cell_state.value_or(CellState::failed);
    trial.running = trial_running(proposal);
    if (state == CellState::succeeded || state == CellState::stopped_early) trial.value = proposal.value;
    fruitless = trial_of_cell.emplace(*proposal.cell_id, trial).second ? 0 : fruitless + 1;
    trials.push_back(std::move(trial));
  }
  const auto over = [&] {
    return (spec_.run_cap > 0 && int64_t(trial_of_cell.size()) >= spec_.run_cap) ||
           fruitless >= kFruitlessProposalsBeforeGivingUp;
  };
  for (int64_t index = int64_t(stored.size()); !over(); ++index) {
    ProposalRecord proposal;
    proposal.search_group = search_group_;
    proposal.index = index;
    proposal.parameters = sampler.propose(trials, uint64_t(index));
    proposal.sampler = sampler_json;
    proposal.trials_seen = int64_t(trials.size());
    auto made = cell_of_point(spec_, proposal.parameters);
    Cell* cell = std::get_if<Cell>(&made);
    if (!cell) proposal.excluded = std::get<ExcludedCell>(made).reason;
    if (cell && !search_group_.empty()) {
      cell->search_group = search_group_;
      cell->search_role = "trial";
    }
    HEADROOM_ASSIGN_OR_RETURN(auto added, store.add_proposal(sweep.id, proposal, cell));
    if (added.second) return SearchStep::added;
    ++fruitless;
    if (added.first) {
      // A repeat of a cell the sweep has: its trial counts again, as it stands.
      auto earlier = trial_of_cell.find(*added.first);
      if (earlier != trial_of_cell.end()) {
        Trial repeat = earlier->second;
        repeat.parameters = proposal.parameters;
        trials.push_back(std::move(repeat));
      }
    }
  }
  return SearchStep::over;
}

Expansion BayesSearch::first_proposals(int count) const {
  Expansion expansion;
  std::set<std::string> seen;
  for (int index = 0; index < std::min(count, sampler_.settings().startup_trials); ++index) {
    auto made = cell_of_point(spec_, sampler_.propose({}, uint64_t(index)));
    if (auto* cell = std::get_if<Cell>(&made)) {
      if (seen.insert(cell->hash).second) expansion.cells.push_back(std::move(*cell));
    } else {
      expansion.excluded.push_back(std::get<ExcludedCell>(made));
    }
  }
  return expansion;
}

}  // namespace headroom
