// headroom query "SELECT ...": raw SQL on a read-only connection.
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "common/table.h"

namespace headroom::cli {
namespace {

struct QueryOptions {
  std::string sql;
  std::vector<std::string> sweeps;  // runs_wide covers these; empty: every sweep
  std::string format = "table";
  QueryLimits limits{30, 1000000};
};

int query(const QueryOptions& options, const GlobalOptions& global) {
  // Read-only three times over: the file is opened read-only, the connection
  // is query_only, and Store::select refuses statements that could write.
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  std::vector<int64_t> sweep_ids;
  for (const auto& name : options.sweeps) {
    auto sweep = find_sweep(*store.value(), name);
    if (!sweep) return report_error(sweep.error());
    sweep_ids.push_back(sweep->id);
  }
  // A view of this connection only: the database file gets nothing.
  if (auto view = store.value()->create_wide_view(sweep_ids, options.sql); !view.ok()) {
    return report_error(view.error());
  }
  return print_table(store.value()->select(options.sql, {}, options.limits), options.format);
}

}  // namespace

void add_query_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<QueryOptions>();
  auto* command = app.add_subcommand(
      "query", "Run one read-only SQL statement on the database (tables: docs/schema.md; the view runs_wide "
               "has a row per run and a column per parameter and final metric)");
  command->add_option("sql", options->sql, "the SELECT statement")->required();
  command->add_option("--sweep", options->sweeps, "runs_wide holds only this sweep's runs (repeat or comma-separate "
                                                  "for more; default: every sweep)")
      ->allow_extra_args(false)
      ->delimiter(',');
  add_format_options(*command, options->format, kTableFormats);
  command->add_option("--timeout", options->limits.seconds, "stop the query after this many seconds (0: never)")
      ->capture_default_str();
  command->add_option("--max-rows", options->limits.rows, "refuse results longer than this (0: no limit)")
      ->capture_default_str();
  command->callback([options, &global, &exit_status] { exit_status = query(*options, global); });
}

}  // namespace headroom::cli
