#include "orchestrator/spec/sweep_spec.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "common/spelling.h"
#include "common/text_file.h"
#include "orchestrator/spec/resources.h"
#include "orchestrator/spec/yaml_scalar.h"
#include "trainer/config.h"

namespace headroom {
namespace {

const std::vector<std::string> kTopLevelKeys = {
    "name",    "description", "method",  "metric",  "parameters", "base",     "seeds",
    "retries", "timeout",     "project", "entity",  "program",    "command",  "early_terminate",
    "run_cap", "constraints", "zip",     "include", "exclude",    "random_seed", "executor", "slurm",
    "match",   "worker",      "resources", "controller", "search", "tpe"};
const std::vector<std::string> kSlurmKeys = {"partition", "account", "qos",  "time",
                                             "mem",       "throttle", "gpus", "sbatch"};
const std::vector<std::string> kParameterKeys = {
    "value", "values", "overrides", "parameters", "derive", "distribution", "probabilities",
    "min",   "max",    "q",         "mu",         "sigma",  "a",            "b"};
// W&B's distributions (docs: sweep configuration, "distribution").
const std::vector<std::string> kDistributions = {
    "constant",        "categorical",          "int_uniform",           "uniform",
    "q_uniform",       "log_uniform",          "log_uniform_values",    "q_log_uniform",
    "q_log_uniform_values", "inv_log_uniform", "inv_log_uniform_values", "normal",
    "q_normal",        "log_normal",           "q_log_normal",          "beta",
    "q_beta"};

class SpecReader {
 public:
  SpecReader(const std::string& file) : file_(file) {}

  Location where(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.line < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
  }
  void fail(const YAML::Node& node, std::string message) {
    diagnostics_.push_back({where(node), std::move(message)});
  }
  void fail(Location location, std::string message) {
    diagnostics_.push_back({std::move(location), std::move(message)});
  }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

  void read_document(const YAML::Node& root, SweepSpec& spec);

 private:
  // Calls visit(key, key_node, value_node) for each entry, reporting
  // duplicate and unknown keys.
  template <typename Visit>
  void for_each_key(const YAML::Node& map, const std::vector<std::string>& known,
                    const std::string& context, Visit visit);
  std::optional<std::string> read_string(const YAML::Node& node, const std::string& key);
  std::optional<SpecValue> read_scalar(const YAML::Node& node, const std::string& key);
  // A parameter's value: a scalar, or for a program's sweep any YAML.
  std::optional<SpecValue> read_value(const YAML::Node& node, const std::string& key);
  void read_program_keys(const std::string& key, const YAML::Node& value, SweepSpec& spec);
  void read_worker(const YAML::Node& node, ProgramSpec& program);
  void read_early_terminate(const YAML::Node& node, SweepSpec& spec);
  void read_search(const YAML::Node& node, SweepSpec& spec);
  std::optional<SamplerOptions> read_tpe(const YAML::Node& node);
  void check_search(const YAML::Node& root, SweepSpec& spec);
  void check_program(const YAML::Node& root, SweepSpec& spec);
  void read_parameters(const YAML::Node& node, const std::string& prefix, SweepSpec& spec);
  void read_parameter(const std::string& name, const YAML::Node& key_node, const YAML::Node& node,
                      SweepSpec& spec);
  void read_overrides(const YAML::Node& node, ParameterSpec& parameter);
  bool settle_distribution(ParameterSpec& parameter, bool has_value, bool has_values,
                           const std::pair<nlohmann::json, nlohmann::json>& bounds, const YAML::Node& key_node);
  void read_patterns(const YAML::Node& node, const std::string& key, std::vector<CellPattern>& patterns);
  void read_zip(const YAML::Node& node, SweepSpec& spec);
  void read_slurm(const YAML::Node& node, SlurmSpec& slurm);
  void read_match(const YAML::Node& key_node, const YAML::Node& node, SweepSpec& spec);
  void read_settings(const YAML::Node& node, const std::string& context, std::map<std::string, SpecValue>& settings);
  void check_zip(SweepSpec& spec);
  void check_trainer_key(const std::string& name, const YAML::Node& node);

  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  // A sweep of a program (`program` or `command`): its parameters are the
  // program's, any name and any YAML value, not headroom-train's settings.
  bool free_form_ = false;
  bool reported_program_hint_ = false;  // said once per file
};

template <typename Visit>
void SpecReader::for_each_key(const YAML::Node& map, const std::vector<std::string>& known,
                              const std::string& context, Visit visit) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Node value_node = it->second;
    if (!key_node.IsScalar()) {
      fail(key_node, "keys " + context + " must be plain names");
      continue;
    }
    std::string key = key_node.Scalar();
    if (!seen.insert(key).second) {
      fail(key_node, "duplicate key '" + key + "' " + context);
      continue;
    }
    if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
      fail(key_node, "unknown key '" + key + "' " + context + did_you_mean(key, known));
      continue;
    }
    visit(key, key_node, value_node);
  }
}

std::optional<std::string> SpecReader::read_string(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    fail(node, "'" + key + "' must be a string");
    return std::nullopt;
  }
  return node.Scalar();
}

// An expression's location is its first character: a quoted scalar's mark
// is its opening quote. Columns of errors inside it count from there.
SpecValue expression_start(const YAML::Node& node, SpecValue scalar) {
  if (node.Tag() == "!" && scalar.where.column > 0) ++scalar.where.column;
  return scalar;
}

std::optional<SpecValue> SpecReader::read_scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() && !node.IsNull()) {
    fail(node, "'" + key + "' must be a single value (a number, string or boolean)");
    return std::nullopt;
  }
  return SpecValue{yaml_scalar_to_json(node), where(node)};
}

std::optional<SpecValue> SpecReader::read_value(const YAML::Node& node, const std::string& key) {
  if (free_form_ && (node.IsMap() || node.IsSequence())) return SpecValue{yaml_to_json(node), where(node)};
  return read_scalar(node, key);
}

void SpecReader::check_trainer_key(const std::string& name, const YAML::Node& node) {
  if (free_form_) return;
  const auto& keys = trainer::config_keys();
  if (std::find(keys.begin(), keys.end(), name) != keys.end() || is_resource_key(name)) return;
  std::vector<std::string> known = keys;
  known.insert(known.end(), resource_keys().begin(), resource_keys().end());
  // A name close to a setting is a typo; otherwise the sweep may be meant
  // for the user's own program (said once per file).
  const std::string suggestion = did_you_mean(name, known);
  const bool hint = suggestion.empty() && !reported_program_hint_;
  fail(node, "unknown parameter '" + name + "': headroom-train has no such setting" + suggestion +
                 (hint ? " (to sweep a program of your own, name it with 'program:')" : ""));
  reported_program_hint_ = reported_program_hint_ || hint;
}

