// headroom status [SWEEP]: cells by state and each failure's last error line.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {
namespace {

struct StatusOptions {
  std::string sweep;
};

int status(const StatusOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto sweeps = store.value()->sweeps();
  if (!sweeps) return report_error(sweeps.error());
  bool found = false;
  for (const auto& sweep : sweeps.value()) {
    if (!options.sweep.empty() && sweep.name != options.sweep) continue;
    found = true;
    auto counts = store.value()->cell_state_counts(sweep.id);
    if (!counts) return report_error(counts.error());
    int64_t total = 0;
    std::string line;
    for (const auto& [state, count] : counts.value()) {
      total += count;
      if (count > 0) line += "  " + state + " " + std::to_string(count);
    }
    std::printf("%s: %lld cells%s\n", sweep.name.c_str(), static_cast<long long>(total), line.c_str());
    auto failed = store.value()->cells(sweep.id, "failed");
    if (!failed) return report_error(failed.error());
    for (const auto& cell : failed.value()) {
      auto runs = store.value()->runs_of_cell(cell.id);
      if (!runs || runs->empty()) continue;
      const auto& last = runs->back();
      std::string error = last.error.value_or("no error recorded");
      error = error.substr(0, error.find('\n'));
      std::printf("  failed %s %s (%s): %s\n", cell.hash.substr(0, 12).c_str(),
                  cell.parameters.dump().c_str(), last.state.c_str(), error.c_str());
    }
  }
  if (!options.sweep.empty() && !found) {
    return report_error(Error::invalid("no sweep named '" + options.sweep + "' in '" + global.database + "'"));
  }
  if (sweeps->empty()) std::printf("no sweeps in '%s' yet\n", global.database.c_str());
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<StatusOptions>();
  auto* command = app.add_subcommand("status", "Show each sweep's cells by state and its failures");
  command->add_option("sweep", options->sweep, "only this sweep");
  command->callback([options, &global, &exit_status] { exit_status = status(*options, global); });
}

}  // namespace headroom::cli
