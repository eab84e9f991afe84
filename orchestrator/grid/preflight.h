#pragma once
// What `headroom plan` and `headroom run` check of a sweep's cells before any
// worker starts, beyond what each config's own validation sees: the data the
// cells read is there. Today that is each distinct corpus of the text tasks
// (mlm, lm): it exists, holds text, and its held-out split is long enough for
// the cells' longest window. For a program's sweep: the program is there (and
// executable where it runs itself) and the interpreter and the command's first
// word can be found. The device and the trainer executable are checked
// where they are chosen (scheduler/placement.h, cli/run_command.cc).

#include "common/result.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

// Every problem at once, each at the sweep file's line where `corpus` was
// written (base or a swept parameter), or at the file when the default
// corpus is the one missing. Reads each corpus once per test_split setting.
Status check_cells_data(const SweepSpec& spec, const Expansion& expansion);

}  // namespace headroom