void SpecReader::read_overrides(const YAML::Node& node, ParameterSpec& parameter) {
  if (!node.IsMap()) {
    fail(node, "'overrides' must map a value of '" + parameter.name + "' to the parameters it sets");
    return;
  }
  for_each_key(node, {}, "in overrides", [&](const std::string& value_text, const YAML::Node& key_node,
                                             const YAML::Node& settings) {
    auto chosen = yaml_scalar_to_json(key_node);
    if (!parameter.enumerates(chosen)) {
      fail(key_node, "override for '" + value_text + "', which is not a value of '" +
                         parameter.name + "'");
      return;
    }
    if (!settings.IsMap()) {
      fail(settings, "the override for '" + value_text + "' must be a map of parameter: value");
      return;
    }
    auto& target = parameter.overrides[chosen.dump()];
    for_each_key(settings, {}, "in this override", [&](const std::string& name, const YAML::Node& name_node,
                                                       const YAML::Node& value) {
      check_trainer_key(name, name_node);
      if (auto scalar = read_value(value, name)) target[name] = *scalar;
    });
  });
}

// Infers the distribution as W&B does (values: categorical, value: constant,
// integer bounds: int_uniform, other bounds: uniform) and checks what it
// needs. A grid enumerates the discrete ones (ParameterSpec::grid_value).
bool SpecReader::settle_distribution(ParameterSpec& parameter, bool has_value, bool has_values,
                                     const std::pair<nlohmann::json, nlohmann::json>& bounds,
                                     const YAML::Node& key_node) {
  auto& d = parameter.distribution;
  if (d.where.line == 0) d.where = where(key_node);
  if (d.kind.empty()) {
    if (has_values) d.kind = "categorical";
    else if (has_value) d.kind = "constant";
    else if (bounds.first.is_number_integer() && bounds.second.is_number_integer()) d.kind = "int_uniform";
    else d.kind = "uniform";
  }
  const bool listed = d.kind == "categorical" || d.kind == "constant";
  if (listed != (has_value || has_values)) {
    fail(key_node, "distribution '" + d.kind + "' of '" + parameter.name + "' " +
                       (listed ? "needs 'value' or 'values'" : "takes parameters, not 'value' or 'values'"));
    return false;
  }
  if (!d.probabilities.empty()) {
    double total = 0;
    for (double p : d.probabilities) total += p;
    if (d.kind != "categorical" || d.probabilities.size() != parameter.values.size() ||
        std::abs(total - 1.0) > 1e-6) {
      fail(key_node, "'probabilities' of '" + parameter.name + "' need one number per value, summing to 1");
      return false;
    }
  }
  static const std::set<std::string> kBounded = {
      "int_uniform", "uniform", "q_uniform", "log_uniform", "log_uniform_values", "q_log_uniform",
      "q_log_uniform_values", "inv_log_uniform", "inv_log_uniform_values"};
  if (kBounded.count(d.kind)) {
    if (bounds.first.is_null() || bounds.second.is_null() || !(d.min < d.max)) {
      fail(key_node, "distribution '" + d.kind + "' of '" + parameter.name + "' needs min < max");
      return false;
    }
    if (d.kind.find("_values") != std::string::npos && d.min <= 0) {
      fail(key_node, "distribution '" + d.kind + "' of '" + parameter.name + "' needs min > 0");
      return false;
    }
    // As W&B's schema: an integer distribution takes integer bounds, never rounded ones.
    if (d.kind == "int_uniform" && (!bounds.first.is_number_integer() || !bounds.second.is_number_integer())) {
      fail(key_node, "distribution 'int_uniform' of '" + parameter.name + "' needs integer min and max, found " +
                         bounds.first.dump() + " and " + bounds.second.dump());
      return false;
    }
  }
  if (d.q <= 0) {
    fail(key_node, "'q' of '" + parameter.name + "' must be positive");
    return false;
  }
  return true;
}

}  // namespace

bool ParameterSpec::enumerable() const {
  const std::string& kind = distribution.kind;
  return kind == "categorical" || kind == "constant" || kind == "int_uniform" || kind == "q_uniform";
}

int64_t ParameterSpec::grid_size() const {
  const Distribution& d = distribution;
  if (d.kind == "int_uniform") return std::max<int64_t>(0, int64_t(std::floor(d.max)) - int64_t(std::ceil(d.min)) + 1);
  if (d.kind == "q_uniform") return std::max<int64_t>(0, int64_t(std::ceil((d.max - 1e-12 - d.min) / d.q)));
  return int64_t(values.size());
}

SpecValue ParameterSpec::grid_value(int64_t index) const {
  const Distribution& d = distribution;
  if (d.kind == "int_uniform") return {int64_t(std::ceil(d.min)) + index, d.where};
  if (d.kind == "q_uniform") {
    const double v = d.min + double(index) * d.q;
    return {std::floor(v) == v && std::fabs(v) < 9e15 ? nlohmann::json(int64_t(v)) : nlohmann::json(v), d.where};
  }
  return values[size_t(index)];
}

bool ParameterSpec::enumerates(const nlohmann::json& value) const {
  const Distribution& d = distribution;
  if (d.kind == "int_uniform" || d.kind == "q_uniform") {
    if (!value.is_number()) return false;
    const double v = value.get<double>();
    const double steps = (v - d.min) / (d.kind == "q_uniform" ? d.q : 1.0);
    return v >= d.min && std::fabs(steps - std::round(steps)) < 1e-9 && std::round(steps) < double(grid_size());
  }
  return std::any_of(values.begin(), values.end(), [&](const SpecValue& v) { return v.value == value; });
}

