// Helpers shared by the subcommands.
#include <cstdio>

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

}  // namespace headroom::cli
