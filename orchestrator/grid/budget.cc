#include "orchestrator/grid/budget.h"

#include <cmath>

#include "common/number_format.h"
#include "trainer/model_shape.h"

namespace headroom {
namespace {

// The trainer config of a cell's settings, or nullopt when they are invalid.
std::optional<trainer::TrainerConfig> resolved(const nlohmann::json& settings) {
  auto parsed = trainer::parse_config(settings);
  if (!parsed.problems.empty()) return std::nullopt;
  return parsed.config;
}

// The range a free setting is searched over.
std::pair<int64_t, int64_t> candidates(const std::string& solve) {
  if (solve == "ffn_mult") return {1, 64};
  if (solve == "d_model") return {1, 8192};
  return {1, 1024};  // heads
}

}  // namespace

double budget_of(const std::string& budget, const trainer::TrainerConfig& config) {
  const auto size = trainer::model_size(trainer::model_shape(config));
  if (budget == "parameters") return double(size.parameters);
  if (budget == "non_embedding_parameters") return double(size.non_embedding_parameters);
  if (budget == "training_flops_per_token") return size.training_flops_per_token;
  return size.training_flops_per_token * double(config.steps) * double(config.batch_size) * double(config.seq_len);
}

bool budget_applies(const BudgetMatch& match, const nlohmann::json& settings) {
  for (const auto& [name, value] : match.where) {
    if (!settings.contains(name) || settings[name] != value.value) return false;
  }
  return true;
}

std::variant<BudgetSolution, std::string> solve_budget(const BudgetMatch& match, const nlohmann::json& settings) {
  BudgetSolution solution;
  if (match.target) {
    solution.target = *match.target;
  } else {
    nlohmann::json reference = settings;
    for (const auto& [name, value] : match.like) reference[name] = value.value;
    // Standard attention derives its head size: a fixed cell's head_size does not carry over.
    if (!match.like.count("head_size") && reference.value("attention", "standard") == "standard") {
      reference.erase("head_size");
    }
    auto config = resolved(reference);
    if (!config) return std::string("the cell it is matched to (with 'like') is not a valid config");
    solution.target = budget_of(match.budget, *config);
  }
  const auto [first, last] = candidates(match.solve);
  std::optional<double> best_distance;
  for (int64_t candidate = first; candidate <= last; ++candidate) {
    nlohmann::json trial = settings;
    trial[match.solve] = candidate;
    // Standard attention derives head_size from d_model and heads: let it.
    if (match.solve != "ffn_mult" && trial.value("attention", "standard") == "standard") trial.erase("head_size");
    auto config = resolved(trial);
    if (!config) continue;
    const double achieved = budget_of(match.budget, *config);
    const double distance = std::fabs(achieved - solution.target);
    if (!best_distance || distance < *best_distance) {
      best_distance = distance;
      solution.value = candidate;
      solution.achieved = achieved;
    }
  }
  if (!best_distance) return "no value of '" + match.solve + "' gives a valid config";
  if (std::fabs(solution.relative_error()) > match.tolerance) {
    return "the closest " + match.solve + " (" + solution.value.dump() + ") gives " +
           significant(solution.achieved, 6) + " " + match.budget + ", " + significant(100 * std::fabs(solution.relative_error()), 3) +
           "% from the target " + significant(solution.target, 6) + "; the tolerance is " +
           significant(100 * match.tolerance, 3) + "%";
  }
  return solution;
}

}  // namespace headroom
