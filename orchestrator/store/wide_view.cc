#include "orchestrator/store/wide_view.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "orchestrator/grid/grid.h"

namespace headroom {
namespace {

// Built-in columns and their definitions over sweeps s, cells c and runs r.
const std::vector<WideColumn>& builtins() {
  static const std::vector<WideColumn> columns = {
      {"run", "r.id"},
      {"sweep", "s.name"},
      {"cell", "substr(c.hash, 1, 12)"},
      {"attempt", "r.attempt"},
      {"state", "r.state"},
      // A program's cell has no trainer head size: its own head_size setting, if any.
      {"head_size", "CASE WHEN c.worker IS NULL THEN c.head_size ELSE json_extract(c.config, '$.head_size') END"},
      // A search inside each grid cell: the outer cell (as `cell` shows a
      // hash) and the run's part in it, trial or replicate.
      {"search_group", "substr(c.search_group, 1, 12)"},
      {"search_role", "c.search_role"},
      // Not "parameters": that is a cell's swept values (cells.parameters, show).
      // A program's model is its own: its size is unknown (NULL), not 0.
      {"parameter_count", "CASE WHEN c.worker IS NULL THEN c.parameter_count END"},
      {"non_embedding_parameters", "CASE WHEN c.worker IS NULL THEN c.non_embedding_parameters END"},
      {"flops_per_token", "CASE WHEN c.worker IS NULL THEN c.flops_per_token END"},
      {"estimated_flops", "CASE WHEN c.worker IS NULL THEN c.estimated_flops END"},
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

std::string id_list(const std::vector<int64_t>& ids) {
  std::string list;
  for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
  return list;
}

// Distinct names from a one-column query, sorted.
std::vector<std::string> names_from(sqlite::Connection& connection, const std::string& sql) {
  sqlite::Statement statement(connection.handle(), sql);
  std::vector<std::string> names;
  while (statement.step()) names.push_back(statement.text(0));
  return names;
}

}  // namespace

const WideColumn* WideColumns::find(const std::string& name) const {
  auto found = std::find_if(columns.begin(), columns.end(), [&](const WideColumn& c) { return c.name == name; });
  return found == columns.end() ? nullptr : &*found;
}

std::vector<std::string> WideColumns::names() const {
  std::vector<std::string> result;
  for (const auto& column : columns) result.push_back(column.name);
  return result;
}

const std::vector<std::string>& wide_view_builtin_columns() {
  static const std::vector<std::string> names = WideColumns{builtins()}.names();
  return names;
}

WideColumns wide_columns_of(sqlite::Connection& connection, const std::vector<int64_t>& sweep_ids) {
  WideColumns wide{builtins()};
  std::set<std::string> taken(wide_view_builtin_columns().begin(), wide_view_builtin_columns().end());
  auto add = [&](const std::string& name, const std::string& sql) {
    if (taken.insert(name).second) wide.columns.push_back({name, sql});
  };
  const std::string cells = sweep_ids.empty() ? "SELECT id FROM cells"
                                              : "SELECT id FROM cells WHERE sweep_id IN (" + id_list(sweep_ids) + ")";
  // Every setting of the runs, swept or not: a swept value where the cell has
  // one, else the resolved config's (a sweep may set in `base` what another
  // sweeps, and a filter must not silently miss its runs).
  const std::string sweeps = sweep_ids.empty() ? "1" : "sweep_id IN (" + id_list(sweep_ids) + ")";
  std::vector<std::string> names = names_from(connection, "SELECT name FROM cell_parameters WHERE cell_id IN (" +
                                                              cells + ") UNION SELECT name FROM setting_names WHERE " +
                                                              sweeps + " ORDER BY 1");
  static const nlohmann::json defaults = with_trainer_defaults(nlohmann::json::object());
  // Every trainer setting, also one a sweep stored before it existed never named.
  if (!names_from(connection, "SELECT 1 FROM cells WHERE worker IS NULL AND id IN (" + cells + ") LIMIT 1").empty()) {
    for (const auto& [name, value] : defaults.items()) names.push_back(name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  for (const auto& name : names) {
    const std::string swept =
        "(SELECT value FROM cell_parameters WHERE cell_id = c.id AND name = " + quote_literal(name) + ")";
    // SQLite's JSON paths cannot spell a key with a double quote: such a
    // setting is reachable when swept only.
    // A trainer setting that a cell stored before it existed lacks: its default
    // (with_trainer_defaults), as the store reads that cell's config.
    const std::string otherwise =
        defaults.contains(name)
            ? ", CASE WHEN c.worker IS NULL THEN json_extract(" +
                  quote_literal(nlohmann::json{{"default", defaults[name]}}.dump()) + ", '$.default') END"
            : "";
    add(name, name.find('"') != std::string::npos
                  ? swept
                  : "coalesce(" + swept + ", json_extract(c.config, " + quote_literal("$.\"" + name + "\"") + ")" +
                        otherwise + ")");
  }
  for (const auto& name :
       names_from(connection, "SELECT DISTINCT name FROM summaries WHERE run_id IN (SELECT id FROM runs WHERE "
                              "cell_id IN (" + cells + ")) ORDER BY name")) {
    add(name, "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = " + quote_literal(name) + ")");
  }
  return wide;
}

std::string wide_rows_from(const std::vector<int64_t>& sweep_ids) {
  return "FROM runs r JOIN cells c ON c.id = r.cell_id JOIN sweeps s ON s.id = c.sweep_id WHERE " +
         (sweep_ids.empty() ? std::string("1") : "c.sweep_id IN (" + id_list(sweep_ids) + ")");
}

int column_limit(sqlite::Connection& connection) { return sqlite3_limit(connection.handle(), SQLITE_LIMIT_COLUMN, -1); }

Status create_temporary_wide_view(sqlite::Connection& connection, const std::vector<int64_t>& sweep_ids,
                                  const std::string& sql) {
  WideColumns wide = wide_columns_of(connection, sweep_ids);
  const size_t limit = size_t(column_limit(connection));
  std::vector<const WideColumn*> chosen;
  for (const auto& column : wide.columns) chosen.push_back(&column);
  if (chosen.size() > limit) {
    // Too wide to offer whole: keep what the statement can be naming.
    const size_t offered = chosen.size();
    chosen.clear();
    for (size_t i = 0; i < wide.columns.size(); ++i) {
      if (i < builtins().size() || sql.find(wide.columns[i].name) != std::string::npos) {
        chosen.push_back(&wide.columns[i]);
      }
    }
    if (chosen.size() > limit) {
      return Error::invalid("runs_wide would have " + std::to_string(chosen.size()) +
                            " of its " + std::to_string(offered) + " columns, more than SQLite's limit of " +
                            std::to_string(limit) + ": choose fewer sweeps with --sweep");
    }
  }
  std::string select;
  for (const WideColumn* column : chosen) {
    select += (select.empty() ? "" : ",\n  ") + column->sql + " AS " + quote_identifier(column->name);
  }
  // The connection may be query_only (headroom query): a TEMP view writes
  // nothing to the database file, so lift the guard for this one statement.
  bool was_query_only = false;
  {
    sqlite::Statement query_only(connection.handle(), "PRAGMA query_only");
    was_query_only = query_only.step() && query_only.integer(0) != 0;
  }
  connection.execute("PRAGMA query_only = OFF");
  try {
    connection.execute("DROP VIEW IF EXISTS temp.runs_wide");
    connection.execute("CREATE TEMP VIEW runs_wide AS SELECT\n  " + select + "\n" + wide_rows_from(sweep_ids));
  } catch (...) {
    if (was_query_only) connection.execute("PRAGMA query_only = ON");
    throw;
  }
  if (was_query_only) connection.execute("PRAGMA query_only = ON");
  return Ok{};
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

}  // namespace headroom
