#pragma once
// How a user names a run or a cell on the command line, the one rule every
// command that takes one follows (show, logs, note, tag, delete run, cancel):
//   - a run id, the number in the 'run' column of `headroom runs`;
//   - a cell-hash prefix, as the 'cell' column shows it, unique in the
//     database (or in the sweep the command is about);
//   - SWEEP/CELL, a prefix within that sweep.
// A cell stands for its latest attempt where a run is wanted. A number that is
// a run id names that run; a cell whose prefix is all digits is named
// SWEEP/CELL. An ambiguous prefix is an error listing the cells it matches.

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

// A cell named by `text`; with `sweep`, only cells of that sweep (SWEEP/ then
// must name it). A run id names the run's cell.
Result<CellRecord> find_cell(Store& store, const std::string& text, const std::optional<SweepRecord>& sweep = {});

// A run named by `text`: its id, or a cell's latest attempt (an error if the
// cell has not started yet).
Result<RunRecord> find_run(Store& store, const std::string& text);

}  // namespace headroom
