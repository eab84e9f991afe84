// Properties of grid expansion and cell identity over randomly generated
// sweeps (rapidcheck): a grid is exactly the product of its value lists,
// and a cell's hash depends on what it computes, never on how the sweep
// file spells or orders it or on where it runs.
#include <gtest/gtest.h>
// rapidcheck's gtest glue expects gtest to be included first.
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"

namespace headroom {
namespace {

// Trainer settings that any value in their range accepts, whatever the others are.
struct Axis {
  std::string name;
  std::vector<double> values;  // distinct
  bool integral = false;
};

rc::Gen<Axis> axis_named(const std::string& name, bool integral, double scale) {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(1, 5), rc::gen::inRange(1, 1000), rc::gen::inRange(1, 50)),
      [=](const std::tuple<int, int, int>& drawn) {
        const auto& [count, start, step] = drawn;
        Axis axis{name, {}, integral};
        for (int i = 0; i < count; ++i) axis.values.push_back(double(start + i * step) * scale);
        return axis;
      });
}

// A random subset (at least one) of the independent axes.
rc::Gen<std::vector<Axis>> axes() {
  return rc::gen::exec([] {
    std::vector<Axis> all = {*axis_named("lr", false, 1e-5), *axis_named("steps", true, 1),
                             *axis_named("batch_size", true, 1), *axis_named("weight_decay", false, 1e-4),
                             *axis_named("warmup_steps", true, 1)};
    const auto keep = *rc::gen::container<std::vector<bool>>(all.size(), rc::gen::arbitrary<bool>());
    std::vector<Axis> chosen;
    for (size_t i = 0; i < all.size(); ++i) {
      if (keep[i]) chosen.push_back(all[i]);
    }
    if (chosen.empty()) chosen.push_back(all.front());
    return chosen;
  });
}

// How a number may be written in YAML without changing its value.
std::string spell(double value, bool integral, bool alternative) {
  char text[64];
  if (integral) {
    std::snprintf(text, sizeof(text), alternative ? "%.1f" : "%.0f", value);
  } else {
    std::snprintf(text, sizeof(text), alternative ? "%.17e" : "%.17g", value);
  }
  return text;
}

std::string sweep_yaml(const std::vector<Axis>& axes, int seeds, bool alternative, const std::string& extra) {
  std::string yaml = "name: property\n" + extra + "base: {d_model: 32, heads: 2, seq_len: 16}\nparameters:\n";
  for (const auto& axis : axes) {
    yaml += "  " + axis.name + ": {values: [";
    for (size_t i = 0; i < axis.values.size(); ++i) {
      yaml += (i ? ", " : "") + spell(axis.values[i], axis.integral, alternative);
    }
    yaml += "]}\n";
  }
  if (seeds > 0) {
    yaml += "seeds: [";
    for (int i = 0; i < seeds; ++i) yaml += (i ? ", " : "") + std::to_string(i);
    yaml += "]\n";
  }
  return yaml;
}

Expansion expand_or_fail(const std::string& yaml) {
  auto spec = parse_sweep(yaml, "property.yaml");
  RC_ASSERT(spec.ok());
  auto expansion = expand(spec.value());
  RC_ASSERT(expansion.ok());
  return expansion.value();
}

std::multiset<std::string> hashes(const Expansion& expansion) {
  std::multiset<std::string> all;
  for (const auto& cell : expansion.cells) all.insert(cell.hash);
  return all;
}

RC_GTEST_PROP(GridProperties, AGridIsExactlyTheProductOfItsValueLists, ()) {
  const auto chosen = *axes();
  const int seeds = *rc::gen::inRange(0, 4);
  const Expansion expansion = expand_or_fail(sweep_yaml(chosen, seeds, false, ""));
  size_t expected = std::max(seeds, 1);
  for (const auto& axis : chosen) expected *= axis.values.size();
  RC_ASSERT(expansion.cells.size() == expected);
  RC_ASSERT(expansion.excluded.empty());
  // Every combination appears once: distinct parameters, distinct hashes.
  std::set<std::string> parameters;
  for (const auto& cell : expansion.cells) {
    parameters.insert(cell.parameters.dump());
    for (const auto& axis : chosen) {
      const double value = cell.parameters.at(axis.name).get<double>();
      RC_ASSERT(std::find(axis.values.begin(), axis.values.end(), value) != axis.values.end());
    }
  }
  RC_ASSERT(parameters.size() == expected);
  const auto all = hashes(expansion);
  RC_ASSERT(std::set<std::string>(all.begin(), all.end()).size() == expected);
}

RC_GTEST_PROP(GridProperties, HashesIgnoreSpellingOrderAndExecutionSettings, ()) {
  auto chosen = *axes();
  const int seeds = *rc::gen::inRange(0, 3);
  const auto reference = hashes(expand_or_fail(sweep_yaml(chosen, seeds, false, "")));
  // The same grid, parameters listed in another order, numbers spelled
  // differently (64.0, 1.0e-03), run elsewhere with other resources.
  std::reverse(chosen.begin(), chosen.end());
  const std::string execution = *rc::gen::elementOf(std::vector<std::string>{
      "", "base: {threads: 2}\n", "base: {priority: 7, gpus: 2, gpu_memory_gb: 3.5}\n", "base: {device: cpu}\n"});
  std::string yaml = sweep_yaml(chosen, seeds, true, "description: respelled\n");
  if (!execution.empty()) {
    // Merge into the one base mapping the generator writes.
    const std::string settings = execution.substr(7, execution.size() - 7 - 2);
    yaml.replace(yaml.find("base: {") + 7, 0, settings + ", ");
  }
  RC_ASSERT(hashes(expand_or_fail(yaml)) == reference);
}

RC_GTEST_PROP(GridProperties, ChangingAComputedSettingChangesEveryHash, ()) {
  const auto chosen = *axes();
  const auto reference = hashes(expand_or_fail(sweep_yaml(chosen, 0, false, "")));
  std::string yaml = sweep_yaml(chosen, 0, false, "");
  yaml.replace(yaml.find("seq_len: 16"), 11, "seq_len: 17");
  const auto changed = hashes(expand_or_fail(yaml));
  std::vector<std::string> common;
  std::set_intersection(reference.begin(), reference.end(), changed.begin(), changed.end(),
                        std::back_inserter(common));
  RC_ASSERT(common.empty());
}

RC_GTEST_PROP(GridProperties, RandomSearchDrawsRunCapCellsDeterministicallyPerSeed, ()) {
  const int cap = *rc::gen::inRange(1, 30);
  const int seed = *rc::gen::inRange(0, 1000);
  const std::string yaml = "name: random\nmethod: random\nrun_cap: " + std::to_string(cap) +
                           "\nrandom_seed: " + std::to_string(seed) +
                           "\nbase: {d_model: 32, heads: 2}\nparameters:\n"
                           "  lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-2}\n"
                           "  steps: {distribution: int_uniform, min: 10, max: 20}\n";
  const Expansion first = expand_or_fail(yaml), second = expand_or_fail(yaml);
  RC_ASSERT(first.cells.size() <= size_t(cap));
  RC_ASSERT(hashes(first) == hashes(second));
  for (const auto& cell : first.cells) {
    const double lr = cell.parameters.at("lr").get<double>();
    const int64_t steps = cell.parameters.at("steps").get<int64_t>();
    RC_ASSERT(lr >= 1e-5 && lr <= 1e-2);
    RC_ASSERT(steps >= 10 && steps <= 20);
  }
}

}  // namespace
}  // namespace headroom