namespace {

void SpecReader::read_patterns(const YAML::Node& node, const std::string& key,
                               std::vector<CellPattern>& patterns) {
  if (!node.IsSequence()) {
    fail(node, "'" + key + "' must be a list of maps of parameter: value");
    return;
  }
  for (const auto& item : node) {
    if (!item.IsMap() || item.size() == 0) {
      fail(item, "each entry of '" + key + "' must be a non-empty map of parameter: value");
      continue;
    }
    CellPattern pattern{{}, where(item)};
    for_each_key(item, {}, "in " + key, [&](const std::string& name, const YAML::Node& name_node,
                                              const YAML::Node& value) {
      check_trainer_key(name, name_node);
      if (auto scalar = read_value(value, name)) pattern.values[name] = *scalar;
    });
    patterns.push_back(std::move(pattern));
  }
}

void SpecReader::read_slurm(const YAML::Node& node, SlurmSpec& slurm) {
  if (!node.IsMap()) {
    fail(node, "'slurm' must be a map, e.g. {partition: gpu, time: \"02:00:00\", throttle: 8}");
    return;
  }
  for_each_key(node, kSlurmKeys, "in slurm", [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    if (key == "sbatch") {
      if (!value.IsSequence()) {
        fail(value, "'sbatch' must be a list of sbatch arguments, e.g. [\"--exclusive\"]");
        return;
      }
      for (const auto& item : value) {
        if (auto text = read_string(item, "sbatch")) slurm.sbatch_arguments.push_back(*text);
      }
      return;
    }
    auto scalar = read_scalar(value, key);
    if (!scalar) return;
    if (key == "throttle") {
      if (!scalar->value.is_number_integer() || scalar->value.get<int64_t>() < 0) {
        fail(value, "'throttle' must be a non-negative integer (tasks running at once; 0: no limit)");
      } else {
        slurm.throttle = int(scalar->value.get<int64_t>());
      }
    } else if (key == "gpus") {
      if (!scalar->value.is_boolean()) {
        fail(value, "'gpus' must be true or false (ask SLURM for each cell's gpus)");
      } else {
        slurm.gpus = scalar->value.get<bool>();
      }
    } else {
      // partition, account, qos, time and mem are strings as sbatch takes them.
      const std::string text = scalar->value.is_string() ? scalar->value.get<std::string>() : scalar->value.dump();
      if (key == "partition") slurm.partition = text;
      if (key == "account") slurm.account = text;
      if (key == "qos") slurm.qos = text;
      if (key == "time") slurm.time = text;
      if (key == "mem") slurm.memory = text;
    }
  });
}

void SpecReader::read_settings(const YAML::Node& node, const std::string& context,
                               std::map<std::string, SpecValue>& settings) {
  if (!node.IsMap()) {
    fail(node, "'" + context + "' must be a map of setting: value");
    return;
  }
  for_each_key(node, {}, "in " + context, [&](const std::string& name, const YAML::Node& name_node,
                                              const YAML::Node& value) {
    check_trainer_key(name, name_node);
    if (auto scalar = read_scalar(value, name)) settings[name] = *scalar;
  });
}

void SpecReader::read_match(const YAML::Node& key_node, const YAML::Node& node, SweepSpec& spec) {
  static const std::vector<std::string> kBudgets = {"non_embedding_parameters", "parameters",
                                                    "training_flops_per_token", "training_flops"};
  static const std::vector<std::string> kSolvable = {"ffn_mult", "d_model", "heads"};
  if (!node.IsMap()) {
    fail(node, "'match' must be a map, e.g. {budget: non_embedding_parameters, solve: ffn_mult, "
               "target: {like: {attention: fixed}}}");
    return;
  }
  BudgetMatch match;
  match.location = where(key_node);
  for_each_key(node, {"budget", "solve", "target", "where", "tolerance"}, "in match",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    if (key == "budget" || key == "solve") {
      auto text = read_string(value, key);
      if (!text) return;
      const auto& allowed = key == "budget" ? kBudgets : kSolvable;
      if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
        std::string list;
        for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
        fail(value, "'" + key + "' must be one of " + list + did_you_mean(*text, allowed));
        return;
      }
      (key == "budget" ? match.budget : match.solve) = *text;
    } else if (key == "target") {
      if (value.IsMap()) {
        for_each_key(value, {"like"}, "in target", [&](const std::string&, const YAML::Node&, const YAML::Node& like) {
          read_settings(like, "like", match.like);
        });
        if (match.like.empty()) fail(value, "'target' needs a number or {like: {setting: value, ...}}");
        return;
      }
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number() || scalar->value.get<double>() <= 0)) {
        fail(value, "'target' must be a positive number or {like: {setting: value, ...}}");
      } else if (scalar) {
        match.target = scalar->value.get<double>();
      }
    } else if (key == "where") {
      read_settings(value, "where", match.where);
    } else if (key == "tolerance") {
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number() || scalar->value.get<double>() < 0 || scalar->value.get<double>() >= 1)) {
        fail(value, "'tolerance' must be a fraction in [0, 1), e.g. 0.02 for 2%");
      } else if (scalar) {
        match.tolerance = scalar->value.get<double>();
      }
    }
  });
  if (match.budget.empty()) fail(node, "'match' needs a 'budget' (e.g. non_embedding_parameters)");
  if (match.solve.empty()) fail(node, "'match' needs 'solve': the setting to solve for (ffn_mult, d_model or heads)");
  if (!match.target && match.like.empty()) fail(node, "'match' needs a 'target'");
  if (match.like.count(match.solve)) {
    fail(node, "'like' may not set '" + match.solve + "', the setting 'match' solves for");
  }
  spec.match = std::move(match);
}

void SpecReader::read_zip(const YAML::Node& node, SweepSpec& spec) {
  if (!node.IsSequence()) {
    fail(node, "'zip' must be a list of groups, e.g. [[d_model, heads]]");
    return;
  }
  for (const auto& group : node) {
    if (!group.IsSequence() || group.size() < 2) {
      fail(group, "each 'zip' group must list at least two parameters, e.g. [d_model, heads]");
      continue;
    }
    ZipGroup zip{{}, where(group)};
    for (const auto& name : group) {
      if (auto text = read_string(name, "zip")) zip.names.push_back(*text);
    }
    spec.zipped.push_back(std::move(zip));
  }
}

// Zipped names must be swept parameters with equally many values, each in one group.
void SpecReader::check_zip(SweepSpec& spec) {
  std::set<std::string> zipped;
  for (const auto& group : spec.zipped) {
    size_t count = 0;
    for (const auto& name : group.names) {
      auto parameter = std::find_if(spec.parameters.begin(), spec.parameters.end(),
                                    [&](const ParameterSpec& p) { return p.name == name; });
      if (parameter == spec.parameters.end()) {
        fail(group.where, "zip names '" + name + "', which is not a swept parameter");
        continue;
      }
      if (!zipped.insert(name).second) fail(group.where, "'" + name + "' is in two zip groups");
      if (count != 0 && size_t(parameter->grid_size()) != count) {
        fail(group.where, "zipped parameters need equally many values: '" + name + "' has " +
                              std::to_string(parameter->grid_size()) + ", '" + group.names.front() +
                              "' has " + std::to_string(count));
      }
      if (count == 0) count = size_t(parameter->grid_size());
    }
  }
}

