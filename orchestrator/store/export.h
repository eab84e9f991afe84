#pragma once
// A database of some sweeps only, fit to commit beside a report or to share:
// every row of those sweeps (cells, runs, metric points, summaries, notes,
// tags) and nothing of the others, with what only made sense on the machine
// that ran them removed: hosts, pids, the orchestrator that drove them, and
// absolute run folders (they become runs/SWEEP/CELL/ATTEMPT, under a runs
// root of "runs"). Any headroom reads it like the original: `headroom --db
// FILE report ...`.

#include <string>
#include <vector>

#include "common/result.h"

namespace headroom {

// Writes the export of `sweeps` (names; at least one, each in `source`) to
// `target`, which must not exist. `source` is only read, and may be in use by
// a running sweep. An invalid-input error names a sweep that is not there.
Status export_sweeps(const std::string& source, const std::vector<std::string>& sweeps, const std::string& target);

}  // namespace headroom
