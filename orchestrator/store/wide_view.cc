#include "orchestrator/store/wide_view.h"

#include <algorithm>

namespace headroom {
namespace {

// Built-in columns and their definitions over sweeps s, cells c and runs r.
const std::vector<std::pair<std::string, std::string>>& builtins() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"run", "r.id"},
      {"sweep", "s.name"},
      {"cell", "substr(c.hash, 1, 12)"},
      {"attempt", "r.attempt"},
      {"state", "r.state"},
      {"head_size", "c.head_size"},
      {"parameters", "c.parameter_count"},
      {"non_embedding_parameters", "c.non_embedding_parameters"},
      {"flops_per_token", "c.flops_per_token"},
      {"estimated_flops", "c.estimated_flops"},
      {"started_at", "r.started_at"},
      {"ended_at", "r.ended_at"},
      {"seconds", "r.ended_at - r.started_at"},
      {"host", "r.host"},
      {"device", "r.device"},
      {"exit_code", "r.exit_code"},
      {"signal", "r.signal"},
      {"tags", "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM tags WHERE run_id = r.id ORDER BY tag))"},
      {"error", "r.error"},
      {"run_dir", "r.run_dir"},
  };
  return columns;
}

std::vector<std::string> names_from(sqlite::Connection& connection, const std::string& sql) {
  sqlite::Statement statement(connection.handle(), sql);
  std::vector<std::string> names;
  while (statement.step()) names.push_back(statement.text(0));
  return names;
}

}  // namespace

const std::vector<std::string>& wide_view_builtin_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (const auto& [name, definition] : builtins()) result.push_back(name);
    return result;
  }();
  return names;
}

std::string quote_identifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string quote_literal(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

void refresh_wide_view(sqlite::Connection& connection) {
  std::vector<std::string> taken = wide_view_builtin_columns();
  std::string select;
  for (const auto& [name, definition] : builtins()) {
    select += (select.empty() ? "" : ",\n  ") + definition + " AS " + quote_identifier(name);
  }
  auto add = [&](const std::string& name, const std::string& definition) {
    if (std::find(taken.begin(), taken.end(), name) != taken.end()) return;
    taken.push_back(name);
    select += ",\n  " + definition + " AS " + quote_identifier(name);
  };
  for (const auto& name :
       names_from(connection, "SELECT DISTINCT name FROM cell_parameters ORDER BY name")) {
    add(name, "(SELECT value FROM cell_parameters WHERE cell_id = c.id AND name = " +
                  quote_literal(name) + ")");
  }
  for (const auto& name : names_from(connection, "SELECT name FROM metric_names ORDER BY name")) {
    add(name, "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = " +
                  quote_literal(name) + ")");
  }
  connection.execute("DROP VIEW IF EXISTS runs_wide");
  connection.execute("CREATE VIEW runs_wide AS SELECT\n  " + select +
                     "\nFROM runs r JOIN cells c ON c.id = r.cell_id JOIN sweeps s ON s.id = c.sweep_id");
}

}  // namespace headroom
