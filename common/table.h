#pragma once
// Rows of a query and how they are rendered for the terminal, for scripts and
// for report files.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace headroom {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;  // each as long as columns
};

// format: table (aligned columns), csv, json (array of objects) or markdown.
Result<std::string> format_table(const Table& table, const std::string& format);

}  // namespace headroom
