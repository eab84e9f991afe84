#include "orchestrator/grid/budget.h"

#include <algorithm>
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

std::optional<double> budget_with(const BudgetMatch& match, const trainer::TrainerConfig& read, int64_t candidate) {
  trainer::TrainerConfig trial = read;
  if (match.solve == "ffn_mult") {
    trial.ffn_mult = candidate;
  } else {
    (match.solve == "d_model" ? trial.d_model : trial.heads) = candidate;
    // Standard attention derives head_size from d_model and heads: let it.
    if (trial.attention == "standard") trial.head_size = 0;
  }
  if (!trainer::resolve(trial).empty()) return std::nullopt;
  return budget_of(match.budget, trial);
}

std::optional<Candidate> closest_candidate(int64_t first, int64_t last, double target,
                                           const std::function<std::optional<double>(int64_t)>& budget) {
  // The first valid candidate at or after `from`, remembering where none are
  // left (standard attention: no heads past d_model divide it).
  int64_t none_from = last + 1;
  auto valid_from = [&](int64_t from) -> std::optional<Candidate> {
    for (int64_t c = from; c < none_from; ++c) {
      if (auto b = budget(c)) return Candidate{c, *b};
    }
    none_from = std::min(none_from, from);
    return std::nullopt;
  };
  // The smallest candidate whose budget is at least `floor`: the budget only
  // grows with the candidate, so "the first valid one from m on reaches
  // floor, or there is none" is false, then true, as m grows.
  auto first_reaching = [&](double floor) -> std::optional<Candidate> {
    int64_t low = first, high = last + 1;
    while (low < high) {
      const int64_t middle = low + (high - low) / 2;
      auto found = valid_from(middle);
      if (!found || found->budget >= floor) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return low <= last ? valid_from(low) : std::nullopt;
  };
  const std::optional<Candidate> above = first_reaching(target);
  // The largest valid candidate below it, then the first with that budget.
  std::optional<Candidate> below;
  for (int64_t c = (above ? above->value : last + 1) - 1; c >= first; --c) {
    if (auto b = budget(c)) {
      below = first_reaching(*b);
      break;
    }
  }
  if (!above) return below;
  if (!below) return above;
  return target - below->budget <= above->budget - target ? below : above;  // the smaller on a tie
}

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
  // Read the settings once and vary the one field: thousands of candidates
  // per cell must not each copy and parse JSON.
  nlohmann::json base = settings;
  base[match.solve] = first;
  const trainer::ParsedConfig read = trainer::read_config(base);
  if (!read.problems.empty()) return "no value of '" + match.solve + "' gives a valid config";
  const std::optional<Candidate> best = closest_candidate(first, last, solution.target, [&](int64_t candidate) {
    return budget_with(match, read.config, candidate);
  });
  if (!best) return "no value of '" + match.solve + "' gives a valid config";
  solution.value = best->value;
  solution.achieved = best->budget;
  if (std::fabs(solution.relative_error()) > match.tolerance) {
    return "the closest " + match.solve + " (" + solution.value.dump() + ") gives " +
           significant(solution.achieved, 6) + " " + match.budget + ", " + significant(100 * std::fabs(solution.relative_error()), 3) +
           "% from the target " + significant(solution.target, 6) + "; the tolerance is " +
           significant(100 * match.tolerance, 3) + "%";
  }
  return solution;
}

}  // namespace headroom
