#include "orchestrator/query/run_query.h"

#include <algorithm>
#include <set>

#include "common/spelling.h"
#include "orchestrator/query/filter.h"
#include "orchestrator/store/wide_view.h"

namespace headroom {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Result<std::vector<SweepRecord>> chosen_sweeps(Store& store, const std::vector<std::string>& names) {
  HEADROOM_ASSIGN_OR_RETURN(auto all, store.sweeps());
  if (names.empty()) return all;
  std::vector<std::string> known;
  for (const auto& sweep : all) known.push_back(sweep.name);
  std::vector<SweepRecord> chosen;
  for (const auto& name : names) {
    auto found = std::find_if(all.begin(), all.end(), [&](const SweepRecord& s) { return s.name == name; });
    if (found == all.end()) {
      return Error::invalid("no sweep named '" + name + "' in '" + store.path() + "'" + did_you_mean(name, known));
    }
    chosen.push_back(*found);
  }
  return chosen;
}

Result<std::vector<std::string>> default_columns(Store& store, const std::vector<SweepRecord>& sweeps,
                                                 const std::vector<std::string>& metrics) {
  std::vector<std::string> columns = {"run", "sweep", "cell", "attempt", "state"};
  std::set<std::string> parameters, logged;
  for (const auto& sweep : sweeps) {
    HEADROOM_ASSIGN_OR_RETURN(auto names, store.parameter_names(sweep.id));
    parameters.insert(names.begin(), names.end());
    HEADROOM_ASSIGN_OR_RETURN(auto metric_names, store.metric_names(sweep.id));
    logged.insert(metric_names.begin(), metric_names.end());
  }
  const auto& builtins = wide_view_builtin_columns();
  for (const auto& name : parameters) {
    if (!contains(builtins, name)) columns.push_back(name);
  }
  columns.push_back("head_size");
  if (metrics.empty()) {
    columns.insert(columns.end(), logged.begin(), logged.end());
  } else {
    for (const auto& name : metrics) {
      if (!contains(columns, name)) columns.push_back(name);
    }
  }
  columns.insert(columns.end(), {"parameters", "seconds", "error"});
  return columns;
}

Status check_column(const std::string& name, const std::vector<std::string>& known, const std::string& flag) {
  if (contains(known, name)) return Ok{};
  return Error::invalid("unknown column '" + name + "' in " + flag + did_you_mean(name, known) +
                        "; 'headroom runs --columns help' lists them");
}

}  // namespace

Result<std::vector<std::string>> queryable_columns(Store& store) { return store.wide_columns(); }

Result<Table> query_runs(Store& store, const RunQuery& query) {
  HEADROOM_ASSIGN_OR_RETURN(auto known, store.wide_columns());
  HEADROOM_ASSIGN_OR_RETURN(auto sweeps, chosen_sweeps(store, query.sweeps));
  for (const auto& name : query.metrics) HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--metrics"));
  std::vector<std::string> columns = query.columns;
  if (columns.empty()) {
    HEADROOM_ASSIGN_OR_RETURN(columns, default_columns(store, sweeps, query.metrics));
  }
  for (const auto& name : columns) HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--columns"));

  auto resolve = [&](const std::string& name) -> std::optional<std::string> {
    if (!contains(known, name)) return std::nullopt;
    return quote_identifier(name);
  };
  HEADROOM_ASSIGN_OR_RETURN(CompiledFilter filter, compile_filter(query.where, resolve, known));

  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + quote_identifier(columns[i]);
  sql += " FROM runs_wide WHERE " + filter.sql;
  std::vector<nlohmann::json> bindings = filter.bindings;
  if (!query.sweeps.empty()) {
    sql += " AND sweep IN (";
    for (size_t i = 0; i < sweeps.size(); ++i) {
      sql += i ? ", ?" : "?";
      bindings.push_back(sweeps[i].name);
    }
    sql += ")";
  }
  std::string order;
  for (const auto& key : query.sort) {
    bool descending = !key.empty() && key[0] == '-';
    std::string name = !key.empty() && (key[0] == '-' || key[0] == '+') ? key.substr(1) : key;
    HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--sort"));
    // Missing values last, whichever the direction.
    order += (order.empty() ? "" : ", ") + quote_identifier(name) + " IS NULL, " + quote_identifier(name) +
             (descending ? " DESC" : " ASC");
  }
  // Grid order within a sweep: the run id follows it only per attempt, so
  // order by the cell's ordinal through a lookup.
  sql += " ORDER BY " + order + (order.empty() ? "" : ", ") +
         "(SELECT c.sweep_id FROM runs r JOIN cells c ON c.id = r.cell_id WHERE r.id = runs_wide.run), "
         "(SELECT c.ordinal FROM runs r JOIN cells c ON c.id = r.cell_id WHERE r.id = runs_wide.run), "
         "runs_wide.attempt";
  if (query.limit > 0) sql += " LIMIT " + std::to_string(query.limit);
  return store.select(sql, bindings);
}

}  // namespace headroom
