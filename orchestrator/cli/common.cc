// Helpers shared by the subcommands.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

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

void add_format_options(CLI::App& command, std::string& format, const std::vector<std::string>& formats) {
  format = formats.front();
  std::string listed;
  for (const auto& name : formats) listed += (listed.empty() ? "" : ", ") + name;
  auto* option = command.add_option("-f,--format", format, "output: " + listed + " (default " + formats.front() + ")")
                     ->check(CLI::IsMember(formats));
  const bool offers_json = std::find(formats.begin(), formats.end(), "json") != formats.end();
  const std::string json = offers_json ? "json" : "jsonl";
  command.add_flag_callback("--json", [&format, json] { format = json; }, "short for --format " + json)
      ->excludes(option);
}

int print_table(const Result<Table>& table, const std::string& format) {
  if (!table) return report_error(table.error());
  auto text = format_table(table.value(), format);
  if (!text) return report_error(text.error());
  std::fputs(text->c_str(), stdout);
  return 0;
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

namespace {

std::string beside_this_headroom(const std::string& name) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? name : (self.parent_path() / name).string();
}

bool is_executable_file(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> trainer_executable(const std::string& trainer_flag) {
  const std::string trainer = trainer_flag.empty() ? beside_this_headroom("headroom-train") : trainer_flag;
  if (!is_executable_file(trainer)) {
    return Error::invalid("trainer '" + trainer + "' is not an executable file" +
                          (trainer_flag.empty() ? ": build headroom-train beside headroom, or name it with --trainer"
                                                : " (--trainer)"));
  }
  return trainer;
}

Result<std::string> supervisor_executable() {
  const std::string supervisor = beside_this_headroom("headroom-supervise");
  if (!is_executable_file(supervisor)) {
    return Error::invalid("'" + supervisor + "' is not an executable file: headroom-supervise, the parent of every " +
                          "program's worker, is built beside headroom and goes where headroom goes");
  }
  return supervisor;
}

std::vector<CellResources> cell_resources(const Expansion& expansion) {
  std::vector<CellResources> resources;
  for (const auto& cell : expansion.cells) resources.push_back(cell.resources);
  return resources;
}

}  // namespace headroom::cli
