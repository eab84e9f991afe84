// Helpers shared by the subcommands.
#include <cstdio>

#include "common/spelling.h"
#include "orchestrator/cli/commands.h"

namespace headroom::cli {

int report_error(const Error& error) {
  for (const auto& diagnostic : error.diagnostics) {
    std::string text = diagnostic.to_string();
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

}  // namespace headroom::cli