void SpecReader::read_parameter(const std::string& name, const YAML::Node& key_node,
                                const YAML::Node& node, SweepSpec& spec) {
  if (!node.IsMap()) {
    fail(node, "parameter '" + name + "' must be a map with 'value' or 'values' (W&B sweep format)");
    return;
  }
  if (node["parameters"]) {
    spec.nested_blocks.push_back(name);
    read_parameters(node["parameters"], name + ".", spec);
    return;
  }
  check_trainer_key(name, key_node);
  ParameterSpec parameter;
  parameter.name = name;
  parameter.where = where(key_node);
  bool has_value = false, has_values = false, has_numbers = false;
  std::pair<nlohmann::json, nlohmann::json> bounds;  // min and max as written
  std::optional<SpecValue> derive;
  // yaml-cpp's Node::operator= writes through to the node it refers to, so
  // keep a copy in an optional instead of assigning.
  std::optional<YAML::Node> overrides;
  for_each_key(node, kParameterKeys, "in parameter '" + name + "'",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    if (key == "value") {
      has_value = true;
      if (auto scalar = read_value(value, "value")) parameter.values.push_back(*scalar);
    } else if (key == "values") {
      has_values = true;
      if (!value.IsSequence()) {
        fail(value, "'values' of '" + name + "' must be a list");
      } else if (value.size() == 0) {
        fail(value, "'values' of '" + name + "' is empty: give at least one value");
      } else {
        for (const auto& item : value) {
          if (auto scalar = read_value(item, "values")) parameter.values.push_back(*scalar);
        }
      }
    } else if (key == "overrides") {
      overrides.emplace(value);
    } else if (key == "derive") {
      auto scalar = read_scalar(value, "derive");
      if (scalar && !scalar->value.is_string()) {
        fail(value, "'derive' of '" + name + "' must be an expression in quotes, e.g. \"d_model / heads\"");
      } else if (scalar) {
        derive = expression_start(value, *scalar);
      }
    } else if (key == "distribution") {
      if (auto text = read_string(value, key)) {
        if (std::find(kDistributions.begin(), kDistributions.end(), *text) == kDistributions.end()) {
          fail(value, "unknown distribution '" + *text + "'" + did_you_mean(*text, kDistributions));
        }
        parameter.distribution.kind = *text;
        parameter.distribution.where = where(value);
      }
    } else if (key == "probabilities") {
      if (!value.IsSequence()) {
        fail(value, "'probabilities' must be a list of numbers, one per value");
      } else {
        for (const auto& item : value) {
          auto scalar = read_scalar(item, key);
          if (scalar && scalar->value.is_number()) {
            parameter.distribution.probabilities.push_back(scalar->value.get<double>());
          } else if (scalar) {
            fail(item, "probabilities must be numbers");
          }
        }
      }
    } else {
      auto scalar = read_scalar(value, key);
      if (scalar && !scalar->value.is_number()) {
        fail(value, "'" + key + "' of '" + name + "' must be a number");
      } else if (scalar) {
        double number = scalar->value.get<double>();
        auto& d = parameter.distribution;
        if (key == "min") d.min = number, bounds.first = scalar->value;
        if (key == "max") d.max = number, bounds.second = scalar->value;
        if (key == "q") d.q = number;
        if (key == "mu") d.mu = number;
        if (key == "sigma") d.sigma = number;
        if (key == "a") d.a = number;
        if (key == "b") d.b = number;
        // A normal's spread and a beta's shapes: W&B's sampler (numpy) refuses
        // them at or below 0 only when it draws; here at the line.
        if ((key == "sigma" || key == "a" || key == "b") && !(number > 0 && std::isfinite(number))) {
          fail(value, "'" + key + "' of '" + name + "' must be a finite number greater than 0");
        }
        has_numbers = true;
      }
    }
  });
  if (has_value && has_values) fail(key_node, "parameter '" + name + "' has both 'value' and 'values'");
  if (derive) {
    if (has_value || has_values || overrides) {
      fail(key_node, "parameter '" + name + "' is derived: it cannot also have 'value', 'values' or 'overrides'");
    } else {
      spec.derived.push_back({name, *derive});
    }
    return;
  }
  if (!has_value && !has_values && !has_numbers) {
    fail(key_node, "parameter '" + name + "' needs 'value', 'values', 'min'/'max' or a distribution");
    return;
  }
  if (!settle_distribution(parameter, has_value, has_values, bounds, key_node)) return;
  std::set<std::string> distinct;
  for (const auto& v : parameter.values) {
    if (!distinct.insert(v.value.dump()).second) {
      fail(v.where, "value " + v.value.dump() + " is listed twice for '" + name + "'");
    }
  }
  if (overrides) read_overrides(*overrides, parameter);
  spec.parameters.push_back(std::move(parameter));
}

void SpecReader::read_parameters(const YAML::Node& node, const std::string& prefix, SweepSpec& spec) {
  if (!node.IsMap()) {
    fail(node, "'parameters' must be a map of parameter names");
    return;
  }
  for_each_key(node, {}, "in parameters", [&](const std::string& key, const YAML::Node& key_node,
                                              const YAML::Node& value) {
    read_parameter(prefix + key, key_node, value, spec);
  });
}

