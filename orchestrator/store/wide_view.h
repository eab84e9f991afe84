#pragma once
// The `runs_wide` view: one row per run (attempt) with one column per swept
// parameter and one per metric's final value, for ad-hoc SQL and for the
// `runs --where` filter. SQL views cannot pivot by themselves, so the
// orchestrator regenerates the view whenever a new parameter or metric name
// appears (inside the same transaction).

#include <string>
#include <vector>

#include "orchestrator/store/sqlite.h"

namespace headroom {

// Columns every row has, before the parameters; a parameter with one of
// these names is reachable only through cell_parameters.
const std::vector<std::string>& wide_view_builtin_columns();

// Drops and recreates runs_wide from the parameter and metric names stored.
void refresh_wide_view(sqlite::Connection& connection);

// "name" with embedded quotes doubled: safe as an SQL identifier.
std::string quote_identifier(const std::string& name);
// 'text' with embedded quotes doubled: safe as an SQL string literal.
std::string quote_literal(const std::string& text);

}  // namespace headroom
