// headroom report SWEEP...: the paper's figures, tables and claims for sweeps.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/store/store.h"
#include "reports/report.h"

namespace headroom::cli {
namespace {

struct ReportCommandOptions {
  std::vector<std::string> sweeps;
  ReportOptions report;
};

int report(ReportCommandOptions options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  std::vector<SweepRecord> sweeps;
  for (const auto& name : options.sweeps) {
    auto sweep = find_sweep(*store.value(), name);
    if (!sweep) return report_error(sweep.error());
    sweeps.push_back(sweep.value());
  }
  // A --curve named by run id or SWEEP/CELL becomes its cell's whole hash; a
  // bare prefix is matched within each reported sweep.
  for (auto& curve : options.report.section.curve_cells) {
    const bool names_one_cell = curve.find('/') != std::string::npos ||
                                (!curve.empty() && curve.find_first_not_of("0123456789") == std::string::npos);
    if (!names_one_cell) continue;
    auto cell = find_cell(*store.value(), curve);
    if (!cell) return report_error(cell.error());
    curve = cell->hash;
  }
  if (options.report.out_dir.empty()) {
    options.report.out_dir = "reports-out/" + sweeps.front().name + (sweeps.size() > 1 ? "-and-more" : "");
  }
  auto files = write_report(*store.value(), sweeps, options.report);
  if (!files) return report_error(files.error());
  std::printf("%s\n%s\n", files->html.c_str(), files->markdown.c_str());
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ReportCommandOptions>();
  auto* command = app.add_subcommand(
      "report",
      "Write the paper's figures, tables and claims for sweeps (HTML, Markdown, CSV, gnuplot) and print the "
      "pages' paths");
  command->add_option("sweeps", options->sweeps, "the sweeps' names")->required();
  command->add_option("-o,--out", options->report.out_dir, "output folder (default reports-out/SWEEP)");
  command->add_option("--x", options->report.section.x,
                      "parameter on the x axis (default: the paper's layout: heads, d_model, head_size)");
  command->add_option("--series", options->report.section.series,
                      "parameter that separates lines (default: the other swept parameters)");
  command->add_option("--metric", options->report.section.metric,
                      "metric to report (default: the sweep's, else eval/accuracy)");
  command->add_option("--curve", options->report.section.curve_cells,
                      "a cell whose learning curve to draw: a hash prefix, SWEEP/CELL or a run id of it; repeat for several")
      ->expected(1);
  command->callback([options, &global, &exit_status] { exit_status = report(*options, global); });
}

}  // namespace headroom::cli
