// Store: what `headroom db check` inspects.
#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

Result<std::vector<std::string>> Store::integrity_problems() {
  return guarded("checking integrity", [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    try {
      Statement query(connection_->handle(), "PRAGMA integrity_check");
      while (query.step()) {
        if (query.text(0) != "ok") problems.push_back(query.text(0));
      }
    } catch (const sqlite::SqliteError& error) {
      // SQLite stops at damage it cannot walk past, after the rows it found
      // so far: keep those, then check table by table to name the damaged.
      problems.push_back(std::string("the check stopped: ") + error.what());
      std::vector<std::string> tables;
      Statement names(connection_->handle(), "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
      while (names.step()) tables.push_back(names.text(0));
      for (const auto& table : tables) {
        try {
          Statement check(connection_->handle(), "PRAGMA integrity_check(" + quote_literal(table) + ")");
          while (check.step()) {
            if (check.text(0) != "ok") problems.push_back("table " + table + ": " + check.text(0));
          }
        } catch (const sqlite::SqliteError& table_error) {
          problems.push_back("table " + table + " is damaged: " + table_error.what());
        }
      }
    }
    return problems;
  });
}

Result<std::vector<std::string>> Store::orphan_problems() {
  return guarded("looking for orphan rows", [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    Statement foreign(connection_->handle(), "PRAGMA foreign_key_check");
    while (foreign.step()) {
      if (foreign.is_null(1)) continue;  // a table without rowid: counted below
      problems.push_back("table " + foreign.text(0) + " rowid " + foreign.text(1) + " points at a missing " +
                         foreign.text(2) + " row");
    }
    // Tables WITHOUT ROWID have no rowid for foreign_key_check to name: count them directly.
    Statement counts(connection_->handle(),
                     "SELECT 'metrics', count(*) FROM metrics WHERE run_id NOT IN (SELECT id FROM runs) "
                     "UNION ALL SELECT 'summaries', count(*) FROM summaries WHERE run_id NOT IN (SELECT id FROM runs) "
                     "UNION ALL SELECT 'cell_parameters', count(*) FROM cell_parameters "
                     "  WHERE cell_id NOT IN (SELECT id FROM cells) "
                     "UNION ALL SELECT 'tags', count(*) FROM tags WHERE run_id NOT IN (SELECT id FROM runs) "
                     "UNION ALL SELECT 'setting_names', count(*) FROM setting_names "
                     "  WHERE sweep_id NOT IN (SELECT id FROM sweeps)");
    while (counts.step()) {
      if (counts.integer(1) > 0) problems.push_back(std::to_string(counts.integer(1)) + " in " + counts.text(0));
    }
    return problems;
  });
}

Result<std::vector<std::pair<int64_t, std::string>>> Store::stale_summaries(int limit) {
  return guarded("checking summaries", [&]() -> Result<std::vector<std::pair<int64_t, std::string>>> {
    // Summaries are derived at ingestion: they must agree with the points.
    Statement query(connection_->handle(),
                    "SELECT s.run_id, s.name FROM summaries s JOIN metric_names n ON n.name = s.name "
                    "WHERE s.last_step IS NOT (SELECT max(step) FROM metrics m "
                    "WHERE m.run_id = s.run_id AND m.metric_id = n.id) LIMIT ?");
    query.bind(1, int64_t(limit));
    std::vector<std::pair<int64_t, std::string>> stale;
    while (query.step()) stale.push_back({query.integer(0), query.text(1)});
    return stale;
  });
}

Result<std::vector<IngestionPosition>> Store::ingestion_positions() {
  return guarded("reading ingestion positions", [&]() -> Result<std::vector<IngestionPosition>> {
    Statement query(connection_->handle(),
                    "SELECT r.id, r.run_dir, r.events_offset, r.state, s.state, r.rejected_lines, "
                    "r.event_problem FROM runs r JOIN cells c ON c.id = r.cell_id JOIN sweeps s ON "
                    "s.id = c.sweep_id ORDER BY r.id");
    std::vector<IngestionPosition> positions;
    while (query.step()) {
      positions.push_back({query.integer(0), query.text(1), query.integer(2), run_state(query.text(3)),
                           sweep_state(query.text(4)), query.integer(5),
                           query.is_null(6) ? std::nullopt : std::optional<std::string>(query.text(6))});
    }
    return positions;
  });
}

Result<std::vector<SweepWithActiveRuns>> Store::sweeps_with_active_runs() {
  return guarded("reading active runs", [&]() -> Result<std::vector<SweepWithActiveRuns>> {
    Statement query(connection_->handle(),
                    "SELECT s.name, count(*), s.state, s.orchestrator_pid, s.orchestrator_host FROM runs r "
                    "JOIN cells c ON c.id = r.cell_id JOIN sweeps s ON s.id = c.sweep_id WHERE r.state IN (" +
                        sql_list(active_run_states()) + ") GROUP BY s.id ORDER BY s.id");
    std::vector<SweepWithActiveRuns> sweeps;
    while (query.step()) {
      sweeps.push_back({query.text(0), query.integer(1), sweep_state(query.text(2)), query.optional_integer(3),
                        query.is_null(4) ? std::nullopt : std::optional<std::string>(query.text(4))});
    }
    return sweeps;
  });
}

}  // namespace headroom
