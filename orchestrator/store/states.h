#pragma once
// The states of sweeps, cells and runs (attempts), each with its one spelling.
// The store writes and reads these strings; the schema's CHECK constraints
// list the same ones (store_test checks that every state is accepted and
// that no other is); everything else compares the enums. What moves a cell or
// a run from one state to another is decided in scheduler/lifecycle.h.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace headroom {

// A sweep as its orchestrator left it.
enum class SweepState {
  registered,   // recorded, never run
  running,      // an orchestrator drives it (sweeps.orchestrator_host/pid)
  finished,     // no cell left to run
  interrupted,  // its orchestrator stopped with cells left: `headroom resume` continues
};

// A cell of a sweep.
enum class CellState {
  pending,    // waits for an attempt (or for its retry)
  running,    // an attempt is starting or running
  succeeded,  // one attempt succeeded; it never runs again
  failed,     // its attempts failed and no retry is left
  cancelled,  // `headroom cancel` took it; `resume --include-cancelled` reopens it
  stopped_early,  // the sweep's early_terminate rule stopped its attempt: done, never run again
};

// One attempt at a cell.
enum class RunState {
  starting,   // recorded, its worker not yet known to run
  running,
  succeeded,  // the worker ended "ok"
  failed,     // crashed, hung, or ended badly: retried while the sweep's retries allow
  diverged,   // the loss became NaN or infinite: not retried
  invalid,    // the worker refused its config: not retried
  lost,       // the worker vanished or its node failed: the cell runs again
  cancelled,  // stopped by the user or the orchestrator's own interruption
  timeout,    // stopped at the sweep's time limit: not retried
  stopped_early,  // stopped by the sweep's early_terminate rule: its metrics kept, not retried
};

std::string_view to_string(SweepState state);
std::string_view to_string(CellState state);
std::string_view to_string(RunState state);

// The state a stored string names; nullopt for any other string.
std::optional<SweepState> parse_sweep_state(std::string_view text);
std::optional<CellState> parse_cell_state(std::string_view text);
std::optional<RunState> parse_run_state(std::string_view text);

// Every state, in the order tables and counts show them.
const std::vector<SweepState>& all_sweep_states();
const std::vector<CellState>& all_cell_states();
const std::vector<RunState>& all_run_states();

// Runs whose worker may still be alive: starting and running.
const std::vector<RunState>& active_run_states();
bool is_active(RunState state);

// "'starting', 'running'": states as an SQL list, for the store's queries.
std::string sql_list(const std::vector<RunState>& states);
std::string sql_list(const std::vector<CellState>& states);

}  // namespace headroom
