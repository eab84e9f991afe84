// headroom runs [SWEEP]: one row per run with its parameters and final metrics.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/core/table.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {
namespace {

struct RunsOptions {
  std::string sweep;
  std::string format = "table";
  std::vector<std::string> metrics = {"eval/accuracy", "eval/loss", "train/loss"};
};

int runs(const RunsOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto sweeps = store.value()->sweeps();
  if (!sweeps) return report_error(sweeps.error());
  Table all;
  bool found = false;
  for (const auto& sweep : sweeps.value()) {
    if (!options.sweep.empty() && sweep.name != options.sweep) continue;
    found = true;
    auto table = store.value()->run_table(sweep.id, options.metrics);
    if (!table) return report_error(table.error());
    if (all.columns.empty()) {
      all.columns = table->columns;
      all.columns.insert(all.columns.begin(), "sweep");
    } else if (table->columns.size() + 1 != all.columns.size()) {
      return report_error(Error::invalid("sweeps sweep different parameters: name one sweep"));
    }
    for (auto& row : table->rows) {
      row.insert(row.begin(), sweep.name);
      all.rows.push_back(std::move(row));
    }
  }
  if (!options.sweep.empty() && !found) {
    return report_error(Error::invalid("no sweep named '" + options.sweep + "' in '" + global.database + "'"));
  }
  auto text = format_table(all, options.format);
  if (!text) return report_error(text.error());
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace

void add_runs_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<RunsOptions>();
  auto* command = app.add_subcommand("runs", "List runs: parameters, state and final metrics");
  command->add_option("sweep", options->sweep, "only this sweep");
  command->add_option("--format", options->format, "table, csv, json or markdown")->capture_default_str();
  command->add_option("--metrics", options->metrics, "metrics to show (final values)")
      ->delimiter(',')
      ->capture_default_str();
  command->callback([options, &global, &exit_status] { exit_status = runs(*options, global); });
}

}  // namespace headroom::cli
