#pragma once
// Expands a validated sweep spec into cells: the product of the swept values
// (later parameters vary fastest), per-value overrides applied, each cell's
// trainer config resolved and sized. Pure: no I/O.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/core/result.h"
#include "orchestrator/spec/sweep_spec.h"
#include "trainer/model_shape.h"

namespace headroom {

struct Cell {
  // SHA-256 of the canonical config (sorted keys, typed numbers, execution-only
  // settings removed): the same cell in two sweeps has the same hash.
  std::string hash;
  nlohmann::json parameters;  // the swept values (and overrides) of this cell, sorted keys
  nlohmann::json config;      // the complete resolved trainer config
  trainer::ModelSize size;
  double estimated_training_flops = 0;  // flops per token x tokens the run trains on
};

// Derived values shown with a cell (head size is resolved in `config`).
struct Expansion {
  std::vector<Cell> cells;
};

// Expands the grid. A cell whose config is invalid (for example standard
// attention where heads does not divide d_model) is an error at the swept
// value's location; identical cells are an error too. All problems at once.
Result<Expansion> expand(const SweepSpec& spec);

// The hash of a resolved trainer config (used by expand and by tests).
std::string cell_hash(const nlohmann::json& resolved_config);

}  // namespace headroom
