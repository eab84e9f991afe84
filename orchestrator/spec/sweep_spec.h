#pragma once
// A sweep file (Weights & Biases sweep YAML plus Headroom's extensions) read
// into a validated SweepSpec. See docs/sweeps.md for the language.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/spec/program_spec.h"

namespace headroom {

// A value from the sweep file with where it was written: a number, string,
// bool or null; for a program's sweep also a list or a map (any YAML).
struct SpecValue {
  nlohmann::json value;
  Location where;
};

// A W&B distribution for random search (and, where it is discrete, a grid).
struct Distribution {
  std::string kind;  // constant, categorical, int_uniform, uniform, q_uniform, log_uniform, ...
  double min = 0, max = 0, q = 1, mu = 0, sigma = 1, a = 1, b = 1;
  std::vector<double> probabilities;  // categorical only; empty = uniform
  Location where;
};

// One swept parameter. Nested W&B `parameters` blocks are flattened to dotted
// names. Values are tried in the order written.
struct ParameterSpec {
  std::string name;
  Location where;
  std::vector<SpecValue> values;  // one for `value:`, several for `values:`
  Distribution distribution;      // how random search draws it (constant/categorical for value(s))
  // Per-value overrides: choosing values[i] also sets these parameters, e.g.
  // attention: fixed sets head_size: 32 while standard derives it.
  std::map<std::string, std::map<std::string, SpecValue>> overrides;  // key: value's JSON dump

  // A grid's view of the parameter: whether it can be enumerated (listed
  // values, int_uniform's min..max inclusive, q_uniform like arange(min, max,
  // q)), how many values that gives, the i-th of them, and whether `value` is
  // one. Ranges are computed on demand, so a range of a hundred million values
  // costs nothing until the grid is known to be small enough.
  bool enumerable() const;
  int64_t grid_size() const;
  SpecValue grid_value(int64_t index) const;
  bool enumerates(const nlohmann::json& value) const;
};

// A parameter computed per cell from the others: `head_size: {derive: "d_model / heads"}`.
struct DerivedParameter {
  std::string name;
  SpecValue expression;  // the expression text and where it was written
};

// Parameter values that pick out cells: `include` adds each as a cell (base +
// these values); `exclude` removes every grid cell that has all of them.
struct CellPattern {
  std::map<std::string, SpecValue> values;
  Location where;
};

// Swept parameters that vary together (`zip: [[d_model, heads]]`): the i-th
// values of each make one point; all must list the same number of values.
struct ZipGroup {
  std::vector<std::string> names;
  Location where;
};

// `match:` cells matched to a budget (docs/sweeps.md): for each cell that has
// every value of `where`, the free setting `solve` is set to the value whose
// budget comes closest to the target; a cell that cannot come within the
// tolerance is an error.
struct BudgetMatch {
  std::string budget;  // non_embedding_parameters | parameters | training_flops_per_token | training_flops
  std::string solve;   // ffn_mult | d_model | heads
  std::optional<double> target;                // a number, or:
  std::map<std::string, SpecValue> like;       // the budget of the cell itself with these settings changed
  std::map<std::string, SpecValue> where;      // the cells to match; all when empty
  double tolerance = 0.02;                     // relative: |achieved - target| <= tolerance * target
  Location location;                           // the `match` key
};

struct MetricGoal {
  std::string name;
  std::string goal = "maximize";  // maximize | minimize

