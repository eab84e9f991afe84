#pragma once
// Renders a Table for the terminal or for scripts.

#include <string>

#include "orchestrator/core/result.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {

// format: table (aligned columns), csv, json (array of objects) or markdown.
Result<std::string> format_table(const Table& table, const std::string& format);

}  // namespace headroom::cli
