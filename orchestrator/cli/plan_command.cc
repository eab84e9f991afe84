// headroom plan SWEEP.yaml: validate and show the cells, touching nothing.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "common/number_format.h"
#include "common/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/grid/preflight.h"
#include "orchestrator/scheduler/worker_command.h"
#include "orchestrator/scheduler/bayes_search.h"
#include "orchestrator/search/hyperband.h"
#include "orchestrator/scheduler/nested_search.h"
#include "orchestrator/spec/sweep_spec.h"

namespace headroom::cli {
namespace {

struct PlanOptions {
  std::string sweep_file;
  int64_t count = 0;  // random and bayes search: overrides run_cap
  int64_t max_cells = kDefaultMaxCells;
  std::string format;  // text | json
  // Where `headroom run` with the same flags would place the cells.
  PlacementFlags placement;
  std::string gpus = "all";
  std::string executor;  // local | slurm; empty: the sweep's `executor`
  std::string trainer;   // as for run; checked to exist
};

// The command line a program's cell starts with, its run folder shown as RUN.
std::vector<std::string> program_command(const Cell& cell) {
  CellRecord record;
  record.hash = cell.hash;
  record.config = cell.config;
  record.worker = cell.worker;
  RunRecord run;
  run.run_dir = "RUN";
  AttemptSetup setup;
  setup.support_folder = "RUNS_ROOT/SWEEP/.headroom";
  return worker_launch(SweepRecord{}, record, run, false, setup).argv;
}

// "log_uniform_values [0.0001, 0.01]": a parameter's distribution as plan shows a search's space.
std::string describe_distribution(const ParameterSpec& parameter) {
  const Distribution& d = parameter.distribution;
  if (d.kind == "constant" || d.kind == "categorical") {
    std::string values;
    for (const auto& value : parameter.values) values += (values.empty() ? "" : ", ") + value.value.dump();
    return d.kind + " [" + values + "]";
  }
  std::string text = d.kind;
  if (d.kind.find("normal") != std::string::npos) {
    text += " mu " + shortest(d.mu) + " sigma " + shortest(d.sigma);
  } else if (d.kind.find("beta") != std::string::npos) {
    text += " a " + shortest(d.a) + " b " + shortest(d.b);
  } else {
    text += " [" + shortest(d.min) + ", " + shortest(d.max) + "]";
  }
  if (d.kind.rfind("q_", 0) == 0) text += " q " + shortest(d.q);
  return text;
}

// A bayes search that ends within TPE's random startup draws never uses its
// results: it is a random search, which a user tuning with 8 trials should
// hear before the compute is spent.
void note_random_startup(const std::string& method, int64_t run_cap, const std::optional<SamplerOptions>& tpe) {
  const int startup = sampler_settings(tpe).startup_trials;
  if (method != "bayes" || run_cap <= 0 || run_cap > startup) return;
  std::printf("\nnote: %lld trials never leave TPE's %d random startup draws, so this bayes search is a random "
              "search; a run_cap above %d (or fewer tpe: startup_trials) lets the results guide it\n",
              static_cast<long long>(run_cap), startup, startup);
}

// The sampler of a bayes search, as plan names it.
std::string describe_tpe(const std::optional<SamplerOptions>& tpe) {
  const TpeSettings settings = sampler_settings(tpe);
  return std::string(settings.multivariate ? "multivariate" : "univariate") + " TPE after " +
         std::to_string(settings.startup_trials) + " random draws";
}

int plan(const PlanOptions& options) {
  auto spec = load_sweep(options.sweep_file, options.count);
  if (!spec) return report_error(spec.error());
  auto expansion = expand(spec.value(), options.max_cells);
  if (!expansion) return report_error(expansion.error());
  // A bayes search has no cells before it runs: its first proposals stand in.
  const bool search = spec->method == "bayes";
  const int64_t planned = spec->run_cap > 0 ? std::min<int64_t>(spec->run_cap, kPlannedProposals) : kPlannedProposals;
  if (search) expansion = BayesSearch(spec.value()).first_proposals(int(planned));
  // A search inside each grid cell: the table shows the outer cells.
  std::vector<SearchGroup> groups;
  if (spec->search) {
    auto made = search_groups(spec.value(), options.max_cells);
    if (!made) return report_error(made.error());
    groups = std::move(made).value();
    expansion->cells.clear();
    for (const auto& group : groups) expansion->cells.push_back(group.outer);
  }
  // What run would check before starting anything: the data and the trainer.
  if (auto data = check_cells_data(spec.value(), expansion.value()); !data) return report_error(data.error());
  if (!spec->program) {
    if (auto trainer = trainer_executable(options.trainer); !trainer) return report_error(trainer.error());
  }
  // The same admission as `headroom run`: a cell that could never start here is an error now.
  const std::string executor = !options.executor.empty() ? options.executor : spec->executor;
  if (executor != "local" && executor != "slurm") {
    return report_error(Error::invalid("--executor must be local or slurm, not '" + executor + "'"));
  }
  std::optional<Placement> placement;
  if (executor == "local") {
    auto machine = discover_machine(options.gpus);
    if (!machine) return report_error(machine.error());
    auto admitted = Placement::admit(options.placement, machine.value(), cell_resources(expansion.value()), spec->file);
    if (!admitted) return report_error(admitted.error());
    placement = std::move(admitted).value();
  }
  const std::string where = placement ? "runs " + placement->describe() : std::string("runs as SLURM job arrays");

  Table table;
  std::vector<std::string> names;
  // head_size gets its own column below: resolved for every cell.
  auto add_name = [&](const std::string& name) {
    if (name != "head_size" && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const auto& parameter : spec->parameters) add_name(parameter.name);
  for (const auto& cell : expansion->cells) {
    for (const auto& [name, value] : cell.parameters.items()) add_name(name);
  }
  table.columns = {"cell", "hash"};
  table.columns.insert(table.columns.end(), names.begin(), names.end());
  // A program's model is its own: its size and cost are unknown here.
  const bool trainer = !spec->program;
  if (trainer) {
    table.columns.insert(table.columns.end(),
                         {"head_size", "parameters", "non_embedding", "flops_per_token", "train_pflops"});
  }
  // A sweep matched to a budget shows each cell's target and what it achieved.
  const bool matched = std::any_of(expansion->cells.begin(), expansion->cells.end(),
                                   [](const Cell& cell) { return cell.budget.has_value(); });
  if (matched) table.columns.insert(table.columns.end(), {"budget_target", "budget_achieved", "budget_off_%"});
  double total_flops = 0;
  for (size_t i = 0; i < expansion->cells.size(); ++i) {
    const auto& cell = expansion->cells[i];
    std::vector<nlohmann::json> row = {int64_t(i), cell.hash.substr(0, 12)};
    for (const auto& name : names) row.push_back(cell.parameters.value(name, nlohmann::json()));
    if (trainer) {
      row.push_back(cell.config["head_size"]);
      row.push_back(cell.size.parameters);
      row.push_back(cell.size.non_embedding_parameters);
      row.push_back(cell.size.training_flops_per_token);
      row.push_back(cell.estimated_training_flops / 1e15);
    }
    if (matched && cell.budget) {
      row.insert(row.end(), {cell.budget->target, cell.budget->achieved, 100 * cell.budget->relative_error()});
    } else if (matched) {
      row.insert(row.end(), {nullptr, nullptr, nullptr});
    }
    total_flops += cell.estimated_training_flops;
    table.rows.push_back(std::move(row));
  }
  if (options.format == "json") {
    nlohmann::json out = {{"sweep", spec->name}, {"cells", nlohmann::json::array()}};
    for (const auto& cell : expansion->cells) {
      out["cells"].push_back({{"hash", cell.hash},
                              {"parameters", cell.parameters},
                              {"config", cell.config},
                              {"resources", to_json(cell.resources)},
                              {"parameters_total", cell.size.parameters},
                              {"non_embedding_parameters", cell.size.non_embedding_parameters},
                              {"training_flops_per_token", cell.size.training_flops_per_token},
                              {"estimated_training_flops", cell.estimated_training_flops},
                              {"budget", cell.budget ? nlohmann::json{{"kind", spec->match->budget},
                                                                      {"target", cell.budget->target},
                                                                      {"achieved", cell.budget->achieved}}
                                                     : nlohmann::json()}});
      if (!cell.worker.is_null()) out["cells"].back()["command"] = program_command(cell);
    }
    out["placement"] = where;
    out["excluded"] = nlohmann::json::array();
    for (const auto& excluded : expansion->excluded) {
      out["excluded"].push_back({{"parameters", excluded.parameters}, {"reason", excluded.reason}});
    }
    std::printf("%s\n", json_text(out, 2).c_str());
    return 0;
  }
  auto text = format_table(table, "table");
  if (search) {
    std::printf("sweep '%s' (bayes: %s, %s %s, seed %llu): %s; %s\n\n", spec->name.c_str(),
                describe_tpe(spec->tpe).c_str(),
                spec->metric->goal.c_str(), spec->metric->name.c_str(),
                static_cast<unsigned long long>(spec->random_seed),
                spec->run_cap > 0 ? (std::to_string(spec->run_cap) + " trials (run_cap)").c_str()
                                  : "trials until stopped (no run_cap)",
                where.c_str());
    std::printf("its space:\n");
    for (const auto& parameter : spec->parameters) {
      std::printf("  %s: %s\n", parameter.name.c_str(), describe_distribution(parameter).c_str());
    }
    std::printf("\nits first %zu proposals (random draws until %d trials have finished; later ones follow the "
                "results):\n%s",
                expansion->cells.size(), sampler_settings(spec->tpe).startup_trials, text.value().c_str());
    if (trainer && !expansion->cells.empty()) {
      const double mean = total_flops / double(expansion->cells.size());
      std::printf("\nabout %.3g PFLOP of training per trial%s\n", mean / 1e15,
                  spec->run_cap > 0 ? (", " + std::to_string(spec->run_cap) + " trials: about " +
                                       std::to_string(mean * double(spec->run_cap) / 1e15).substr(0, 6) + " PFLOP")
                                          .c_str()
                                    : "");
    }
    note_random_startup(spec->method, spec->run_cap, spec->tpe);
  } else if (spec->search) {
    const InnerSearch& inner = *spec->search;
    std::string names;
    for (const auto& parameter : inner.parameters) names += (names.empty() ? "" : ", ") + parameter.name;
    const size_t seeds = groups.empty() ? 0 : groups.front().replicate_seeds.size();
    const int64_t trials = int64_t(groups.size()) * inner.run_cap, replicates = int64_t(groups.size() * seeds);
    std::printf("sweep '%s' (grid of %zu cells, each tuning %s with a %s search of %lld trials%s by %s %s%s): "
                "%lld trials%s; %s\n\n%s",
                spec->name.c_str(), groups.size(), names.c_str(), inner.method.c_str(),
                static_cast<long long>(inner.run_cap),
                inner.method == "bayes" ? (" (" + describe_tpe(inner.tpe) + ")").c_str() : "",
                spec->metric->goal.c_str(), spec->metric->name.c_str(),
                seeds ? ("; tuned on its first seed, then its best trial on " + std::to_string(seeds) + " more")
                            .c_str()
                      : "",
                static_cast<long long>(trials),
                replicates ? (" + " + std::to_string(replicates) + " replicates").c_str() : "", where.c_str(),
                text.value().c_str());
    std::printf("\nits search space:\n");
    for (const auto& parameter : inner.parameters) {
      std::printf("  %s: %s\n", parameter.name.c_str(), describe_distribution(parameter).c_str());
    }
    if (trainer) {
      std::printf("\nabout %.3g PFLOP of training in all (each trial costed at its outer cell's settings)\n",
                  total_flops * double(inner.run_cap + int64_t(seeds)) / 1e15);
    }
    note_random_startup(inner.method, inner.run_cap, inner.tpe);
  } else if (trainer) {
    std::printf("sweep '%s' (%s): %zu cells, %.3g PFLOP of training in all; %s\n\n%s", spec->name.c_str(),
                spec->method.c_str(), expansion->cells.size(), total_flops / 1e15, where.c_str(),
                text.value().c_str());
  } else {
    std::printf("sweep '%s' (%s) of %s: %zu cells; %s\n\n%s", spec->name.c_str(), spec->method.c_str(),
                spec->program->program.empty() ? "its command" : spec->program->path.c_str(),
                expansion->cells.size(), where.c_str(), text.value().c_str());
    if (!expansion->cells.empty()) {
      std::string command;
      for (const auto& argument : program_command(expansion->cells.front())) {
        command += (command.empty() ? "" : " ") + shell_word(argument);
      }
      std::printf("\nthe first cell runs (RUN: its run folder):\n  %s\n", command.c_str());
    }
  }
  if (!expansion->excluded.empty()) {
    std::printf("\n%zu cells excluded, never launched:\n", expansion->excluded.size());
    for (const auto& excluded : expansion->excluded) {
      std::string parameters;
      for (const auto& [name, value] : excluded.parameters.items()) {
        parameters += (parameters.empty() ? "" : ", ") + name + "=" +
                      (value.is_string() ? value.get<std::string>() : value.dump());
      }
      std::printf("  %s: %s\n", parameters.c_str(), excluded.reason.c_str());
    }
  }
  if (spec->method == "random" && spec->run_cap == 0) {
    std::printf("\nno run_cap: `headroom run` draws until stopped (Ctrl-C), %lld cells at a time; these are the first\n",
                static_cast<long long>(kRandomDrawsPerRound));
  }
  const auto& rule = spec->search ? spec->search->early_terminate : spec->early_terminate;
  if (rule) {
    std::string bands;
    for (int64_t band : hyperband_bands(*rule)) {
      if (bands.size() > 60) {
        bands += ", ...";
        break;
      }
      bands += (bands.empty() ? "" : ", ") + std::to_string(band);
    }
    std::printf("\nearly_terminate: hyperband judges each run at its %s-th logged value of %s (counting from 0): "
                "a run outside the best 1/%s of the runs that got there is stopped early\n",
                bands.empty() ? "(no band: never)" : bands.c_str(), spec->metric->name.c_str(),
                shortest(rule->eta).c_str());
  }
  for (const auto& [key, value] : spec->kept) {
    std::printf("note: '%s' is kept with the sweep but not acted on\n", key.c_str());
  }
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, const GlobalOptions&, int& exit_status) {
  auto options = std::make_shared<PlanOptions>();
  auto* command = app.add_subcommand(
      "plan", "Validate a sweep file and show its cells (parameters, sizes, cost); writes nothing");
  command->add_option("sweep", options->sweep_file, "the sweep YAML file")->required();
  command->add_option("--count", options->count, "random and bayes search: cells to make (overrides run_cap)");
  add_format_options(*command, options->format, {"text", "json"});
  command->add_option("--max-cells", options->max_cells,
                      "refuse a sweep of more cells than this (default " + std::to_string(kDefaultMaxCells) + ")");
  command->add_option("-j,--jobs", options->placement.jobs, "as for run: workers at once");
  command->add_option("--threads", options->placement.threads, "as for run: threads per worker");
  command->add_option("--gpus", options->gpus, "as for run: GPUs to use (all, none, or indices such as 0,2)");
  command->add_option("--per-gpu", options->placement.per_gpu, "as for run: workers sharing one GPU");
  command->add_option("--executor", options->executor, "as for run: local or slurm (default: the sweep's)");
  command->add_option("--trainer", options->trainer, "as for run: the headroom-train executable (checked to exist)");
  command->callback([options, &exit_status] { exit_status = plan(*options); });
}

}  // namespace headroom::cli
