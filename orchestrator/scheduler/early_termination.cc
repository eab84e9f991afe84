#include "orchestrator/scheduler/early_termination.h"

#include "orchestrator/search/hyperband.h"

namespace headroom {

std::optional<EarlyTermination> early_termination_of(const SweepSpec& spec) {
  if (!spec.early_terminate || !spec.metric) return std::nullopt;
  return EarlyTermination{*spec.early_terminate, spec.metric->name, spec.metric->goal != "minimize"};
}

Result<std::vector<EarlyStop>> early_stops(Store& store, int64_t sweep_id, const EarlyTermination& termination) {
  HEADROOM_ASSIGN_OR_RETURN(auto histories, store.metric_histories(sweep_id, termination.metric));
  std::vector<HyperbandRun> runs;
  runs.reserve(histories.size());
  for (auto& history : histories) {
    runs.push_back({history.run_id, is_active(history.state), std::move(history.values)});
  }
  std::vector<EarlyStop> stops;
  for (const auto& stop : hyperband_stops(termination.rule, termination.maximize, runs)) {
    stops.push_back({stop.id, stop.reason()});
  }
  return stops;
}

}  // namespace headroom