void SpecReader::read_program_keys(const std::string& key, const YAML::Node& value, SweepSpec& spec) {
  if (key == "project" || key == "entity") {
    auto scalar = read_scalar(value, key);
    if (scalar && !scalar->value.is_string()) fail(value, "'" + key + "' must be a string");
    if (scalar && scalar->value.is_string()) (key == "project" ? spec.project : spec.entity) = scalar->value.get<std::string>();
    return;
  }
  if (key == "resources") {
    read_settings(value, "resources", spec.resources);
    for (const auto& [name, setting] : spec.resources) {
      if (!is_resource_key(name)) {
        std::string list;
        for (const auto& option : resource_keys()) list += (list.empty() ? "" : ", ") + option;
        fail(setting.where, "'" + name + "' is not a resource; resources are " + list +
                                did_you_mean(name, resource_keys()));
      }
    }
    return;
  }
  if (!spec.program) spec.program.emplace();
  ProgramSpec& program = *spec.program;
  if (key == "program") {
    auto text = read_string(value, key);
    if (!text) return;
    if (text->empty()) {
      fail(value, "'program' is empty: name the script to run, e.g. train.py");
      return;
    }
    program.program = *text;
    program.where = where(value);
    // A relative program is relative to the sweep file's folder, wherever
    // headroom runs from (W&B's agent takes it relative to the folder it was
    // started in, usually the same one).
    std::filesystem::path path(*text);
    if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
    std::error_code error;
    program.path = std::filesystem::absolute(path, error).lexically_normal().string();
    if (error) fail(value, "'program' is not a usable path: " + error.message());
  } else if (key == "command") {
    program.command_where = where(value);
    if (!value.IsSequence() || value.size() == 0) {
      fail(value, "'command' must be a non-empty list, e.g. [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"]");
      return;
    }
    for (const auto& item : value) {
      if (!item.IsScalar()) {
        fail(item, "each item of 'command' must be a string");
        continue;
      }
      program.command.push_back(item.Scalar());
    }
  } else if (key == "worker") {
    read_worker(value, program);
  }
}

void SpecReader::read_worker(const YAML::Node& node, ProgramSpec& program) {
  if (!node.IsMap()) {
    fail(node, "'worker' must be a map, e.g. {metrics: stdout, wandb: dropin, interpreter: python3}");
    return;
  }
  for_each_key(node, {"interpreter", "metrics", "wandb", "environment"}, "in worker",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    if (key == "environment") {
      if (!value.IsMap()) {
        fail(value, "'environment' must be a map of VARIABLE: value");
        return;
      }
      for_each_key(value, {}, "in environment", [&](const std::string& name, const YAML::Node& name_node,
                                                    const YAML::Node& item) {
        if (name.empty() || name.find('=') != std::string::npos || name.rfind("HEADROOM_", 0) == 0) {
          fail(name_node, "'" + name + "' cannot be set: HEADROOM_ variables are the protocol's, and a name has no '='");
          return;
        }
        if (!item.IsScalar()) {
          fail(item, "the value of '" + name + "' must be a string");
          return;
        }
        program.environment[name] = item.Scalar();
      });
      return;
    }
    auto text = read_string(value, key);
    if (!text) return;
    if (key == "interpreter") {
      if (text->empty()) fail(value, "'interpreter' is empty: e.g. python3 or /usr/bin/python3");
      program.interpreter = *text;
    } else if (key == "metrics") {
      if (*text != "events" && *text != "stdout") {
        fail(value, "'metrics' must be events (the program appends to $HEADROOM_EVENTS) or stdout (the JSON "
                    "lines it prints)" + did_you_mean(*text, {"events", "stdout"}));
      }
      program.metrics = *text;
    } else if (key == "wandb") {
      if (*text != "dropin" && *text != "real") {
        fail(value, "'wandb' must be dropin (Headroom's offline `wandb` module on PYTHONPATH) or real "
                    "(whatever `wandb` the interpreter has)" + did_you_mean(*text, {"dropin", "real"}));
      }
      program.wandb_dropin = *text == "dropin";
    }
  });
}

// W&B's schema for early_terminate (hyperband only): checked so a typo is an
// error, not a sweep that never stops a run.
void SpecReader::read_early_terminate(const YAML::Node& node, SweepSpec& spec) {
  if (!node.IsMap()) {
    fail(node, "'early_terminate' must be a map, e.g. {type: hyperband, min_iter: 3, eta: 3}");
    return;
  }
  EarlyTerminate stop;
  stop.where = where(node);
  bool has_min = false, has_max = false, has_s = false;
  for_each_key(node, {"type", "min_iter", "max_iter", "miniter", "maxiter", "s", "eta", "strict"},
               "in early_terminate", [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    auto scalar = read_scalar(value, key);
    if (!scalar) return;
    const nlohmann::json& v = scalar->value;
    if (key == "type") {
      if (!v.is_string() || v != "hyperband") {
        fail(value, "early_terminate 'type' must be hyperband (the only type W&B defines)");
        return;
      }
      stop.type = "hyperband";
    } else if (key == "strict") {
      if (!v.is_boolean()) fail(value, "'strict' must be true or false");
      else stop.strict = v.get<bool>();
    } else if (key == "eta") {
      if (!v.is_number() || !(v.get<double>() > 1)) fail(value, "'eta' must be a number greater than 1");
      else stop.eta = v.get<double>();
    } else {
      // Given, even if wrong: a bad value is its own error, not also a missing key.
      const bool min = key == "min_iter" || key == "miniter", max = key == "max_iter" || key == "maxiter";
      has_min = has_min || min;
      has_max = has_max || max;
      has_s = has_s || key == "s";
      if (!v.is_number_integer() || v.get<int64_t>() < 1) {
        fail(value, "'" + key + "' must be a positive integer (iterations: the metric's logged steps)");
        return;
      }
      const int64_t n = v.get<int64_t>();
      if (min) stop.min_iter = n;
      if (max) stop.max_iter = n;
      if (key == "s") stop.s = n;
    }
  });
  if (stop.type.empty()) fail(node, "early_terminate needs 'type: hyperband'");
  if (!has_min && !(has_max && has_s)) {
    fail(node, "early_terminate needs 'min_iter', or 'max_iter' with 's' (W&B's hyperband brackets)");
  }
  spec.early_terminate = stop;
}

// More startup draws than a search could ever make is a typo (and the
// sampler counts them in an int).
constexpr int64_t kMostStartupTrials = 1000000;

// `tpe: {startup_trials: N, multivariate: true|false}`.
std::optional<SamplerOptions> SpecReader::read_tpe(const YAML::Node& node) {
  if (!node.IsMap()) {
    fail(node, "'tpe' must be a map, e.g. {startup_trials: 5, multivariate: true}");
    return std::nullopt;
  }
  SamplerOptions options;
  options.where = where(node);
  for_each_key(node, {"startup_trials", "multivariate"}, "in tpe",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    auto scalar = read_scalar(value, key);
    if (!scalar) return;
    const nlohmann::json& v = scalar->value;
    if (key == "multivariate") {
      if (!v.is_boolean()) fail(value, "tpe 'multivariate' must be true or false");
      else options.multivariate = v.get<bool>();
    } else if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMostStartupTrials) {
      fail(value, "tpe 'startup_trials' must be an integer from 1 to " + std::to_string(kMostStartupTrials) +
                      ": the random draws before TPE follows the results");
    } else {
      options.startup_trials = int(v.get<int64_t>());
    }
  });
  return options;
}

