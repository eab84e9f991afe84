#include "orchestrator/grid/grid.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "orchestrator/core/sha256.h"
#include "orchestrator/grid/expression.h"
#include "trainer/config.h"

namespace headroom {
namespace {

// Settings that say where and how fast a run executes, not what it computes:
// the scheduler owns them and they do not change a cell's identity.
const std::set<std::string> kExecutionOnly = {"threads", "device"};

struct Assignment {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json swept = nlohmann::json::object();
  std::map<std::string, Location> origin;  // where each setting came from
};

Assignment assign(const SweepSpec& spec, const std::vector<size_t>& choice) {
  Assignment a;
  for (const auto& [name, value] : spec.base) {
    a.settings[name] = value.value;
    a.origin[name] = value.where;
  }
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const auto& parameter = spec.parameters[i];
    const auto& value = parameter.values[choice[i]];
    a.settings[parameter.name] = value.value;
    a.swept[parameter.name] = value.value;
    a.origin[parameter.name] = value.where;
  }
  // Overrides win over base and swept values: they are the more specific rule.
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const auto& parameter = spec.parameters[i];
    auto found = parameter.overrides.find(parameter.values[choice[i]].value.dump());
    if (found == parameter.overrides.end()) continue;
    for (const auto& [name, value] : found->second) {
      a.settings[name] = value.value;
      a.swept[name] = value.value;
      a.origin[name] = value.where;
    }
  }
  return a;
}

std::string describe(const nlohmann::json& swept) {
  std::string text;
  for (const auto& [name, value] : swept.items()) {
    text += (text.empty() ? "" : ", ") + name + "=" +
            (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text.empty() ? "the only cell" : text;
}

// Numeric values an expression may read: the trainer's defaults, overlaid by
// the cell's settings (booleans count as 0 and 1).
std::map<std::string, double> numeric_values(const nlohmann::json& settings) {
  std::map<std::string, double> values;
  nlohmann::json all = trainer::to_json(trainer::TrainerConfig{});
  all.update(settings);
  for (const auto& [name, value] : all.items()) {
    if (value.is_number()) values[name] = value.get<double>();
    if (value.is_boolean()) values[name] = value.get<bool>() ? 1.0 : 0.0;
  }
  return values;
}

nlohmann::json as_json_number(double value) {
  if (std::floor(value) == value && std::abs(value) < 9e15) return int64_t(value);
  return value;
}

struct CompiledExpressions {
  std::vector<std::pair<const DerivedParameter*, Expression>> derived;
  std::vector<std::pair<const SpecValue*, Expression>> constraints;
};

CompiledExpressions compile_expressions(const SweepSpec& spec, std::vector<Diagnostic>& diagnostics) {
  CompiledExpressions compiled;
  auto compile = [&](const SpecValue& source) -> std::optional<Expression> {
    // The scalar's column points at its first character (after a quote, if any).
    Location at = source.where;
    auto expression = Expression::compile(source.value.get<std::string>(), at);
    if (!expression) {
      for (const auto& d : expression.error().diagnostics) diagnostics.push_back(d);
      return std::nullopt;
    }
    return std::move(expression).value();
  };
  for (const auto& derived : spec.derived) {
    if (auto expression = compile(derived.expression)) compiled.derived.emplace_back(&derived, std::move(*expression));
  }
  for (const auto& constraint : spec.constraints) {
    if (auto expression = compile(constraint)) compiled.constraints.emplace_back(&constraint, std::move(*expression));
  }
  return compiled;
}

// Advances a mixed-radix counter, last digit fastest; false after the last.
bool next_choice(std::vector<size_t>& choice, const SweepSpec& spec) {
  for (size_t i = choice.size(); i-- > 0;) {
    if (++choice[i] < spec.parameters[i].values.size()) return true;
    choice[i] = 0;
  }
  return false;
}

}  // namespace

std::string cell_hash(const nlohmann::json& resolved_config) {
  nlohmann::json identity = resolved_config;
  for (const auto& key : kExecutionOnly) identity.erase(key);
  // nlohmann::json keeps object keys sorted, so dump() is canonical.
  return sha256_hex("headroom-cell-v1\n" + identity.dump());
}

Result<Expansion> expand(const SweepSpec& spec) {
  Expansion expansion;
  std::vector<Diagnostic> diagnostics;
  std::set<std::string> reported;
  std::map<std::string, std::string> seen;  // hash -> description of the first cell
  CompiledExpressions expressions = compile_expressions(spec, diagnostics);
  if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
  std::vector<size_t> choice(spec.parameters.size(), 0);
  do {
    Assignment a = assign(spec, choice);
    bool failed = false;
    for (const auto& [derived, expression] : expressions.derived) {
      auto value = expression.evaluate(numeric_values(a.settings));
      if (!value) {
        for (auto d : value.error().diagnostics) {
          d.message += " (in the cell " + describe(a.swept) + ")";
          if (reported.insert(d.to_string()).second) diagnostics.push_back(d);
        }
        failed = true;
        break;
      }
      a.settings[derived->name] = as_json_number(value.value());
      a.swept[derived->name] = a.settings[derived->name];
      a.origin[derived->name] = derived->expression.where;
    }
    if (failed) continue;
    std::optional<std::string> violated;
    for (const auto& [source, expression] : expressions.constraints) {
      auto holds = expression.evaluate(numeric_values(a.settings));
      if (!holds) {
        for (const auto& d : holds.error().diagnostics) {
          if (reported.insert(d.to_string()).second) diagnostics.push_back(d);
        }
        failed = true;
        break;
      }
      if (holds.value() == 0) {
        violated = "violates constraint \"" + expression.text() + "\"";
        break;
      }
    }
    if (failed) continue;
    if (violated) {
      expansion.excluded.push_back({a.swept, *violated});
      continue;
    }
    auto parsed = trainer::parse_config(a.settings);
    if (!parsed.problems.empty()) {
      for (const auto& problem : parsed.problems) {
        auto origin = a.origin.find(problem.field);
        Location where = origin != a.origin.end() ? origin->second : Location{spec.file};
        Diagnostic diagnostic{where, "'" + problem.field + "': " + problem.message};
        // The same bad value fails many cells; report each problem once, with
        // the first cell it appears in.
        if (!reported.insert(diagnostic.to_string()).second) continue;
        if (a.swept.size() > 1 || !a.swept.contains(problem.field)) {
          diagnostic.message += " (in the cell " + describe(a.swept) + ")";
        }
        diagnostics.push_back(diagnostic);
      }
      continue;
    }
    Cell cell;
    cell.config = trainer::to_json(parsed.config);
    cell.hash = cell_hash(cell.config);
    cell.parameters = a.swept;
    cell.size = trainer::model_size(trainer::model_shape(parsed.config));
    cell.estimated_training_flops = cell.size.training_flops_per_token *
                                    double(parsed.config.steps) * double(parsed.config.batch_size) *
                                    double(parsed.config.seq_len);
    auto [existing, inserted] = seen.emplace(cell.hash, describe(a.swept));
    if (!inserted) {
      diagnostics.push_back({Location{spec.file}, "the cells " + existing->second + " and " +
                                                      describe(a.swept) +
                                                      " train the same model: remove one"});
      continue;
    }
    expansion.cells.push_back(std::move(cell));
  } while (!spec.parameters.empty() && next_choice(choice, spec));
  if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
  return expansion;
}

}  // namespace headroom
