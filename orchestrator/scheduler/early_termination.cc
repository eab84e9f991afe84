#include "orchestrator/scheduler/early_termination.h"

#include <map>

#include "orchestrator/search/hyperband.h"

namespace headroom {

std::optional<EarlyTermination> early_termination_of(const SweepSpec& spec) {
  const auto& rule = spec.search ? spec.search->early_terminate : spec.early_terminate;
  if (!rule || !spec.metric) return std::nullopt;
  return EarlyTermination{*rule, spec.metric->name, spec.metric->maximize()};
}

Result<std::vector<EarlyStop>> early_stops(Store& store, int64_t sweep_id, const EarlyTermination& termination) {
  HEADROOM_ASSIGN_OR_RETURN(auto histories, store.metric_histories(sweep_id, termination.metric));
  // Each search inside a grid cell judges its trials among themselves (a
  // small model's trials against a large one's would say nothing); the
  // chosen setting's replicates are not judged.
  std::map<std::string, std::vector<HyperbandRun>> groups;
  for (auto& history : histories) {
    if (history.search_role == "replicate") continue;
    groups[history.search_group].push_back({history.run_id, is_active(history.state), std::move(history.values)});
  }
  std::vector<EarlyStop> stops;
  for (const auto& [group, runs] : groups) {
    for (const auto& stop : hyperband_stops(termination.rule, termination.maximize, runs)) {
      stops.push_back({stop.id, stop.reason()});
    }
  }
  return stops;
}

}  // namespace headroom
