#pragma once
// Typed questions about runs, answered from their wide rows (wide_view.h,
// built for the sweeps asked about): which sweeps, a --where filter
// (filter.h), sort keys and the columns to show. Used by `headroom runs`,
// `export` and the reports, so they all see the same rows.

#include <string>
#include <vector>

#include "common/result.h"
#include "common/table.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct RunQuery {
  std::vector<std::string> sweeps;   // sweep names; empty = every sweep
  std::string where;                 // filter language of filter.h; empty = every run
  std::vector<std::string> sort;     // column names, '-' before one sorts it descending
  std::vector<std::string> columns;  // empty = the default layout below
  // Final metrics in the default layout; empty = every metric these sweeps logged.
  std::vector<std::string> metrics;
  int64_t limit = 0;                 // 0 = every row
};

// Default layout: run, sweep, cell, attempt, state, the swept parameters of
// the chosen sweeps, head_size, the metrics, parameter_count, seconds, error;
// without head_size and parameter_count when every run is a program's (a
// program's own head_size parameter keeps its column).
// Rows come in sweep, grid and attempt order unless sorted; missing values
// sort last either way. Unknown sweeps and columns are errors with a
// suggestion.
Result<Table> query_runs(Store& store, const RunQuery& query);

// The columns a query about these sweeps (empty: every sweep) may name, for
// `--columns help`.
Result<std::vector<std::string>> queryable_columns(Store& store, const std::vector<std::string>& sweeps);
// The metric each of these sweeps (empty: every sweep) is judged by, its
// `metric.name`, in the sweeps' order, each once; sweeps without one add none.
Result<std::vector<std::string>> sweep_metrics(Store& store, const std::vector<std::string>& sweeps);

}  // namespace headroom
