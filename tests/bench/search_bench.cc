// headroom-bench-search: Headroom's adaptive search (orchestrator/search) on
// the problems of issue 20, for `scripts/bench search`, which runs Optuna's
// TPE on the same problems (scripts/bench.d/search_optuna.py) and tabulates
// both (scripts/bench.d/search.py). Not a test: it writes measurements.
//
// --tpe univariate|multivariate chooses TpeSettings::multivariate for every
// search of the run (default: TpeSettings' default); each line but the
// surrogate's says which ("sampler") and whether it is the default
// ("default_sampler").
//
// Output: one JSON object a line (to --out, or stdout), of these kinds:
//   surrogate      the trainer surrogate's table, which the Optuna side reads
//                  too, so both tools search the very same lookup
//   search         one repetition of a sequential search: best-so-far per trial
//   proposal_time  ms per proposal with 999 finished trials in the history
//   hyperband      one repetition of the trainer search with and without
//                  W&B's hyperband: compute until its best cell is trained
//
// The problems (defined identically in search_optuna.py):
//   branin     x1 uniform [-5, 10], x2 uniform [0, 15]; minimize; optimum 0.397887
//   hartmann6  x1..x6 uniform [0, 1]; minimize; optimum -3.32237
//   mixed      optimizer categorical {sgd, adam, lion}, lr log_uniform_values
//              [1e-5, 1], layers int_uniform [1, 16], dropout uniform [0, 0.5];
//              minimize offset(optimizer) + 0.5 (log10 lr - centre(optimizer))^2
//              + 0.01 (layers - 6)^2 + 2 (dropout - 0.15)^2 with offset
//              {sgd 0.3, adam 0, lion 0.1} and centre {sgd -1, adam -3,
//              lion -4}: the best learning rate depends on the optimizer,
//              which univariate TPE cannot see directly; optimum 0 (adam,
//              lr 1e-3, 6 layers, dropout 0.15)
//   trainer    a lookup over a paper sweep's cells in the results database
//              (default paper-heads: attention x heads, 10 cells, 3 seeds
//              each); each parameter is categorical over the values its
//              cells have; a cell's curve is the mean eval/accuracy over its
//              seeds at each evaluation, its value the curve's last point;
//              maximize
//
// Searches are sequential (one trial at a time, every earlier trial finished),
// with TpeSettings' defaults but for --tpe (Optuna's; constant_liar changes
// nothing without running trials), seeds 0..R-1. A trial is a point
// trained: as in a Headroom sweep, a proposal that repeats one trains nothing
// (it matters on the trainer's 10 cells only).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "orchestrator/scheduler/bayes_search.h"
#include "orchestrator/search/hyperband.h"
#include "orchestrator/search/tpe.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/sqlite.h"

