#include "orchestrator/query/run_query.h"

#include <algorithm>

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

std::vector<int64_t> ids_of(const std::vector<SweepRecord>& sweeps, bool every_sweep) {
  std::vector<int64_t> ids;
  if (!every_sweep) {
    for (const auto& sweep : sweeps) ids.push_back(sweep.id);
  }
  return ids;
}

// `trainer_cells`: some of the runs are headroom-train's, whose model size
// is known; a program's is not, and its head_size is one of its parameters.
std::vector<std::string> default_columns(const std::vector<std::string>& parameters,
                                         const std::vector<std::string>& metrics, bool trainer_cells) {
  std::vector<std::string> columns = {"run", "sweep", "cell", "attempt", "state"};
  const auto& builtins = wide_view_builtin_columns();
  for (const auto& name : parameters) {
    if (!contains(builtins, name)) columns.push_back(name);
  }
  if (trainer_cells || contains(parameters, "head_size")) columns.push_back("head_size");
  for (const auto& name : metrics) {
    if (!contains(columns, name)) columns.push_back(name);
  }
  if (trainer_cells) columns.push_back("parameter_count");
  columns.insert(columns.end(), {"seconds", "error"});
  return columns;
}

Status check_column(const std::string& name, const std::vector<std::string>& known, const std::string& flag) {
  if (contains(known, name)) return Ok{};
  return Error::invalid("unknown column '" + name + "' in " + flag + did_you_mean(name, known) +
                        "; 'headroom runs --columns help' lists them");
}

}  // namespace

Result<std::vector<std::string>> queryable_columns(Store& store, const std::vector<std::string>& sweeps) {
  HEADROOM_ASSIGN_OR_RETURN(auto chosen, chosen_sweeps(store, sweeps));
  HEADROOM_ASSIGN_OR_RETURN(WideColumns wide, store.wide_columns(ids_of(chosen, sweeps.empty())));
  return wide.names();
}

Result<std::vector<std::string>> sweep_metrics(Store& store, const std::vector<std::string>& sweeps) {
  HEADROOM_ASSIGN_OR_RETURN(auto chosen, chosen_sweeps(store, sweeps));
  std::vector<std::string> metrics;
  for (const auto& sweep : chosen) {
    if (sweep.metric && !contains(metrics, *sweep.metric)) metrics.push_back(*sweep.metric);
  }
  return metrics;
}

Result<Table> query_runs(Store& store, const RunQuery& query) {
  HEADROOM_ASSIGN_OR_RETURN(auto sweeps, chosen_sweeps(store, query.sweeps));
  const std::vector<int64_t> sweep_ids = ids_of(sweeps, query.sweeps.empty());
  HEADROOM_ASSIGN_OR_RETURN(WideColumns wide, store.wide_columns(sweep_ids));
  const std::vector<std::string> known = wide.names();
  for (const auto& name : query.metrics) HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--metrics"));
  std::vector<std::string> columns = query.columns;
  if (columns.empty()) {
    std::vector<std::string> parameters, metrics = query.metrics;
    for (const auto& sweep : sweeps) {
      HEADROOM_ASSIGN_OR_RETURN(auto names, store.parameter_names(sweep.id));
      parameters.insert(parameters.end(), names.begin(), names.end());
      if (query.metrics.empty()) {
        HEADROOM_ASSIGN_OR_RETURN(auto logged, store.metric_names(sweep.id));
        metrics.insert(metrics.end(), logged.begin(), logged.end());
      }
    }
    std::sort(parameters.begin(), parameters.end());
    parameters.erase(std::unique(parameters.begin(), parameters.end()), parameters.end());
    if (query.metrics.empty()) std::sort(metrics.begin(), metrics.end());  // duplicates are dropped below
    std::string trainer_cells = "SELECT EXISTS (SELECT 1 FROM cells WHERE worker IS NULL";
    for (size_t i = 0; i < sweep_ids.size(); ++i) {
      trainer_cells += (i ? ", " : " AND sweep_id IN (") + std::to_string(sweep_ids[i]);
    }
    trainer_cells += sweep_ids.empty() ? ") AS trainer" : ")) AS trainer";
    HEADROOM_ASSIGN_OR_RETURN(Table trainer, store.select(trainer_cells));
    columns = default_columns(parameters, metrics, trainer.rows.at(0).at(0) == 1);
  }
  for (const auto& name : columns) HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--columns"));
  if (columns.size() > size_t(store.column_limit())) {
    return Error::invalid("the runs asked about have " + std::to_string(columns.size()) +
                          " columns, more than SQLite's limit of " + std::to_string(store.column_limit()) +
                          ": choose them with --columns or --metrics, or fewer sweeps");
  }

  // Every column is its own expression: only those the query names are built.
  auto resolve = [&](const std::string& name) -> std::optional<std::string> {
    const WideColumn* column = wide.find(name);
    if (!column) return std::nullopt;
    return column->sql;
  };
  HEADROOM_ASSIGN_OR_RETURN(CompiledFilter filter, compile_filter(query.where, resolve, known));

  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    sql += (i ? ", " : "") + wide.find(columns[i])->sql + " AS " + quote_identifier(columns[i]);
  }
  sql += " " + wide_rows_from(sweep_ids) + " AND (" + filter.sql + ")";
  std::string order;
  for (const auto& key : query.sort) {
    bool descending = !key.empty() && key[0] == '-';
    std::string name = !key.empty() && (key[0] == '-' || key[0] == '+') ? key.substr(1) : key;
    HEADROOM_RETURN_IF_ERROR(check_column(name, known, "--sort"));
    const std::string& value = wide.find(name)->sql;
    // Missing values last, whichever the direction.
    order += (order.empty() ? "" : ", ") + value + " IS NULL, " + value + (descending ? " DESC" : " ASC");
  }
  // Then grid order: sweep, the cell's place in its grid, attempt.
  sql += " ORDER BY " + order + (order.empty() ? "" : ", ") + "c.sweep_id, c.ordinal, r.attempt";
  if (query.limit > 0) sql += " LIMIT " + std::to_string(query.limit);
  return store.select(sql, filter.bindings);
}

}  // namespace headroom
