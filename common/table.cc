#include "common/table.h"

#include "common/number_format.h"
#include "common/text_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/spelling.h"

namespace headroom {
namespace {

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) {
    std::string text = printable(value.get<std::string>());
    auto newline = text.find('\n');
    return newline == std::string::npos ? text : text.substr(0, newline) + " ...";
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    // Whole digits in full (a Unix time, a throughput): four significant
    // digits would make 1796148576.07 read 1.796e+09.
    if (std::isfinite(number) && std::fabs(number) >= 1e4 && std::fabs(number) < 1e15) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.0f", number);
      return text;
    }
    return significant(number);
  }
  return json_text(value);
}

std::string csv_text(const nlohmann::json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.is_null() ? "" : json_text(value);
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

Result<std::string> format_table(const Table& table, const std::string& format) {
  std::string out;
  if (format == "json" || format == "jsonl") {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : table.rows) {
      // ordered_json keeps the columns in the table's order.
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      for (size_t i = 0; i < table.columns.size(); ++i) object[table.columns[i]] = row[i];
      if (format == "jsonl") {
        out += json_text(object) + "\n";
      } else {
        rows.push_back(std::move(object));
      }
    }
    return format == "jsonl" ? out : json_text(rows, 2) + "\n";
  }
  if (format == "csv") {
    for (size_t i = 0; i < table.columns.size(); ++i) out += (i ? "," : "") + csv_text(table.columns[i]);
    out += "\n";
    for (const auto& row : table.rows) {
      for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_text(row[i]);
      out += "\n";
    }
    return out;
  }
  if (format != "table" && format != "markdown") {
    std::string listed;
    for (const auto& name : kTableFormats) listed += (listed.empty() ? "" : ", ") + name;
    return Error::invalid("unknown format '" + format + "': use " + listed + did_you_mean(format, kTableFormats));
  }
  std::vector<size_t> widths(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) widths[i] = table.columns[i].size();
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], cell_text(row[i]).size());
  }
  const bool markdown = format == "markdown";
  auto line = [&](auto text_of) {
    std::string result = markdown ? "|" : "";
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string text = text_of(i);
      text.resize(widths[i], ' ');
      result.append(markdown ? " " : (i ? "  " : ""));
      result.append(text);
      if (markdown) result.append(" |");
    }
    while (!markdown && !result.empty() && result.back() == ' ') result.pop_back();
    return result + "\n";
  };
  out += line([&](size_t i) { return table.columns[i]; });
  if (markdown) out += line([&](size_t i) { return std::string(widths[i], '-'); });
  for (const auto& row : table.rows) out += line([&](size_t i) { return cell_text(row[i]); });
  return out;
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_text(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace headroom
