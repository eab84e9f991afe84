#pragma once
// A small results database with known values, built through the real paths
// (Store, events files read by ingestion, attempts ended by the lifecycle),
// for tests of queries, exports and reports.
//
// Sweep "scale": d_model {64, 128} x heads {1, 4, 16} x attention {standard,
// fixed (head_size 32)}, 12 cells, one succeeded run each, whose final
// eval/accuracy is expected_accuracy(...) and whose train/loss curve is
// 3.0, 2.0, 1.0 + heads/100 at steps 10, 20, 30. The cell (64, 16, standard)
// also has a failed first attempt (exit 1, error "boom\nlast line") before
// its succeeded second one: 13 runs in all.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/store/store.h"

namespace headroom::testing {

double expected_accuracy(int d_model, int heads, const std::string& attention);

// Creates the database at `path`, run folders under `runs_root`.
void build_results_fixture(const std::string& path, const std::string& runs_root);

// For store tests: a decision for Store::finish_run that records this
// outcome whatever the cell's history.
std::function<AttemptOutcome(const CellHistory&)> recorded(RunState run, CellState cell,
                                                           std::optional<int64_t> exit_code = std::nullopt,
                                                           std::optional<std::string> error = std::nullopt);

// The final values a cell's run logs, as {"metric": value, ...}.
using FinalValues = std::function<nlohmann::json(const CellRecord& cell)>;

// Registers the sweep written in `yaml` in the database at `path` (created if
// missing) and gives every cell one succeeded run on host "fixture-host":
// an eval event at steps 10, 20 and 30 logs final_values(cell)
// scaled by step/30 (so step 30 holds the final values themselves).
void add_finished_sweep(const std::string& path, const std::string& runs_root, const std::string& yaml,
                        const FinalValues& final_values);

}  // namespace headroom::testing
