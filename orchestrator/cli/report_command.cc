// headroom report SWEEP: tables and plots of a sweep's results.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/store/store.h"
#include "reports/report.h"

namespace headroom::cli {
namespace {

struct ReportCommandOptions {
  std::string sweep;
  ReportOptions report;
  bool metric_given = false;
};

int report(ReportCommandOptions options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto sweep = store.value()->find_sweep(options.sweep);
  if (!sweep) return report_error(sweep.error());
  if (!sweep.value()) {
    return report_error(Error::invalid("no sweep named '" + options.sweep + "' in '" + global.database + "'"));
  }
  const SweepRecord& record = *sweep.value();
  if (!options.metric_given && record.metric) options.report.metric = *record.metric;
  if (options.report.out_dir.empty()) options.report.out_dir = "reports-out/" + record.name;
  auto files = write_report(*store.value(), record, options.report);
  if (!files) return report_error(files.error());
  std::printf("%s\n", files->markdown.c_str());
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ReportCommandOptions>();
  auto* command = app.add_subcommand(
      "report", "Write a sweep's report (Markdown, CSV, gnuplot PNG) and print its path");
  command->add_option("sweep", options->sweep, "the sweep's name")->required();
  command->add_option("-o,--out", options->report.out_dir, "output folder (default reports-out/SWEEP)");
  command->add_option("--x", options->report.x, "parameter on the x axis")->capture_default_str();
  command->add_option("--series", options->report.series, "parameter that separates lines")
      ->capture_default_str();
  command->add_option("--metric", options->report.metric, "metric to plot (default: the sweep's, else eval/accuracy)")
      ->each([options](const std::string&) { options->metric_given = true; });
  command->callback([options, &global, &exit_status] { exit_status = report(*options, global); });
}

}  // namespace headroom::cli
