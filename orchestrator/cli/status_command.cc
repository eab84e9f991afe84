// headroom status [SWEEP]: each sweep's cells by state, progress, ETA, its
// running runs and each failure with its last error line.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/monitor/render.h"
#include "orchestrator/monitor/snapshot.h"

namespace headroom::cli {
namespace {

struct StatusOptions {
  std::string sweep;
  std::string format = "text";
};

int status(const StatusOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  std::vector<SweepRecord> sweeps;
  if (options.sweep.empty()) {
    auto all = store.value()->sweeps();
    if (!all) return report_error(all.error());
    sweeps = all.value();
  } else {
    auto one = find_sweep(*store.value(), options.sweep);
    if (!one) return report_error(one.error());
    sweeps.push_back(one.value());
  }
  nlohmann::json all = nlohmann::json::array();
  for (const auto& sweep : sweeps) {
    auto snapshot = take_snapshot(*store.value(), sweep);
    if (!snapshot) return report_error(snapshot.error());
    if (options.format == "json") {
      all.push_back(snapshot_json(snapshot.value()));
      continue;
    }
    for (const auto& line : render_snapshot(snapshot.value(), RenderOptions{})) std::printf("%s\n", line.c_str());
    auto notes = store.value()->notes(sweep.id, std::nullopt);
    if (!notes) return report_error(notes.error());
    for (const auto& note : notes.value()) std::printf("  note: %s\n", note.text.c_str());
  }
  if (options.format == "json") {
    std::printf("%s\n", json_text(all, 2).c_str());
  } else if (sweeps.empty()) {
    std::printf("no sweeps in '%s' yet\n", global.database.c_str());
  }
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<StatusOptions>();
  auto* command = app.add_subcommand("status", "Show each sweep's progress, running runs and failures");
  command->add_option("sweep", options->sweep, "only this sweep");
  add_format_options(*command, options->format, {"text", "json"});
  command->callback([options, &global, &exit_status] { exit_status = status(*options, global); });
}

}  // namespace headroom::cli
