#pragma once
// Expands a validated sweep spec into cells: for a grid the product of the
// swept values (later parameters vary fastest, zip groups as one axis), for
// random search run_cap seeded draws; then per-value overrides, derived
// parameters, the budget match (budget.h), include/exclude and constraints,
// and each cell's trainer config resolved and sized (for a program's sweep,
// its parameters as they are). Pure: no I/O.

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/grid/budget.h"
#include "orchestrator/spec/resources.h"
#include "orchestrator/spec/sweep_spec.h"
#include "trainer/model_shape.h"

namespace headroom {

struct Cell {
  // SHA-256 of the canonical config (sorted keys, typed numbers; resources
  // and implementation choices such as `kernels` removed): the same cell in
  // two sweeps has the same hash.
  std::string hash;
  nlohmann::json parameters;  // the swept values (and overrides) of this cell, sorted keys
  nlohmann::json config;      // the complete resolved trainer config
  CellResources resources;    // what it asks of the machine (spec/resources.h)
  trainer::ModelSize size;
  double estimated_training_flops = 0;  // flops per token x tokens the run trains on
  std::optional<BudgetSolution> budget;  // the sweep's `match`, where it applied to this cell
  // A program's sweep: the program the cell runs (program_spec.h's stored
  // form); its config is then the cell's parameters, nothing resolved, and
  // its size and FLOPs are unknown (0). Null: headroom-train.
  nlohmann::json worker;
  // Made by a search inside each grid cell (scheduler/nested_search.h): the
  // outer cell's hash, and "trial" (a tuning trial) or "replicate" (the
  // chosen setting on another seed). Empty for every other cell.
  std::string search_group, search_role;
};

// A grid point a constraint ruled out; never stored or launched.
struct ExcludedCell {
  nlohmann::json parameters;
  std::string reason;
};

struct Expansion {
  std::vector<Cell> cells;
  std::vector<ExcludedCell> excluded;
};

// Random search without run_cap draws until stopped, as W&B's does: expand()
// draws this many cells (what plan shows), and `headroom run` draws that
// many more each time the cells drawn so far are done.
inline constexpr int64_t kRandomDrawsPerRound = 10;

// The default of `headroom plan/run --max-cells`: at about 5 KB a cell, a
// grid this large takes half a gigabyte to expand and seconds to plan.
inline constexpr int64_t kDefaultMaxCells = 100000;

// Expands the grid (a bayes sweep has no cells before it runs: its search
// makes them, scheduler/bayes_search.h; for it, expand() checks only that its
// expressions parse and read names a cell can have). Derived parameters are computed after overrides, then
// constraints exclude cells (they see the parameters as written plus the
// trainer's defaults). A remaining cell whose config is invalid (for example
// standard attention where heads does not divide d_model) is an error at the
// value's location; identical cells are an error too. All problems at once.
// Before any cell is built, a grid of more than `max_cells` points (or a
// random search's run_cap above it) is refused at its largest axis, so no
// sweep file can exhaust memory.
Result<Expansion> expand(const SweepSpec& spec, int64_t max_cells = kDefaultMaxCells);

// A point a search chose (`values`: a value for each swept parameter, as
// TpeSampler proposes them) made into its cell the way expand() makes one:
// base, overrides, derived parameters, the budget match, then the
// constraints. Either the cell, or why it cannot be one (a constraint rules
// it out, or its config is invalid: the diagnostics' text), since a search
// that proposes such a point goes on with the next.
std::variant<Cell, ExcludedCell> cell_of_point(const SweepSpec& spec, const nlohmann::json& values);

// A trainer config with every setting it lacks at the trainer's default, as
// headroom-train reads it: a cell stored before a setting existed is the same
// cell as one expanded today, whose config names every setting. The store
// reads trainer cells' configs through it.
nlohmann::json with_trainer_defaults(const nlohmann::json& config);

// The hash of a resolved trainer config, completed by with_trainer_defaults
// (used by expand, by the store and by tests). A cell stored before a setting
// existed keeps the hash it was stored with: that hash names its run folders.
std::string cell_hash(const nlohmann::json& resolved_config);
// The hash of a program's cell: its parameters and program_identity().
std::string program_cell_hash(const nlohmann::json& parameters, const ProgramSpec& program);

}  // namespace headroom
