#include "orchestrator/scheduler/reopen.h"

#include <algorithm>

namespace headroom {

Result<Reopening> failed_cells_to_reopen(Store& store, const SweepRecord& sweep, const LifecyclePolicy& policy,
                                         const RetryFailed& retry) {
  HEADROOM_ASSIGN_OR_RETURN(auto failed, store.failed_cell_histories(sweep.id));
  std::vector<int64_t> named;
  if (retry.asked && !retry.cells.empty()) {
    HEADROOM_ASSIGN_OR_RETURN(auto cells, store.cells(sweep.id));
    for (const auto& prefix : retry.cells) {
      std::vector<const CellRecord*> matches;
      for (const auto& cell : cells) {
        if (!prefix.empty() && cell.hash.rfind(prefix, 0) == 0) matches.push_back(&cell);
      }
      if (matches.empty()) {
        return Error::invalid("--retry-failed: no cell '" + prefix + "' in sweep '" + sweep.name +
                              "' (use the 'cell' column of 'headroom runs " + sweep.name + "')");
      }
      if (matches.size() > 1) {
        return Error::invalid("--retry-failed: '" + prefix + "' begins " + std::to_string(matches.size()) +
                              " cells of sweep '" + sweep.name + "': give more of the hash");
      }
      if (matches[0]->state != CellState::failed) {
        return Error::invalid("--retry-failed: cell '" + prefix + "' of sweep '" + sweep.name + "' is " +
                              std::string(to_string(matches[0]->state)) + ", not failed");
      }
      named.push_back(matches[0]->id);
    }
  }
  Reopening reopening;
  for (const auto& cell : failed) {
    const bool asked = retry.asked && (retry.cells.empty() ||
                                       std::find(named.begin(), named.end(), cell.cell_id) != named.end());
    if (asked) {
      reopening.asked_for.push_back(cell.cell_id);
    } else if (retries_now_allow(cell.history, policy)) {
      reopening.allowed_by_retries.push_back(cell.cell_id);
    }
  }
  return reopening;
}

Status reopen(Store& store, const SweepRecord& sweep, const Reopening& reopening) {
  HEADROOM_RETURN_IF_ERROR(store.reopen_failed_cells(sweep.id, reopening.allowed_by_retries, false));
  HEADROOM_RETURN_IF_ERROR(store.reopen_failed_cells(sweep.id, reopening.asked_for, true));
  return Ok{};
}

}  // namespace headroom
