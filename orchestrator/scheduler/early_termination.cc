#include "orchestrator/scheduler/early_termination.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/protocol.h"
#include "common/text_file.h"
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

Status record_early_stop(const std::string& run_dir, const std::string& reason) {
  // Written aside and renamed: a reader never sees half a reason. What a
  // process has written survives its kill -9; only the machine's crash
  // could lose it, and then the worker is gone too.
  const std::filesystem::path folder(run_dir), file = folder / protocol::kEarlyStopFile;
  const std::filesystem::path partial = folder / (std::string(protocol::kEarlyStopFile) + ".partial");
  HEADROOM_RETURN_IF_ERROR(write_text_file(partial.string(), reason));
  if (std::rename(partial.c_str(), file.c_str()) != 0) {
    return Error::io("cannot rename '" + partial.string() + "': " + std::strerror(errno));
  }
  return Ok{};
}

std::string recorded_early_stop(const std::string& run_dir) {
  std::ifstream in(std::filesystem::path(run_dir) / protocol::kEarlyStopFile);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace headroom
