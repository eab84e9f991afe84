// Store: deleting a sweep or a run; and the deletion export shares.
#include "orchestrator/store/removal.h"

#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

void create_gone_tables(sqlite::Connection& connection) {
  connection.execute(R"sql(
    DROP TABLE IF EXISTS temp.gone_sweeps;
    DROP TABLE IF EXISTS temp.gone_runs;
    CREATE TEMP TABLE gone_sweeps (id INTEGER PRIMARY KEY);
    CREATE TEMP TABLE gone_runs (id INTEGER PRIMARY KEY);
  )sql");
}

void delete_gone_rows(sqlite::Connection& connection) {
  connection.execute(R"sql(
    DELETE FROM metrics WHERE run_id IN (SELECT id FROM gone_runs);
    DELETE FROM summaries WHERE run_id IN (SELECT id FROM gone_runs);
    DELETE FROM tags WHERE run_id IN (SELECT id FROM gone_runs);
    DELETE FROM notes WHERE run_id IN (SELECT id FROM gone_runs) OR sweep_id IN (SELECT id FROM gone_sweeps);
    DELETE FROM runs WHERE id IN (SELECT id FROM gone_runs);
    DELETE FROM proposals WHERE sweep_id IN (SELECT id FROM gone_sweeps);
    DELETE FROM cell_parameters WHERE cell_id IN (SELECT id FROM cells WHERE sweep_id IN (SELECT id FROM gone_sweeps));
    DELETE FROM cells WHERE sweep_id IN (SELECT id FROM gone_sweeps);
    DELETE FROM setting_names WHERE sweep_id IN (SELECT id FROM gone_sweeps);
    DELETE FROM sweeps WHERE id IN (SELECT id FROM gone_sweeps);
  )sql");
}

namespace {

RemovalSize size_of(sqlite::Connection& connection, const std::string& runs_sql, int64_t id, int64_t cells) {
  RemovalSize size;
  size.cells = cells;
  Statement runs(connection.handle(), "SELECT count(*) FROM runs WHERE id IN (" + runs_sql + ")");
  runs.bind(1, id);
  runs.step();
  size.runs = runs.integer(0);
  Statement points(connection.handle(), "SELECT count(*) FROM metrics WHERE run_id IN (" + runs_sql + ")");
  points.bind(1, id);
  points.step();
  size.points = points.integer(0);
  return size;
}

const char* const kRunsOfSweep = "SELECT r.id FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?1";

}  // namespace

Result<RemovalSize> Store::sweep_size(int64_t sweep_id) {
  return guarded("measuring a sweep", [&]() -> Result<RemovalSize> {
    Statement cells(connection_->handle(), "SELECT count(*) FROM cells WHERE sweep_id = ?");
    cells.bind(1, sweep_id);
    cells.step();
    return size_of(*connection_, kRunsOfSweep, sweep_id, cells.integer(0));
  });
}

Result<RemovalSize> Store::run_size(int64_t run_id) {
  return guarded("measuring a run", [&]() -> Result<RemovalSize> { return size_of(*connection_, "?1", run_id, 0); });
}

Status Store::delete_sweep(int64_t sweep_id) {
  return guarded("deleting a sweep", [&]() -> Status {
    sqlite::Transaction transaction(*connection_);
    create_gone_tables(*connection_);
    Statement sweep(connection_->handle(), "INSERT INTO gone_sweeps VALUES (?)");
    sweep.bind(1, sweep_id);
    sweep.run();
    Statement runs(connection_->handle(), std::string("INSERT INTO gone_runs ") + kRunsOfSweep);
    runs.bind(1, sweep_id);
    runs.run();
    delete_gone_rows(*connection_);
    transaction.commit();
    return Ok{};
  });
}

Status Store::delete_run(int64_t run_id) {
  return guarded("deleting a run", [&]() -> Status {
    sqlite::Transaction transaction(*connection_);
    Statement found(connection_->handle(), "SELECT cell_id, state FROM runs WHERE id = ?");
    found.bind(1, run_id);
    if (!found.step()) return Error::invalid("no run " + std::to_string(run_id));
    const int64_t cell_id = found.integer(0);
    if (is_active(run_state(found.text(1)))) {
      return Error::invalid("run " + std::to_string(run_id) + " is " + found.text(1) +
                            ": cancel its sweep first ('headroom cancel')");
    }
    create_gone_tables(*connection_);
    Statement gone(connection_->handle(), "INSERT INTO gone_runs VALUES (?)");
    gone.bind(1, run_id);
    gone.run();
    delete_gone_rows(*connection_);
    // The cell's state follows the attempts it has left.
    Statement cell(connection_->handle(),
                   "UPDATE cells SET state = CASE WHEN EXISTS (SELECT 1 FROM runs WHERE cell_id = ?1 AND state = ?2) "
                   "THEN ?3 ELSE ?4 END WHERE id = ?1 AND state != ?5");
    cell.bind(1, cell_id).bind(2, std::string(to_string(RunState::succeeded)));
    cell.bind(3, std::string(to_string(CellState::succeeded))).bind(4, std::string(to_string(CellState::pending)));
    cell.bind(5, std::string(to_string(CellState::running)));
    cell.run();
    transaction.commit();
    return Ok{};
  });
}

}  // namespace headroom
