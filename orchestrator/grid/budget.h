#pragma once
// Matching cells to a budget (the sweep's `match:`, docs/sweeps.md): for a
// cell's settings, the value of the free setting whose budget (parameters,
// non-embedding parameters, training FLOPs) comes closest to the target.
// Pure: no I/O.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "orchestrator/spec/sweep_spec.h"
#include "trainer/config.h"

namespace headroom {

// A resolved trainer config's budget of the given kind (BudgetMatch::budget).
double budget_of(const std::string& budget, const trainer::TrainerConfig& config);

struct BudgetSolution {
  nlohmann::json value;  // of the solved setting
  double achieved = 0, target = 0;
  double relative_error() const { return target > 0 ? (achieved - target) / target : 0; }
};

// Whether the match applies to a cell with these settings: it has every value of `where`.
bool budget_applies(const BudgetMatch& match, const nlohmann::json& settings);

// Solves `match` for a cell's trainer settings: the candidate values of the
// free setting (ffn_mult 1..64, d_model 1..8192, heads 1..1024; those that
// make an invalid config are skipped) and the one whose budget is closest to
// the target (the smaller on a tie). The reason, when the target cannot be
// computed or no value comes within the tolerance.
std::variant<BudgetSolution, std::string> solve_budget(const BudgetMatch& match, const nlohmann::json& settings);

// The budget of a config read from a cell's settings (trainer::read_config)
// with the free setting at `candidate`; nullopt when that config is invalid.
std::optional<double> budget_with(const BudgetMatch& match, const trainer::TrainerConfig& read, int64_t candidate);

struct Candidate {
  int64_t value = 0;
  double budget = 0;
};

// The candidate in [first, last] whose budget is closest to `target`, the
// smaller on a tie; `budget` is nullopt for an invalid candidate. Every
// budget grows (never shrinks) with each free setting, so a binary search
// finds it with a few dozen budgets instead of thousands per cell (a grid of
// many matched cells plans in seconds). nullopt when no candidate is valid.
std::optional<Candidate> closest_candidate(int64_t first, int64_t last, double target,
                                           const std::function<std::optional<double>(int64_t)>& budget);

}  // namespace headroom