  bool maximize() const { return goal != "minimize"; }
};

// How SLURM runs the sweep's cells (`slurm:` in the sweep; flags of
// `headroom run` override each field). Empty strings: the cluster's default.
struct SlurmSpec {
  std::string partition, account, qos;
  std::string time;    // --time, e.g. "02:00:00"; empty: from `timeout`, else the partition's
  std::string memory;  // --mem, e.g. "16G"
  int throttle = 0;    // tasks of an array running at once (--array=0-N%K); 0: no limit
  bool gpus = false;   // ask SLURM for each cell's `gpus` (--gpus-per-task)
  std::vector<std::string> sbatch_arguments;  // passed to sbatch as they are
};

// W&B's `early_terminate`, checked against W&B's schema; the schedulers
// apply it (scheduler/early_termination.h).
struct EarlyTerminate {
  std::string type;  // hyperband
  int64_t min_iter = 0, max_iter = 0, s = 0;
  double eta = 3;
  bool strict = false;
  Location where;
};

// `tpe:` the bayes sampler's settings a sweep may choose (Headroom's; W&B's
// bayes has none). An unset field keeps TpeSettings' default (search/tpe.h,
// where the defaults live); the search applies them (scheduler/bayes_search.h).
struct SamplerOptions {
  std::optional<int> startup_trials;  // random draws before TPE (Optuna's n_startup_trials)
  std::optional<bool> multivariate;   // joint densities (Optuna's multivariate)
  Location where;
};

// `search:` a search inside each cell of a grid (docs/sweeps.md, "A search
// inside each grid cell"): every outer cell tunes these parameters with
// `run_cap` trials of its own; its result is its best trial on the sweep's
// metric.
struct InnerSearch {
  std::string method = "bayes";  // bayes | random
  int64_t run_cap = 0;           // trials per grid cell
  std::vector<ParameterSpec> parameters;
  // Judges each cell's trials among themselves (scheduler/early_termination.h).
  std::optional<EarlyTerminate> early_terminate;
  std::optional<SamplerOptions> tpe;  // method: bayes only
  // Tune on the first seed only, then run the best trial's settings on each
  // of the other seeds (the economical protocol); false: every seed of a
  // cell has a search of its own.
  bool replicate = false;
  Location where;
};

struct SweepSpec {
  std::string file;         // path as given
  std::string text;         // the file's bytes, stored verbatim with the sweep
  std::string name;         // `name:`, or the file's stem
  std::string description;
  std::string method = "grid";  // grid | random | bayes
  std::optional<MetricGoal> metric;
  std::map<std::string, SpecValue> base;  // trainer config shared by every cell
  std::vector<ParameterSpec> parameters;  // in file order; later ones vary fastest
  std::vector<DerivedParameter> derived;  // computed in file order after overrides
  // Cells for which one of these is false (0) are excluded, with the reason.
  std::vector<SpecValue> constraints;
  std::vector<ZipGroup> zipped;
  std::vector<CellPattern> include, exclude;
  std::optional<BudgetMatch> match;
  int64_t run_cap = 0;          // random and bayes search: cells to make (0 = not set: until stopped)
  uint64_t random_seed = 0;     // random and bayes search: the generator's seed
  int retries = 0;              // extra attempts for a crashed run
  double timeout_seconds = 0;   // 0 = none
  std::string executor = "local";  // local | slurm
  SlurmSpec slurm;
  std::optional<ProgramSpec> program;  // absent: cells run headroom-train
  // A program sweep's resources (`resources:`), for every cell: its
  // parameters are all the program's, so resources cannot be among them.
  std::map<std::string, SpecValue> resources;
  std::string project, entity;  // W&B's; a program gets them as ${project}, ${entity}
  std::optional<EarlyTerminate> early_terminate;
  std::optional<SamplerOptions> tpe;  // method: bayes only
  std::optional<InnerSearch> search;  // a search inside each grid cell
  std::vector<std::string> nested_blocks;  // W&B's nested `parameters:` blocks (program_spec.h)
  // Accepted W&B keys Headroom keeps but does not act on (shown by plan).
  std::map<std::string, std::string> kept;
};

// Parses YAML text; `file` names it in diagnostics. Reports every problem
// found, each as file:line:column. Pure: no I/O.
Result<SweepSpec> parse_sweep(const std::string& text, const std::string& file);

// The sweep file's content without its comments and layout: YAML text
// re-emitted from the parsed document ("" when the text is not YAML). Two
// files with the same key describe the same sweep, so editing a comment does
// not make a sweep "changed".
std::string spec_content_key(const std::string& text);

// Reads and parses a sweep file. `count` > 0 replaces run_cap (random and
// bayes search); it is an error for a grid. Also refuses what a new sweep may
// not say though a stored one may: a name that cannot name a new sweep
// (empty, "." or "..", over 200 bytes, or holding '/', '\\', ',' or a control
// character: it becomes a folder and an item of lists), `method: bayes` with
// nothing to search, and an override that reads as a parameter's spec (a map
// with distribution, values, or min and max). `resume` and reports parse a
// stored sweep's text with parse_sweep, so older sweeps still resume.
Result<SweepSpec> load_sweep(const std::string& path, int64_t count = 0);

}  // namespace headroom