namespace headroom {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

ParameterSpec ranged(const std::string& name, const std::string& kind, double min, double max) {
  ParameterSpec p;
  p.name = name;
  p.distribution.kind = kind;
  p.distribution.min = min;
  p.distribution.max = max;
  return p;
}

ParameterSpec categorical(const std::string& name, const std::vector<json>& values) {
  ParameterSpec p;
  p.name = name;
  p.distribution.kind = "categorical";
  for (const json& v : values) p.values.push_back({v, {}});
  return p;
}

// A learning curve: the metric at each evaluation, in order.
using Curve = std::vector<double>;

struct Problem {
  std::string name;
  bool minimize = true;
  std::vector<ParameterSpec> space;
  std::function<double(const json&)> objective;
  // The trainer surrogate only: a proposal's learning curve (its last point
  // is the objective).
  std::function<const Curve&(const json&)> curve;
};

double branin(const json& p) {
  const double x1 = p["x1"].get<double>(), x2 = p["x2"].get<double>();
  const double pi = std::numbers::pi;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

double hartmann6(const json& p) {
  static constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                     {0.05, 10, 17, 0.1, 8, 14},
                                     {3, 3.5, 1.7, 10, 17, 8},
                                     {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double centre[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                          {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                          {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                          {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) {
      const double x = p["x" + std::to_string(j + 1)].get<double>();
      inner += a[i][j] * (x - centre[i][j]) * (x - centre[i][j]);
    }
    sum += alpha[i] * std::exp(-inner);
  }
  return -sum;
}

double mixed(const json& p) {
  static const std::map<std::string, std::pair<double, double>> optimizers = {
      {"sgd", {0.3, -1}}, {"adam", {0.0, -3}}, {"lion", {0.1, -4}}};  // offset, best log10 lr
  const auto& [offset, centre] = optimizers.at(p["optimizer"].get<std::string>());
  const double lr = std::log10(p["lr"].get<double>());
  const double layers = p["layers"].get<double>(), dropout = p["dropout"].get<double>();
  return offset + 0.5 * std::pow(lr - centre, 2) + 0.01 * std::pow(layers - 6, 2) +
         2 * std::pow(dropout - 0.15, 2);
}

// The trainer surrogate: each cell's mean curve over its seeds, keyed by the
// values of the searched parameters (their JSON dump).
struct Surrogate {
  std::string sweep, metric;
  bool maximize = true;
  std::vector<std::string> parameters;
  std::vector<int64_t> steps;
  std::map<std::string, Curve> curves;  // key: json{parameter: value}.dump()
  std::map<std::string, json> cell_parameters;
  std::map<std::string, int> seeds;

  std::string key(const json& proposal) const {
    json k = json::object();
    for (const std::string& name : parameters) k[name] = proposal.at(name);
    return k.dump();
  }

  // The values the cells have for a searched parameter, sorted.
  std::vector<json> values_of(const std::string& name) const {
    std::vector<json> values;
    for (const auto& [k, cell] : cell_parameters) values.push_back(cell.at(name));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  }
};

// Reads the sweep's cells: per cell (one seed), the metric at each step, a
// later attempt's value replacing an earlier one's (a resumed run logs only
// the steps after its checkpoint); then the mean over the cells that share
// the searched parameters' values. Throws when the cells do not make the full
// product of the values (TPE would propose a cell with no value) or their
// evaluations differ.
Surrogate read_surrogate(const std::string& path, const std::string& sweep,
                         const std::vector<std::string>& parameters) {
  Surrogate s;
  s.sweep = sweep;
  s.parameters = parameters;
  sqlite::Connection db(path, sqlite::Connection::Mode::read_only);
  {
    sqlite::Statement q(db.handle(), "SELECT metric, goal FROM sweeps WHERE name = ?");
    q.bind(1, sweep);
    if (!q.step()) throw std::runtime_error("no sweep '" + sweep + "' in " + path);
    s.metric = q.text(0);
    s.maximize = q.text(1) == "maximize";
  }
  sqlite::Statement q(
      db.handle(),
      "SELECT c.id, c.parameters, m.step, m.value FROM cells c JOIN sweeps s ON s.id = c.sweep_id "
      "JOIN runs r ON r.cell_id = c.id JOIN metrics m ON m.run_id = r.id "
      "JOIN metric_names n ON n.id = m.metric_id "
      "WHERE s.name = ? AND n.name = ? AND c.state = 'succeeded' AND m.value IS NOT NULL "
      "ORDER BY c.id, r.attempt, m.step");
  q.bind(1, sweep).bind(2, s.metric);
  std::map<int64_t, std::map<int64_t, double>> by_cell;  // cell -> step -> value
  std::map<int64_t, json> cell_json;
  while (q.step()) {
    const int64_t cell = q.integer(0);
    cell_json.emplace(cell, json::parse(q.text(1)));
    by_cell[cell][q.integer(2)] = q.real(3);
  }
  std::map<std::string, std::vector<const std::map<int64_t, double>*>> groups;
  for (const auto& [cell, points] : by_cell) {
    const std::string k = s.key(cell_json.at(cell));
    groups[k].push_back(&points);
    s.cell_parameters[k] = json::parse(k);
  }
  if (groups.empty())
    throw std::runtime_error("sweep '" + sweep + "' has no " + s.metric + " points");
  for (const auto& [step, value] : *groups.begin()->second.front()) s.steps.push_back(step);
  for (const auto& [k, members] : groups) {
    Curve mean(s.steps.size(), 0.0);
    for (const auto* points : members) {
      size_t i = 0;
      for (const auto& [step, value] : *points) {
        if (i >= s.steps.size() || s.steps[i] != step) {
          throw std::runtime_error("cells of sweep '" + sweep +
                                   "' differ in their evaluation steps");
        }
        mean[i++] += value / double(members.size());
      }
      if (i != s.steps.size()) {
        throw std::runtime_error("cells of sweep '" + sweep + "' differ in their evaluation steps");
      }
    }
    s.curves[k] = mean;
    s.seeds[k] = int(members.size());
  }
  size_t product = 1;
  for (const std::string& name : parameters) product *= s.values_of(name).size();
  if (product != s.curves.size()) {
    throw std::runtime_error("the cells of sweep '" + sweep +
                             "' do not form the full product of the searched parameters");
  }
  return s;
}

// The surrogate's search space: each parameter categorical over its values, sorted.
std::vector<ParameterSpec> surrogate_space(const Surrogate& s) {
  std::vector<ParameterSpec> space;
  for (const std::string& name : s.parameters)
    space.push_back(categorical(name, s.values_of(name)));
  return space;
}

json surrogate_line(const Surrogate& s) {
  json cells = json::array();
  for (const auto& [k, curve] : s.curves) {
    cells.push_back(
        {{"parameters", s.cell_parameters.at(k)}, {"seeds", s.seeds.at(k)}, {"curve", curve}});
  }
  json space = json::array();
  for (const ParameterSpec& p : surrogate_space(s)) {
    json values = json::array();
    for (const SpecValue& v : p.values) values.push_back(v.value);
    space.push_back({{"name", p.name}, {"values", values}});
  }
  return {{"kind", "surrogate"}, {"sweep", s.sweep},
          {"metric", s.metric},  {"goal", s.maximize ? "maximize" : "minimize"},
          {"steps", s.steps},    {"space", space},
          {"cells", cells}};
}

std::vector<Problem> make_problems(const Surrogate* surrogate) {
  std::vector<Problem> problems;
  problems.push_back({"branin",
                      true,
                      {ranged("x1", "uniform", -5, 10), ranged("x2", "uniform", 0, 15)},
                      branin,
                      {}});
  std::vector<ParameterSpec> unit_cube;
  for (int j = 1; j <= 6; ++j)
    unit_cube.push_back(ranged("x" + std::to_string(j), "uniform", 0, 1));
  problems.push_back({"hartmann6", true, unit_cube, hartmann6, {}});
  problems.push_back(
      {"mixed",
       true,
       {categorical("optimizer", {"sgd", "adam", "lion"}),
        ranged("lr", "log_uniform_values", 1e-5, 1), ranged("layers", "int_uniform", 1, 16),
        ranged("dropout", "uniform", 0, 0.5)},
       mixed,
       {}});
  if (surrogate) {
    auto curve = [surrogate](const json& p) -> const Curve& {
      return surrogate->curves.at(surrogate->key(p));
    };
    problems.push_back({"trainer", !surrogate->maximize, surrogate_space(*surrogate),
                        [curve](const json& p) { return curve(p).back(); }, curve});
  }
  return problems;
}

bool better(const Problem& problem, double a, double b) { return problem.minimize ? a < b : a > b; }

// One sequential search as a Headroom sweep runs it: a proposal that repeats
// a point already trained (a cell of the sweep) trains nothing and enters the
// history again with that point's value; `trials` counts points trained. The
// best value so far after each trained point; a search whose space runs out
// (kFruitlessProposalsBeforeGivingUp repeats in a row) keeps its best for the rest.
std::vector<double> run_search(const Problem& problem, const TpeSettings& settings, uint64_t seed,
                               int trials) {
  const TpeSampler sampler(problem.space, problem.minimize, settings, seed);
  std::vector<Trial> history;
  std::map<std::string, double> trained;  // point (JSON dump) -> value
  std::vector<double> best;
  for (uint64_t index = 0, repeats = 0; int(best.size()) < trials; ++index) {
    json proposal = sampler.propose(history, index);
    const auto [point, fresh] = trained.emplace(proposal.dump(), 0.0);
    if (fresh) {
      point->second = problem.objective(proposal);
      best.push_back(best.empty() || better(problem, point->second, best.back()) ? point->second
                                                                                  : best.back());
      repeats = 0;
    } else if (++repeats >= kFruitlessProposalsBeforeGivingUp) {
      best.resize(size_t(trials), best.back());
      break;
    }
    history.push_back({std::move(proposal), point->second, false});
  }
  return best;
}

// Mean ms per proposal with `history_size` finished random trials in the
// history (random search's draws: TPE's startup proposals), over `proposals`.
double time_proposals(const Problem& problem, const TpeSettings& settings, int history_size,
                      int proposals) {
  const TpeSampler sampler(problem.space, problem.minimize, settings, 12345);
  std::vector<Trial> history;
  for (int i = 0; i < history_size; ++i) {
    json p = sampler.propose({}, uint64_t(i));
    const double value = problem.objective(p);
    history.push_back({std::move(p), value, false});
  }
  const auto start = Clock::now();
  json last;
  for (int i = 0; i < proposals; ++i) last = sampler.propose(history, uint64_t(history_size + i));
  const double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count() / proposals;
  if (!last.is_object()) std::fprintf(stderr, "headroom-bench-search: no proposal\n");
  return ms;
}

// One trainer search whose trials are trained evaluation by evaluation.
struct HyperbandSearch {
  std::vector<int64_t> consumed;    // evaluations each trained cell used
  std::vector<bool> completed;      // trained to the end (not stopped)
  std::vector<double> final_value;  // the cell's value had it been trained to the end
  int stopped = 0;
};

// With `rule` (nullopt: without early termination) W&B's hyperband is asked
// after each new evaluation of the running trial, with every earlier trial
// ended; a stopped trial enters TPE's history as a finished trial valued at
// its last evaluation (Headroom's design: stopped runs count as worse ones).
// As in a Headroom sweep, a proposal that repeats a cell trains nothing and
// counts that cell's trial again (a stopped one as stopped); `trials` cells
// are trained, or the space runs out (kFruitlessProposalsBeforeGivingUp in a row).
HyperbandSearch run_trainer_search(const Problem& problem, const TpeSettings& settings,
                                   uint64_t seed, int trials,
                                   const std::optional<EarlyTerminate>& rule) {
  const TpeSampler sampler(problem.space, problem.minimize, settings, seed);
  std::vector<Trial> history;
  std::vector<HyperbandRun> runs;
  std::map<std::string, double> trained;  // cell (JSON dump) -> its trial's value
  HyperbandSearch out;
  for (uint64_t index = 0, repeats = 0;
       int(out.consumed.size()) < trials && repeats < kFruitlessProposalsBeforeGivingUp; ++index) {
    json proposal = sampler.propose(history, index);
    if (const auto found = trained.find(proposal.dump()); found != trained.end()) {
      ++repeats;
      history.push_back({std::move(proposal), found->second, false});
      continue;
    }
    repeats = 0;
    const std::string key = proposal.dump();
    const Curve& curve = problem.curve(proposal);
    HyperbandRun run{int64_t(index), true, {}};
    bool stopped = false;
    for (double point : curve) {
      run.history.push_back(point);
      if (!rule || run.history.size() == curve.size()) continue;
      runs.push_back(run);
      stopped = !hyperband_stops(*rule, !problem.minimize, runs).empty();
      runs.pop_back();
      if (stopped) break;
    }
    run.running = false;
    out.consumed.push_back(int64_t(run.history.size()));
    out.completed.push_back(!stopped);
    out.final_value.push_back(curve.back());
    out.stopped += stopped;
    trained[key] = run.history.back();
    history.push_back({std::move(proposal), run.history.back(), false});
    runs.push_back(std::move(run));
  }
  return out;
}

// Evaluations used until the search first trains to the end a cell at least
// as good as `target`; nullopt when it never does within its trials.
std::optional<int64_t> compute_to_reach(const Problem& problem, const HyperbandSearch& search,
                                        double target) {
  int64_t total = 0;
  for (size_t i = 0; i < search.consumed.size(); ++i) {
    total += search.consumed[i];
    if (search.completed[i] && !better(problem, target, search.final_value[i])) return total;
  }
  return std::nullopt;
}

// The hyperband comparison of one repetition: the target is the best cell
// the search without hyperband finds in its trials.
json compare_hyperband(const Problem& problem, const TpeSettings& settings, uint64_t seed,
                       int trials, const EarlyTerminate& rule) {
  const HyperbandSearch plain = run_trainer_search(problem, settings, seed, trials, std::nullopt);
  const HyperbandSearch early = run_trainer_search(problem, settings, seed, trials, rule);
  double target = plain.final_value.front();
  for (double v : plain.final_value) target = better(problem, v, target) ? v : target;
  std::optional<double> early_best;
  for (size_t i = 0; i < early.final_value.size(); ++i) {
    if (early.completed[i] && (!early_best || better(problem, early.final_value[i], *early_best))) {
      early_best = early.final_value[i];
    }
  }
  // The bands inside a curve (every cell has the same evaluations, all of
  // which a trial without hyperband uses): the only ones that can stop a run.
  std::vector<int64_t> bands;
  for (int64_t band : hyperband_bands(rule)) {
    if (band < plain.consumed.front()) bands.push_back(band);
  }
  auto sum = [](const std::vector<int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), int64_t(0));
  };
  const auto early_compute = compute_to_reach(problem, early, target);
  return {{"tool", "headroom"},
          {"kind", "hyperband"},
          {"problem", problem.name},
          {"rule", {{"type", "hyperband"}, {"min_iter", rule.min_iter}, {"eta", rule.eta}}},
          {"bands", bands},
          {"repetition", seed},
          {"seed", seed},
          {"target", target},
          {"plain_compute", *compute_to_reach(problem, plain, target)},
          {"hyperband_compute", early_compute ? json(*early_compute) : json(nullptr)},
          {"plain_cells", plain.consumed.size()},
          {"hyperband_cells", early.consumed.size()},
          {"plain_total", sum(plain.consumed)},
          {"hyperband_total", sum(early.consumed)},
          {"hyperband_best", early_best ? json(*early_best) : json(nullptr)},
          {"stopped", early.stopped}};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

struct Options {
  int repeats = 50;
  int trials = 50;
  std::string problems = "branin,hartmann6,mixed,trainer";
  std::string surrogate_db = "docs/results/data/results.db";
  std::string surrogate_sweep = "paper-heads";
  std::string surrogate_parameters = "attention,heads";
  int timing_history = 999;
  int timing_proposals = 20;
  int64_t hyperband_min_iter = 1;
  double hyperband_eta = 3;
  std::string tpe;  // univariate, multivariate, or empty: TpeSettings' default
  std::string out;
};

const char* sampler_name(const TpeSettings& settings) {
  return settings.multivariate ? "multivariate" : "univariate";
}

// Adds the sampler's name and whether it is Headroom's default to a line.
json tagged(json line, const TpeSettings& settings) {
  line["sampler"] = sampler_name(settings);
  line["default_sampler"] = settings.multivariate == TpeSettings{}.multivariate;
  line["startup_trials"] = settings.startup_trials;
  return line;
}

int run(const Options& options) {
  std::ofstream file;
  if (!options.out.empty()) {
    file.open(options.out);
    if (!file) {
      std::fprintf(stderr, "headroom-bench-search: cannot write %s\n", options.out.c_str());
      return 1;
    }
  }
  std::ostream& out = options.out.empty() ? std::cout : file;
  const auto wanted = split_list(options.problems);
  auto want = [&](const std::string& name) {
    return std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };

  TpeSettings settings;
  if (!options.tpe.empty()) settings.multivariate = options.tpe == "multivariate";
  std::optional<Surrogate> surrogate;
  if (want("trainer")) {
    surrogate = read_surrogate(options.surrogate_db, options.surrogate_sweep,
                               split_list(options.surrogate_parameters));
    out << surrogate_line(*surrogate).dump() << "\n";
  }
  for (const Problem& problem : make_problems(surrogate ? &*surrogate : nullptr)) {
    if (!want(problem.name)) continue;
    const auto start = Clock::now();
    for (int r = 0; r < options.repeats; ++r) {
      out << tagged({{"tool", "headroom"},
                     {"kind", "search"},
                     {"problem", problem.name},
                     {"goal", problem.minimize ? "minimize" : "maximize"},
                     {"repetition", r},
                     {"seed", r},
                     {"best", run_search(problem, settings, uint64_t(r), options.trials)}},
                    settings)
                 .dump()
          << "\n";
    }
    const double search_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (options.timing_proposals > 0) {
      const double ms =
          time_proposals(problem, settings, options.timing_history, options.timing_proposals);
      out << tagged({{"tool", "headroom"},
                     {"kind", "proposal_time"},
                     {"problem", problem.name},
                     {"history", options.timing_history},
                     {"proposals", options.timing_proposals},
                     {"ms", ms},
                     {"search_seconds", search_s}},
                    settings)
                 .dump()
          << "\n";
    }
    if (problem.curve) {
      EarlyTerminate rule;
      rule.type = "hyperband";
      rule.min_iter = options.hyperband_min_iter;
      rule.eta = options.hyperband_eta;
      for (int r = 0; r < options.repeats; ++r)
        out << tagged(compare_hyperband(problem, settings, uint64_t(r), options.trials, rule),
                      settings)
                   .dump()
            << "\n";
    }
    out.flush();
    std::fprintf(stderr, "headroom-bench-search: %s %s done (%.1f s)\n", sampler_name(settings),
                 problem.name.c_str(), search_s);
  }
  return 0;
}

}  // namespace
}  // namespace headroom

int main(int argc, char** argv) {
  headroom::Options options;
  CLI::App app{"Headroom's TPE and hyperband on the search benchmark's problems (JSON lines)"};
  app.add_option("--repeats", options.repeats, "repetitions per problem (seeds 0..N-1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--trials", options.trials, "trials per search")->check(CLI::PositiveNumber);
  app.add_option("--problems", options.problems, "comma-separated: branin,hartmann6,mixed,trainer");
  app.add_option("--surrogate-db", options.surrogate_db,
                 "results database of the trainer surrogate");
  app.add_option("--surrogate-sweep", options.surrogate_sweep,
                 "the sweep whose cells make the surrogate");
  app.add_option("--surrogate-parameters", options.surrogate_parameters,
                 "the searched parameters, comma-separated");
  app.add_option("--timing-history", options.timing_history,
                 "finished trials before the timed proposals");
  app.add_option("--timing-proposals", options.timing_proposals, "timed proposals (averaged; 0: no timing)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--hyperband-min-iter", options.hyperband_min_iter, "early_terminate min_iter");
  app.add_option("--hyperband-eta", options.hyperband_eta, "early_terminate eta");
  app.add_option("--tpe", options.tpe, "TPE's sampler (default: TpeSettings' default)")
      ->check(CLI::IsMember({"univariate", "multivariate"}));
  app.add_option("--out", options.out, "output file (default: stdout)");
  CLI11_PARSE(app, argc, argv);
  try {
    return headroom::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "headroom-bench-search: %s\n", e.what());
    return 1;
  }
}