void SpecReader::read_search(const YAML::Node& node, SweepSpec& spec) {
  if (!node.IsMap()) {
    fail(node, "'search' must be a map, e.g. {method: bayes, run_cap: 12, parameters: {lr: {...}}}");
    return;
  }
  InnerSearch search;
  search.where = where(node);
  bool has_parameters = false, has_run_cap = false;
  for_each_key(node, {"method", "run_cap", "parameters", "early_terminate", "replicate", "tpe"}, "in search",
               [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
    if (key == "method") {
      auto method = read_string(value, key);
      if (method && *method != "bayes" && *method != "random") {
        fail(value, "search 'method' must be bayes or random" + did_you_mean(*method, {"bayes", "random"}));
      } else if (method) {
        search.method = *method;
      }
    } else if (key == "run_cap") {
      has_run_cap = true;
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number_integer() || scalar->value.get<int64_t>() < 1)) {
        fail(value, "search 'run_cap' must be a positive integer: the trials of each grid cell");
      } else if (scalar) {
        search.run_cap = scalar->value.get<int64_t>();
      }
    } else if (key == "replicate") {
      auto scalar = read_scalar(value, key);
      if (scalar && !scalar->value.is_boolean()) fail(value, "search 'replicate' must be true or false");
      else if (scalar) search.replicate = scalar->value.get<bool>();
    } else if (key == "early_terminate") {
      SweepSpec inner;
      read_early_terminate(value, inner);
      search.early_terminate = inner.early_terminate;
    } else if (key == "tpe") {
      search.tpe = read_tpe(value);
    } else if (key == "parameters") {
      has_parameters = true;
      SweepSpec inner;
      read_parameters(value, "", inner);
      if (!inner.derived.empty()) {
        fail(value, "derive belongs in the sweep's parameters, not in the search's ('" + inner.derived.front().name +
                        "')");
      }
      search.parameters = std::move(inner.parameters);
    }
  });
  if (!has_parameters) fail(node, "search needs 'parameters': the settings each grid cell tunes");
  if (!has_run_cap) fail(node, "search needs 'run_cap': the trials of each grid cell");
  if (search.tpe && search.method != "bayes") {
    fail(search.tpe->where, "'tpe' sets a bayes search's sampler; this search's method is " + search.method);
  }
  spec.search = std::move(search);
}

// A search inside each grid cell: what it needs and what it cannot go with.
void SpecReader::check_search(const YAML::Node& root, SweepSpec& spec) {
  if (!spec.search) return;
  const InnerSearch& search = *spec.search;
  if (spec.method != "grid") fail(search.where, "a search inside each cell needs method: grid (the outer cells)");
  if (!spec.metric) fail(root, "search needs the sweep's 'metric' (name and goal): each cell's best trial is chosen by it");
  if (spec.early_terminate) {
    fail(spec.early_terminate->where, "with a search inside each cell, put early_terminate in 'search:' so that "
                                      "each cell's trials are judged among themselves");
  }
  if (spec.tpe) fail(spec.tpe->where, "with a search inside each cell, put tpe in 'search:' (it sets that search's sampler)");
  std::set<std::string> outer;
  for (const auto& parameter : spec.parameters) outer.insert(parameter.name);
  for (const auto& derived : spec.derived) outer.insert(derived.name);
  for (const auto& parameter : search.parameters) {
    if (outer.count(parameter.name)) {
      fail(parameter.where, "'" + parameter.name + "' is swept both by the grid and by its search");
    } else if (spec.base.count(parameter.name)) {
      fail(parameter.where, "'" + parameter.name + "' is both in 'base' and searched");
    } else if (parameter.name == "seed") {
      fail(parameter.where, "a search does not tune 'seed': list seeds with 'seeds' (replicate: true tunes on the first)");
    }
  }
}

// What a program's sweep cannot have, and what only it can.
void SpecReader::check_program(const YAML::Node& root, SweepSpec& spec) {
  if (!spec.program) {
    if (root["resources"]) {
      fail(root["resources"], "'resources' is for a program's sweep; a headroom-train sweep sets threads, "
                              "device, gpus, gpu_memory_gb and priority like its other settings");
    }
    return;
  }
  ProgramSpec& program = *spec.program;
  program.project = spec.project;
  program.entity = spec.entity;
  program.nested_blocks = spec.nested_blocks;
  // Each item of 'command' at its own line (program.command holds its scalars).
  const YAML::Node command = root["command"];
  for (const auto& item : command && command.IsSequence() ? command : YAML::Node(YAML::NodeType::Sequence)) {
    if (!item.IsScalar()) continue;
    const std::string& token = item.Scalar();
    const bool macro = token.size() > 3 && token.rfind("${", 0) == 0 && token.back() == '}';
    const auto& known = command_macros();
    if (macro && std::find(known.begin(), known.end(), token) == known.end()) {
      fail(item, "unknown macro '" + token + "' in 'command'" + did_you_mean(token, known));
    }
  }
  const bool uses_program = program.command.empty() ||
                            std::find(program.command.begin(), program.command.end(), "${program}") != program.command.end();
  if (program.program.empty() && uses_program) {
    fail(root["worker"] ? root["worker"] : root["command"], "the command runs ${program}, but the sweep has no 'program'");
  }
  if (spec.match) {
    fail(spec.match->location, "'match' sizes headroom-train's model; a program's sweep cannot use it");
  }
}

