// Helpers shared by the subcommands.
#include <cstdio>
#include <cstdlib>

#include "common/spelling.h"
#include "common/text_file.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/devices/devices.h"

namespace headroom::cli {

int report_error(const Error& error) {
  for (const auto& diagnostic : error.diagnostics) {
    std::string text = printable(diagnostic.to_string());
    if (diagnostic.where.file.empty()) text = "headroom: " + text;
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  return exit_status(error.kind);
}

int print_table(const Result<Table>& table, const std::string& format) {
  if (!table) return report_error(table.error());
  auto text = format_table(table.value(), format);
  if (!text) return report_error(text.error());
  std::fputs(text->c_str(), stdout);
  return 0;
}

Result<RunRecord> find_run(Store& store, const std::string& text) {
  int64_t id = 0;
  size_t used = 0;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || id <= 0) {
    return Error::invalid("'" + text + "' is not a run id: use the number in the 'run' column of 'headroom runs'");
  }
  return store.run(id);
}

Result<SweepRecord> find_sweep(Store& store, const std::string& name) {
  HEADROOM_ASSIGN_OR_RETURN(auto sweeps, store.sweeps());
  std::vector<std::string> names;
  for (const auto& sweep : sweeps) {
    if (sweep.name == name) return sweep;
    names.push_back(sweep.name);
  }
  return Error::invalid("no sweep named '" + name + "' in '" + store.path() + "'" + did_you_mean(name, names));
}

Result<Machine> discover_machine(const std::string& gpus_flag) {
  Machine machine;
  machine.cpu_cores = usable_cpu_cores();
  if (gpus_flag == "none") return machine;
  HEADROOM_ASSIGN_OR_RETURN(auto all, discover_gpus());
  HEADROOM_ASSIGN_OR_RETURN(auto visible, apply_cuda_visible_devices(all, std::getenv("CUDA_VISIBLE_DEVICES")));
  HEADROOM_ASSIGN_OR_RETURN(machine.gpus, select_gpus(visible, gpus_flag));
  return machine;
}

std::vector<CellResources> cell_resources(const Expansion& expansion) {
  std::vector<CellResources> resources;
  for (const auto& cell : expansion.cells) resources.push_back(cell.resources);
  return resources;
}

}  // namespace headroom::cli
