// headroom runs [SWEEP...]: one row per run with its parameters and final
// metrics, filtered, sorted and shaped by flags (orchestrator/query/).
#include <algorithm>
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "common/table.h"
#include "orchestrator/query/run_query.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {
namespace {

struct RunsOptions {
  RunQuery query;
  std::string format = "table";
  bool metrics_given = false;
};

// The metrics shown when none are named: each listed sweep's own metric
// (its `metric.name`), then the trainer's headline ones these sweeps logged;
// every metric when they logged none of those (empty: query_runs shows all).
const std::vector<std::string> kDefaultMetrics = {"eval/accuracy", "eval/loss", "eval/kl", "eval/perplexity",
                                                  "train/loss"};

Result<std::vector<std::string>> default_metrics(Store& store, const std::vector<std::string>& sweeps,
                                                 const std::vector<std::string>& known) {
  const auto logged = [&](const std::string& name) { return std::find(known.begin(), known.end(), name) != known.end(); };
  // None of the trainer's headline metrics (a program's sweep): all of them.
  if (std::none_of(kDefaultMetrics.begin(), kDefaultMetrics.end(), logged)) return std::vector<std::string>{};
  HEADROOM_ASSIGN_OR_RETURN(auto metrics, sweep_metrics(store, sweeps));
  std::erase_if(metrics, [&](const std::string& name) { return !logged(name); });
  for (const auto& name : kDefaultMetrics) {
    if (logged(name) && std::find(metrics.begin(), metrics.end(), name) == metrics.end()) metrics.push_back(name);
  }
  return metrics;
}

int runs(RunsOptions options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto known = queryable_columns(*store.value(), options.query.sweeps);
  if (!known) return report_error(known.error());
  if (options.query.columns.size() == 1 && options.query.columns[0] == "help") {
    std::printf("columns of 'headroom runs' (--columns, --where, --sort):\n");
    for (const auto& name : known.value()) std::printf("  %s\n", name.c_str());
    return 0;
  }
  if (!options.metrics_given) {
    auto metrics = default_metrics(*store.value(), options.query.sweeps, known.value());
    if (!metrics) return report_error(metrics.error());
    options.query.metrics = std::move(metrics).value();
  }
  return print_table(query_runs(*store.value(), options.query), options.format);
}

}  // namespace

void add_runs_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<RunsOptions>();
  auto* command = app.add_subcommand("runs", "List runs: parameters, state and final metrics");
  command->add_option("sweeps", options->query.sweeps, "only these sweeps");
  command->add_option("-w,--where", options->query.where,
                      "filter, e.g. \"d_model >= 64 and heads in (8, 16) and attention = 'fixed'\"");
  command->add_option("-s,--sort", options->query.sort, "columns to sort by; -name sorts descending")
      ->delimiter(',');
  command->add_option("-c,--columns", options->query.columns, "columns to show ('help' lists them)")
      ->delimiter(',');
  auto* metrics = command->add_option("--metrics", options->query.metrics,
                                      "final metrics in the default columns (default: each sweep's metric, "
                                      "then those of eval/accuracy, eval/loss, eval/kl, eval/perplexity, "
                                      "train/loss logged)")
                      ->delimiter(',');
  command->add_option("-n,--limit", options->query.limit, "at most this many rows");
  add_format_options(*command, options->format, kTableFormats);
  command->callback([options, metrics, &global, &exit_status] {
    options->metrics_given = metrics->count() > 0;
    exit_status = runs(*options, global);
  });
}

}  // namespace headroom::cli
