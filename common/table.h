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

// The formats format_table writes, the terminal's first: table (aligned
// columns), csv, json (an array of objects), jsonl (an object a line) and
// markdown.
inline const std::vector<std::string> kTableFormats = {"table", "csv", "json", "jsonl", "markdown"};
Result<std::string> format_table(const Table& table, const std::string& format);

// JSON text of a value that may hold text from outside (a worker's stderr,
// a note): bytes that are not UTF-8 become U+FFFD instead of an exception.
// Every JSON that Headroom prints or writes goes through it.
std::string json_text(const nlohmann::json& value, int indent = -1);
std::string json_text(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace headroom