void SpecReader::read_document(const YAML::Node& root, SweepSpec& spec) {
  if (!root.IsMap()) {
    fail(root, "a sweep file must be a YAML map with 'method' and 'parameters'");
    return;
  }
  bool has_parameters = false;
  free_form_ = root["program"] || root["command"];
  for_each_key(root, kTopLevelKeys, "at the top level", [&](const std::string& key, const YAML::Node& key_node,
                                                            const YAML::Node& value) {
    if (key == "name") {
      if (auto text = read_string(value, key)) spec.name = *text;
    } else if (key == "description") {
      if (auto text = read_string(value, key)) spec.description = *text;
    } else if (key == "method") {
      auto method = read_string(value, key);
      if (!method) return;
      if (*method != "grid" && *method != "random" && *method != "bayes") {
        fail(value, "unknown method '" + *method + "'; use grid, random or bayes" +
                        did_you_mean(*method, {"grid", "random", "bayes"}));
      }
      spec.method = *method;
    } else if (key == "metric") {
      if (!value.IsMap()) {
        fail(value, "'metric' must be a map with 'name' and 'goal'");
        return;
      }
      MetricGoal metric;
      for_each_key(value, {"name", "goal", "target"}, "in metric",
                   [&](const std::string& metric_key, const YAML::Node&, const YAML::Node& item) {
        auto text = read_string(item, metric_key);
        if (!text) return;
        if (metric_key == "name") metric.name = *text;
        if (metric_key == "goal") {
          if (*text != "maximize" && *text != "minimize") {
            fail(item, "metric goal must be maximize or minimize, not '" + *text + "'");
          }
          metric.goal = *text;
        }
      });
      if (metric.name.empty()) fail(value, "'metric' needs a 'name'");
      spec.metric = metric;
    } else if (key == "parameters") {
      has_parameters = true;
      read_parameters(value, "", spec);
    } else if (key == "base") {
      if (!value.IsMap()) {
        fail(value, "'base' must be a map of settings shared by every cell");
        return;
      }
      for_each_key(value, {}, "in base", [&](const std::string& name, const YAML::Node& name_node,
                                             const YAML::Node& item) {
        check_trainer_key(name, name_node);
        if (auto scalar = read_value(item, name)) spec.base[name] = *scalar;
      });
    } else if (key == "seeds") {
      if (!value.IsSequence() || value.size() == 0) {
        fail(value, "'seeds' must be a non-empty list of integers (a replicate axis)");
        return;
      }
      ParameterSpec seeds;
      seeds.name = "seed";
      seeds.where = where(value);
      seeds.distribution.kind = "categorical";
      for (const auto& item : value) {
        auto scalar = read_scalar(item, "seeds");
        if (scalar && !scalar->value.is_number_integer()) {
          fail(item, "seeds must be integers, found " + scalar->value.dump());
        } else if (scalar) {
          seeds.values.push_back(*scalar);
        }
      }
      spec.parameters.push_back(std::move(seeds));
    } else if (key == "constraints") {
      if (!value.IsSequence()) {
        fail(value, "'constraints' must be a list of expressions, e.g. [\"d_model % heads == 0\"]");
        return;
      }
      for (const auto& item : value) {
        auto scalar = read_scalar(item, "constraints");
        if (scalar && !scalar->value.is_string()) {
          fail(item, "a constraint must be an expression in quotes");
        } else if (scalar) {
          spec.constraints.push_back(expression_start(item, *scalar));
        }
      }
    } else if (key == "run_cap" || key == "random_seed") {
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number_integer() || scalar->value.get<int64_t>() < 0)) {
        fail(value, "'" + key + "' must be a non-negative integer");
      } else if (scalar && key == "run_cap") {
        spec.run_cap = scalar->value.get<int64_t>();
      } else if (scalar) {
        spec.random_seed = scalar->value.get<uint64_t>();
      }
    } else if (key == "zip") {
      read_zip(value, spec);
    } else if (key == "include") {
      read_patterns(value, key, spec.include);
    } else if (key == "exclude") {
      read_patterns(value, key, spec.exclude);
    } else if (key == "retries") {
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number_integer() || scalar->value.get<int64_t>() < 0)) {
        fail(value, "'retries' must be a non-negative integer");
      } else if (scalar) {
        spec.retries = int(scalar->value.get<int64_t>());
      }
    } else if (key == "executor") {
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_string() || (scalar->value != "local" && scalar->value != "slurm"))) {
        fail(value, "'executor' must be local or slurm");
      } else if (scalar) {
        spec.executor = scalar->value.get<std::string>();
      }
    } else if (key == "slurm") {
      read_slurm(value, spec.slurm);
    } else if (key == "match") {
      read_match(key_node, value, spec);
    } else if (key == "program" || key == "command" || key == "worker" || key == "resources" ||
               key == "project" || key == "entity") {
      read_program_keys(key, value, spec);
    } else if (key == "early_terminate") {
      read_early_terminate(value, spec);
    } else if (key == "search") {
      read_search(value, spec);
    } else if (key == "tpe") {
      spec.tpe = read_tpe(value);
    } else if (key == "timeout") {
      auto scalar = read_scalar(value, key);
      if (scalar && (!scalar->value.is_number() || scalar->value.get<double>() < 0)) {
        fail(value, "'timeout' must be a non-negative number of seconds");
      } else if (scalar) {
        spec.timeout_seconds = scalar->value.get<double>();
      }
    } else {
      std::ostringstream text;
      text << value;
      spec.kept[key] = text.str();
    }
  });
  if (!has_parameters) fail(root, "the sweep has no 'parameters'");
  if (spec.early_terminate && !spec.metric) {
    fail(spec.early_terminate->where, "early_terminate needs the sweep's 'metric' (name and goal) to judge runs by");
  }
  check_zip(spec);
  check_program(root, spec);
  check_search(root, spec);
  if (spec.tpe && spec.method != "bayes" && !spec.search) {
    fail(spec.tpe->where, "'tpe' sets method: bayes's sampler; this sweep's method is " + spec.method);
  }
  if (spec.method == "bayes") {
    // W&B's bayes search needs its metric; Headroom's proposes one cell at a
    // time from results, so grid-only ways of listing cells do not apply.
    if (!spec.metric) fail(root, "method: bayes needs the sweep's 'metric' (name and goal) to search by");
    if (!spec.include.empty()) {
      fail(spec.include.front().where, "include lists cells of a grid; method: bayes proposes its own");
    }
    for (const auto& parameter : spec.parameters) {
      if (parameter.name == "seed" && parameter.values.size() > 1) {
        fail(parameter.where, "method: bayes searches one seed at a time: set one value of 'seed' (or "
                              "'seeds: [N]'); replicate the best cells over seeds with a grid sweep");
      }
    }
  }
  if (spec.method != "grid") {
    if (!spec.zipped.empty()) fail(spec.zipped.front().where, "zip works with method: grid only");
  } else {
    for (const auto& parameter : spec.parameters) {
      if (!parameter.enumerable()) {
        fail(parameter.distribution.where,
             "distribution '" + parameter.distribution.kind + "' of '" + parameter.name +
                 "' is continuous: a grid needs listed values (or int_uniform / q_uniform); use "
                 "method: random to sample it");
      }
    }
  }
  std::set<std::string> names;
  for (const auto& derived : spec.derived) {
    if (spec.base.count(derived.name)) {
      fail(derived.expression.where, "parameter '" + derived.name + "' is both in 'base' and derived");
    }
    names.insert(derived.name);
  }
  for (const auto& parameter : spec.parameters) {
    if (!names.insert(parameter.name).second) {
      fail(parameter.where, "parameter '" + parameter.name + "' is swept twice" +
                                (parameter.name == "seed" ? " (by 'seeds' and 'parameters')" : ""));
    }
    if (spec.base.count(parameter.name)) {
      fail(parameter.where, "parameter '" + parameter.name + "' is both in 'base' and swept");
    }
  }
}

}  // namespace

