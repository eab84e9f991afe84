#pragma once
// The wide rows of runs: one row per run (attempt) with one column per swept
// parameter and one per metric's final value, for `runs --where`, `export`,
// the reports and the `runs_wide` view of `headroom query`.
//
// SQL cannot pivot by itself, so the columns are generated from the names
// stored. They are generated per question, for the sweeps it asks about and
// with only the columns it uses: a sweep whose worker logged thousands of
// metric names never breaks a question about another sweep, and SQLite's
// column limit binds only a question that really names that many columns.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/store/sqlite.h"

namespace headroom {

struct WideColumn {
  std::string name;
  std::string sql;  // its value as an SQL expression over runs r, cells c and sweeps s
};

// The columns offered for some sweeps: the built-ins, then each parameter,
// then each metric, every name once (a parameter or metric named like a
// built-in is reachable only through cell_parameters or summaries).
struct WideColumns {
  std::vector<WideColumn> columns;

  const WideColumn* find(const std::string& name) const;
  std::vector<std::string> names() const;
};

// The built-in columns' names, in order.
const std::vector<std::string>& wide_view_builtin_columns();

// The columns of the runs of these sweeps (empty: every sweep).
WideColumns wide_columns_of(sqlite::Connection& connection, const std::vector<int64_t>& sweep_ids);

// "FROM ... WHERE <the runs of these sweeps>": what each wide column's
// expression is evaluated over; append " AND ..." for more conditions.
std::string wide_rows_from(const std::vector<int64_t>& sweep_ids);

// The most columns one SELECT may have on this connection (SQLite's limit).
int column_limit(sqlite::Connection& connection);

// Creates the TEMP view runs_wide on this connection, with every column of
// these sweeps when they fit SQLite's column limit and otherwise with the
// built-ins and the columns whose names occur in `sql` (the statement that
// will read it). Works on a query_only connection. Throws SqliteError; an
// invalid-input error when even those do not fit.
Status create_temporary_wide_view(sqlite::Connection& connection, const std::vector<int64_t>& sweep_ids,
                                  const std::string& sql);

// "name" with embedded quotes doubled: safe as an SQL identifier.
std::string quote_identifier(const std::string& name);
// 'text' with embedded quotes doubled: safe as an SQL string literal.
std::string quote_literal(const std::string& text);

}  // namespace headroom
