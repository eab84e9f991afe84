#include "orchestrator/grid/grid.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "orchestrator/core/sha256.h"
#include "orchestrator/grid/expression.h"
#include "orchestrator/grid/sampling.h"
#include "trainer/config.h"

namespace headroom {
namespace {

struct Assignment {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json swept = nlohmann::json::object();
  std::map<std::string, Location> origin;  // where each setting came from
};

Assignment base_assignment(const SweepSpec& spec) {
  Assignment a;
  for (const auto& [name, value] : spec.base) {
    a.settings[name] = value.value;
    a.origin[name] = value.where;
  }
  return a;
}

// Overrides win over base and swept values (they are the more specific rule),
// so they apply after every parameter has its value.
void apply_overrides(const SweepSpec& spec, Assignment& a) {
  const nlohmann::json chosen = a.swept;
  for (const auto& parameter : spec.parameters) {
    auto found = parameter.overrides.find(chosen[parameter.name].dump());
    if (found == parameter.overrides.end()) continue;
    for (const auto& [name, value] : found->second) {
      a.settings[name] = value.value;
      a.swept[name] = value.value;
      a.origin[name] = value.where;
    }
  }
}

Assignment assign(const SweepSpec& spec, const std::vector<size_t>& choice) {
  Assignment a = base_assignment(spec);
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const auto& parameter = spec.parameters[i];
    const SpecValue value = parameter.grid_value(int64_t(choice[i]));
    a.settings[parameter.name] = value.value;
    a.swept[parameter.name] = value.value;
    a.origin[parameter.name] = value.where;
  }
  apply_overrides(spec, a);
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

// Values an expression may read: the trainer's and the resources' defaults
// (not for a program's sweep: its settings are its own), overlaid by the
// cell's settings (booleans count as 0 and 1, strings as their string_code;
// lists and maps cannot be read).
std::map<std::string, double> numeric_values(const nlohmann::json& settings, bool program) {
  std::map<std::string, double> values;
  nlohmann::json all = nlohmann::json::object();
  if (!program) {
    all = trainer::to_json(trainer::TrainerConfig{});
    all.update(to_json(CellResources{}));
  }
  all.update(settings);
  for (const auto& [name, value] : all.items()) {
    if (value.is_number()) values[name] = value.get<double>();
    if (value.is_boolean()) values[name] = value.get<bool>() ? 1.0 : 0.0;
    if (value.is_string()) values[name] = string_code(value.get<std::string>());
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
    // The expression's location is its first character (sweep_spec.cc).
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

// A search makes its cells one at a time as it runs, so an expression that
// reads a name no cell has would only exclude one proposal after another,
// where a grid's expansion reports it: every name a constraint or derived
// parameter reads must be one a cell of this sweep can have (base, the
// trainer's settings, a parameter, an override, a derived parameter, the
// budget's solved setting), checked before any proposal.
void check_names_a_cell_can_have(const SweepSpec& spec, const CompiledExpressions& expressions,
                                 std::vector<Diagnostic>& diagnostics) {
  nlohmann::json base = nlohmann::json::object();
  for (const auto& [name, value] : spec.base) base[name] = value.value;
  std::set<std::string> names;
  for (const auto& [name, value] : numeric_values(base, spec.program.has_value())) names.insert(name);
  const auto add_parameters = [&](const std::vector<ParameterSpec>& parameters) {
    for (const auto& parameter : parameters) {
      names.insert(parameter.name);
      for (const auto& [chosen, settings] : parameter.overrides) {
        for (const auto& [name, value] : settings) names.insert(name);
      }
    }
  };
  add_parameters(spec.parameters);
  if (spec.search) add_parameters(spec.search->parameters);
  for (const auto& derived : spec.derived) names.insert(derived.name);
  if (spec.match) names.insert(spec.match->solve);
  const auto check = [&](const Location& where, const Expression& expression) {
    for (const auto& name : expression.variables()) {
      if (names.count(name) == 0) {
        diagnostics.push_back({where, "expression \"" + expression.text() + "\" uses '" + name +
                                          "', which is not a parameter or trainer setting of this sweep"});
      }
    }
  };
  for (const auto& [derived, expression] : expressions.derived) check(derived->expression.where, expression);
  for (const auto& [constraint, expression] : expressions.constraints) check(constraint->where, expression);
}

// The grid's axes in file order: a parameter alone, or a zip group at the
// position of its first member. Each axis lists indices into spec.parameters.
std::vector<std::vector<size_t>> grid_axes(const SweepSpec& spec) {
  std::vector<std::vector<size_t>> axes;
  std::map<std::string, size_t> axis_of_group_member;
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const std::string& name = spec.parameters[i].name;
    auto zipped = axis_of_group_member.find(name);
    if (zipped != axis_of_group_member.end()) {
      axes[zipped->second].push_back(i);
      continue;
    }
    axes.push_back({i});
    for (const auto& group : spec.zipped) {
      if (std::find(group.names.begin(), group.names.end(), name) == group.names.end()) continue;
      for (const auto& member : group.names) axis_of_group_member[member] = axes.size() - 1;
    }
  }
  return axes;
}

// Advances the per-axis counters, last axis fastest, and sets each
// parameter's value index; false after the last point.
bool next_choice(std::vector<size_t>& counters, const std::vector<std::vector<size_t>>& axes,
                 const SweepSpec& spec, std::vector<size_t>& choice) {
  for (size_t axis = axes.size(); axis-- > 0;) {
    bool wrapped = ++counters[axis] == size_t(spec.parameters[axes[axis].front()].grid_size());
    if (wrapped) counters[axis] = 0;
    for (size_t parameter : axes[axis]) choice[parameter] = counters[axis];
    if (!wrapped) return true;
  }
  return false;
}

bool matches(const CellPattern& pattern, const nlohmann::json& settings) {
  for (const auto& [name, value] : pattern.values) {
    if (!settings.contains(name) || settings[name] != value.value) return false;
  }
  return true;
}

// Turns assignments into cells, collecting exclusions and every problem.
class CellBuilder {
 public:
  CellBuilder(const SweepSpec& spec, CompiledExpressions& expressions, Expansion& expansion,
              std::vector<Diagnostic>& diagnostics)
      : spec_(spec), expressions_(expressions), expansion_(expansion), diagnostics_(diagnostics) {}

  // `from_grid`: exclude patterns apply (explicitly included cells are kept).
  // `duplicates_allowed`: a repeat of an earlier cell is dropped silently
  // (random search) instead of being an error (a grid listing a cell twice).
  void add(Assignment a, bool from_grid, bool duplicates_allowed = false);

 private:
  // The cell of a trainer's sweep or of a program's: false (and diagnostics) when it is invalid.
  bool trainer_cell(const Assignment& a, const std::optional<BudgetSolution>& budget, Cell& cell);
  bool program_cell(const Assignment& a, Cell& cell);
  void report(Diagnostic diagnostic, const Assignment& a, bool with_cell);
  bool derive(Assignment& a);
  // Solves the sweep's `match` for the cell, when it applies; false (and a
  // diagnostic) when the cell cannot meet the budget.
  bool match_budget(Assignment& a, std::optional<BudgetSolution>& budget);
  std::optional<std::string> exclusion(const Assignment& a, bool from_grid, bool& failed);

  const SweepSpec& spec_;
  CompiledExpressions& expressions_;
  Expansion& expansion_;
  std::vector<Diagnostic>& diagnostics_;
  std::set<std::string> reported_;
  std::map<std::string, std::string> seen_;  // hash -> description of the first cell
};

// The same bad value fails many cells; report each problem once, with the
// first cell it appears in.
void CellBuilder::report(Diagnostic diagnostic, const Assignment& a, bool with_cell) {
  if (!reported_.insert(diagnostic.to_string()).second) return;
  if (with_cell) diagnostic.message += " (in the cell " + describe(a.swept) + ")";
  diagnostics_.push_back(std::move(diagnostic));
}

bool CellBuilder::derive(Assignment& a) {
  for (const auto& [derived, expression] : expressions_.derived) {
    auto value = expression.evaluate(numeric_values(a.settings, spec_.program.has_value()));
    if (!value) {
      for (const auto& d : value.error().diagnostics) report(d, a, true);
      return false;
    }
    a.settings[derived->name] = as_json_number(value.value());
    a.swept[derived->name] = a.settings[derived->name];
    a.origin[derived->name] = derived->expression.where;
  }
  return true;
}

std::optional<std::string> CellBuilder::exclusion(const Assignment& a, bool from_grid, bool& failed) {
  if (from_grid) {
    for (const auto& pattern : spec_.exclude) {
      if (matches(pattern, a.settings)) {
        return "matches the exclude entry at line " + std::to_string(pattern.where.line);
      }
    }
  }
  for (const auto& [source, expression] : expressions_.constraints) {
    auto holds = expression.evaluate(numeric_values(a.settings, spec_.program.has_value()));
    if (!holds) {
      for (const auto& d : holds.error().diagnostics) report(d, a, false);
      failed = true;
      return std::nullopt;
    }
    if (holds.value() == 0) return "violates constraint \"" + expression.text() + "\"";
  }
  return std::nullopt;
}

// The settings the trainer reads: resources it does not are left out.
nlohmann::json trainer_settings_of(const nlohmann::json& settings) {
  nlohmann::json trainer_settings = settings;
  for (const auto& key : resource_keys()) {
    if (!is_trainer_setting_too(key)) trainer_settings.erase(key);
  }
  return trainer_settings;
}

bool CellBuilder::match_budget(Assignment& a, std::optional<BudgetSolution>& budget) {
  if (!spec_.match || !budget_applies(*spec_.match, a.settings)) return true;
  const BudgetMatch& match = *spec_.match;
  auto solved = solve_budget(match, trainer_settings_of(a.settings));
  if (auto* reason = std::get_if<std::string>(&solved)) {
    report({match.location, "match: " + *reason}, a, true);
    return false;
  }
  budget = std::get<BudgetSolution>(solved);
  a.settings[match.solve] = budget->value;
  a.swept[match.solve] = budget->value;
  a.origin[match.solve] = match.location;
  if (match.solve != "ffn_mult" && a.settings.value("attention", "standard") == "standard") {
    a.settings.erase("head_size");
    a.swept.erase("head_size");
  }
  return true;
}

bool CellBuilder::trainer_cell(const Assignment& a, const std::optional<BudgetSolution>& budget, Cell& cell) {
  // Resources are read apart; the trainer gets only its own settings.
  auto resources = read_resources(a.settings);
  auto parsed = trainer::parse_config(trainer_settings_of(a.settings));
  std::set<std::string> fields_reported;
  auto report_problem = [&](const std::string& field, const std::string& message) {
    if (!fields_reported.insert(field).second) return;  // threads and device are checked by both
    auto origin = a.origin.find(field);
    Location where = origin != a.origin.end() ? origin->second : Location{spec_.file};
    report({where, "'" + field + "': " + message}, a, a.swept.size() > 1 || !a.swept.contains(field));
  };
  for (const auto& problem : resources.problems) report_problem(problem.field, problem.message);
  for (const auto& problem : parsed.problems) report_problem(problem.field, problem.message);
  if (!parsed.problems.empty() || !resources.problems.empty()) return false;
  cell.config = trainer::to_json(parsed.config);
  cell.resources = resources.resources;
  cell.hash = cell_hash(cell.config);
  cell.parameters = a.swept;
  cell.size = trainer::model_size(trainer::model_shape(parsed.config));
  cell.estimated_training_flops = cell.size.training_flops_per_token * double(parsed.config.steps) *
                                  double(parsed.config.batch_size) * double(parsed.config.seq_len);
  cell.budget = budget;
  return true;
}

// A program's cell: its settings are its config as written; its resources
// come from the sweep's `resources`.
bool CellBuilder::program_cell(const Assignment& a, Cell& cell) {
  nlohmann::json resource_settings = nlohmann::json::object();
  for (const auto& [name, value] : spec_.resources) resource_settings[name] = value.value;
  auto resources = read_resources(resource_settings);
  for (const auto& problem : resources.problems) {
    auto setting = spec_.resources.find(problem.field);
    Location where = setting != spec_.resources.end() ? setting->second.where : Location{spec_.file};
    report({where, "'" + problem.field + "': " + problem.message}, a, false);
  }
  if (!resources.problems.empty()) return false;
  cell.config = a.settings;
  cell.resources = resources.resources;
  cell.parameters = a.swept;
  cell.worker = to_json(*spec_.program);
  cell.hash = program_cell_hash(cell.config, *spec_.program);
  return true;
}

void CellBuilder::add(Assignment a, bool from_grid, bool duplicates_allowed) {
  if (!derive(a)) return;
  std::optional<BudgetSolution> budget;
  if (!match_budget(a, budget)) return;
  bool failed = false;
  auto excluded = exclusion(a, from_grid, failed);
  if (failed) return;
  if (excluded) {
    expansion_.excluded.push_back({a.swept, *excluded});
    return;
  }
  Cell cell;
  if (!(spec_.program ? program_cell(a, cell) : trainer_cell(a, budget, cell))) return;
  auto [existing, inserted] = seen_.emplace(cell.hash, describe(a.swept));
  if (!inserted && duplicates_allowed) return;
  if (!inserted) {
    diagnostics_.push_back({Location{spec_.file}, "the cells " + existing->second + " and " +
                                                      describe(a.swept) + " train the same model: remove one"});
    return;
  }
  expansion_.cells.push_back(std::move(cell));
}

// Draws one value per parameter; overrides apply to the values drawn.
Assignment assign_random(const SweepSpec& spec, Sampler& sampler) {
  Assignment a = base_assignment(spec);
  for (const auto& parameter : spec.parameters) {
    nlohmann::json value = sampler.draw(parameter);
    a.settings[parameter.name] = value;
    a.swept[parameter.name] = value;
    a.origin[parameter.name] = parameter.distribution.where;
  }
  apply_overrides(spec, a);
  return a;
}

Assignment assign_pattern(const SweepSpec& spec, const CellPattern& pattern) {
  Assignment a = base_assignment(spec);
  for (const auto& [name, value] : pattern.values) {
    a.settings[name] = value.value;
    a.swept[name] = value.value;
    a.origin[name] = value.where;
  }
  return a;
}

}  // namespace

nlohmann::json with_trainer_defaults(const nlohmann::json& config) {
  static const nlohmann::json defaults = trainer::to_json(trainer::TrainerConfig{});
  nlohmann::json complete = defaults;
  complete.update(config);
  return complete;
}

std::string cell_hash(const nlohmann::json& resolved_config) {
  nlohmann::json identity = with_trainer_defaults(resolved_config);
  for (const auto& key : resource_keys()) identity.erase(key);
  for (const auto& key : trainer::implementation_keys()) identity.erase(key);
  // nlohmann::json keeps object keys sorted, so dump() is canonical.
  return sha256_hex("headroom-cell-v1\n" + identity.dump());
}

std::string program_cell_hash(const nlohmann::json& parameters, const ProgramSpec& program) {
  const nlohmann::json identity = {{"parameters", parameters}, {"program", program_identity(program)}};
  return sha256_hex("headroom-program-cell-v1\n" + identity.dump());
}

namespace {

// a * b, or nullopt past int64's range.
std::optional<int64_t> product(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) return std::nullopt;
  return result;
}

// Refuses a grid of more than `max_cells` points before anything is built.
Status check_size(const SweepSpec& spec, const std::vector<std::vector<size_t>>& axes, int64_t max_cells) {
  const auto refuse = [&](const std::string& count, const ParameterSpec* largest) {
    Location where = largest ? largest->where : Location{spec.file, 1, 1};
    std::string message = "the sweep has " + count + " cells, more than the limit of " + std::to_string(max_cells) +
                          " (--max-cells raises it)";
    if (largest) message += "; its largest axis is '" + largest->name + "' with " + std::to_string(largest->grid_size()) + " values";
    return Error::invalid(message, where);
  };
  if (spec.method != "grid") {
    if (spec.run_cap > max_cells) return refuse(std::to_string(spec.run_cap) + " (run_cap)", nullptr);
    return Ok{};
  }
  std::optional<int64_t> total = 1;
  const ParameterSpec* largest = nullptr;
  for (const auto& axis : axes) {
    const ParameterSpec& parameter = spec.parameters[axis.front()];
    if (!largest || parameter.grid_size() > largest->grid_size()) largest = &parameter;
    if (total) total = product(*total, parameter.grid_size());
  }
  if (total) total = *total + int64_t(spec.include.size());
  if (!total) return refuse("more than 9.2e18", largest);
  if (*total > max_cells) return refuse(std::to_string(*total), largest);
  return Ok{};
}

}  // namespace

Result<Expansion> expand(const SweepSpec& spec, int64_t max_cells) {
  HEADROOM_RETURN_IF_ERROR(check_size(spec, grid_axes(spec), max_cells));
  Expansion expansion;
  std::vector<Diagnostic> diagnostics;
  CompiledExpressions expressions = compile_expressions(spec, diagnostics);
  if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
  // A bayes search makes its cells as it runs (scheduler/bayes_search.h).
  if (spec.method == "bayes") {
    check_names_a_cell_can_have(spec, expressions, diagnostics);
    if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
    return expansion;
  }
  CellBuilder builder(spec, expressions, expansion, diagnostics);
  if (spec.method == "random") {
    // Draw until run_cap distinct cells exist, or give up on a small space.
    // The draws are a seeded sequence: a larger run_cap draws the same cells
    // first, so drawing more later extends the sweep.
    const int64_t run_cap = spec.run_cap > 0 ? spec.run_cap : kRandomDrawsPerRound;
    Sampler sampler(spec.random_seed);
    for (int64_t attempt = 0; attempt < 100 * run_cap && int64_t(expansion.cells.size()) < run_cap &&
                              diagnostics.empty();
         ++attempt) {
      builder.add(assign_random(spec, sampler), true, true);
    }
    for (const auto& pattern : spec.include) builder.add(assign_pattern(spec, pattern), false, true);
    if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
    return expansion;
  }
  auto axes = grid_axes(spec);
  std::vector<size_t> counters(axes.size(), 0), choice(spec.parameters.size(), 0);
  do {
    builder.add(assign(spec, choice), true);
  } while (!axes.empty() && next_choice(counters, axes, spec, choice));
  for (const auto& pattern : spec.include) builder.add(assign_pattern(spec, pattern), false);
  if (!diagnostics.empty()) return Error::invalid(std::move(diagnostics));
  return expansion;
}

std::variant<Cell, ExcludedCell> cell_of_point(const SweepSpec& spec, const nlohmann::json& values) {
  Expansion expansion;
  std::vector<Diagnostic> diagnostics;
  CompiledExpressions expressions = compile_expressions(spec, diagnostics);
  if (diagnostics.empty()) {
    Assignment a = base_assignment(spec);
    for (const auto& parameter : spec.parameters) {
      if (!values.contains(parameter.name)) continue;
      a.settings[parameter.name] = values[parameter.name];
      a.swept[parameter.name] = values[parameter.name];
      a.origin[parameter.name] = parameter.distribution.where;
    }
    apply_overrides(spec, a);
    CellBuilder builder(spec, expressions, expansion, diagnostics);
    builder.add(std::move(a), true, true);
  }
  if (!expansion.cells.empty()) return std::move(expansion.cells.front());
  if (!expansion.excluded.empty()) return std::move(expansion.excluded.front());
  std::string reason;
  for (const auto& diagnostic : diagnostics) reason += (reason.empty() ? "" : "; ") + diagnostic.to_string();
  return ExcludedCell{values, reason.empty() ? "no cell" : reason};
}

}  // namespace headroom