Result<SweepSpec> parse_sweep(const std::string& text, const std::string& file) {
  SweepSpec spec;
  spec.file = file;
  spec.text = text;
  spec.name = std::filesystem::path(file).stem().string();
  // YAML files are UTF-8; every value read from one may end up in JSON.
  if (auto bad = first_invalid_utf8(text)) {
    const size_t line_start = text.rfind('\n', *bad == 0 ? 0 : *bad - 1);
    const int line = 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(*bad), '\n'));
    const int column = int(*bad - (line_start == std::string::npos || *bad == 0 ? 0 : line_start + 1)) + 1;
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned char>(text[*bad]));
    return Error::invalid(std::string("not UTF-8 text: byte ") + hex + " (save the file as UTF-8)",
                          Location{file, line, column});
  }
  SpecReader reader(file);
  try {
    YAML::Node root = YAML::Load(text);
    reader.read_document(root, spec);
  } catch (const YAML::Exception& error) {
    Location location{file, error.mark.line >= 0 ? error.mark.line + 1 : 0,
                      error.mark.column >= 0 ? error.mark.column + 1 : 0};
    return Error::invalid("invalid YAML: " + error.msg, location);
  }
  if (!reader.diagnostics().empty()) return Error::invalid(std::move(reader.diagnostics()));
  return spec;
}

namespace {

// What a new sweep file may not say, besides its name (sweep_name_problem),
// though a stored sweep that says it still resumes (load_sweep checks it;
// `resume` and reports parse stored text with parse_sweep): a bayes search
// with nothing to search, and an override that reads as a parameter's spec.
// Each problem at its line.
std::vector<Diagnostic> new_sweep_problems(const SweepSpec& spec, const YAML::Node& root, const std::string& path) {
  std::vector<Diagnostic> problems;
  const auto at = [&](const YAML::Node& node) {
    return Location{path, node.Mark().line + 1, node.Mark().column + 1};
  };
  if (spec.method == "bayes") {
    const bool searches = std::any_of(spec.parameters.begin(), spec.parameters.end(), [](const ParameterSpec& p) {
      return p.distribution.kind != "constant" && !(p.distribution.kind == "categorical" && p.values.size() < 2);
    });
    if (!searches) {
      problems.push_back({at(root["method"]), "method: bayes has nothing to search: every parameter has one value; "
                                              "give one 'values' (two or more) or a distribution (min/max)"});
    }
  }
  // A program's override may set a map, but not one that reads as a
  // parameter's own spec: a parameter searched only for some values of
  // another (a conditional parameter) cannot be declared, and the map would
  // reach the program as text.
  // (A key a const node lacks gives an undefined node, which is false.)
  const YAML::Node parameters = root["parameters"];
  if (!parameters || !parameters.IsMap()) return problems;
  for (const auto& parameter : parameters) {
    const YAML::Node spec_of_parameter = parameter.second;
    if (!spec_of_parameter.IsMap()) continue;
    const YAML::Node overrides = spec_of_parameter["overrides"];
    if (!overrides || !overrides.IsMap()) continue;
    for (const auto& chosen : overrides) {
      if (!chosen.second.IsMap()) continue;
      for (const auto& setting : chosen.second) {
        const YAML::Node value = setting.second;
        if (!value.IsMap() || !(value["distribution"] || value["values"] || (value["min"] && value["max"]))) continue;
        // The keys are scalars: parse_sweep refused the file otherwise.
        const std::string name = setting.first.Scalar(), owner = parameter.first.Scalar();
        problems.push_back({at(value), "an override sets a fixed value; '" + name +
                                           "' here reads as a parameter's spec (distribution, values, or min and "
                                           "max): a parameter searched only for some values of '" + owner +
                                           "' cannot be declared (docs/sweeps.md); sweep '" + name +
                                           "' among the parameters"});
      }
    }
  }
  return problems;
}

// Why `name` cannot name a new sweep; empty when it can. A sweep's name is a
// folder under the runs root and an item of comma-separated lists (the
// dashboard's ?sweep=A,B), and is printed to terminals. Sweeps recorded
// before this rule keep their names: `resume` parses the stored text, not
// through load_sweep.
std::string sweep_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name == "." || name == "..") return "names a folder's link, not a folder";
  if (name.size() > 200) return "is longer than 200 bytes";
  for (char c : name) {
    if (c == '/' || c == '\\' || c == ',') return std::string("contains '") + c + "'";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "contains a control character";
  }
  return "";
}

}  // namespace

Result<SweepSpec> load_sweep(const std::string& path, int64_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalid("cannot read sweep file '" + path + "'", {path});
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto spec = parse_sweep(buffer.str(), path);
  if (spec) {
    if (auto problem = sweep_name_problem(spec->name); !problem.empty()) {
      const YAML::Node name = YAML::Load(spec->text)["name"];
      if (!name) {
        return Error::invalid("the sweep's name, '" + spec->name + "' from the file's name, " + problem +
                                  ": give it a 'name:'",
                              Location{path, 1, 1});
      }
      return Error::invalid("the sweep's name " + problem + " (it names the sweep's folder of runs)",
                            Location{path, name.Mark().line + 1, name.Mark().column + 1});
    }
  }
  if (spec) {
    if (auto problems = new_sweep_problems(spec.value(), YAML::Load(spec->text), path); !problems.empty()) {
      return Error::invalid(std::move(problems));
    }
  }
  if (!spec || count <= 0) return spec;
  if (spec->method == "grid") return Error::invalid("--count applies to method: random and bayes only", {path});
  spec->run_cap = count;
  return spec;
}

std::string spec_content_key(const std::string& text) {
  try {
    return YAML::Dump(YAML::Load(text));
  } catch (const YAML::Exception&) {
    return "";
  }
}

}  // namespace headroom
