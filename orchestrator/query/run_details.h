#pragma once
// Everything the database knows about one run, as one JSON object: its sweep
// and cell, attempt and state, exit, times, parameters, model size (or the
// program it ran), tags, error, final metrics, the cell's other attempts,
// notes, the paths of its run folder and its config. What `headroom show
// --json` prints and `headroom serve`'s /api/runs/ID answers.

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

Result<nlohmann::ordered_json> run_details(Store& store, const RunRecord& run);

}  // namespace headroom
