// Store: attempts (runs) of cells.
#include <filesystem>

#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

Result<RunRecord> Store::begin_attempt(const SweepRecord& sweep, const CellRecord& cell) {
  return guarded("starting an attempt", [&]() -> Result<RunRecord> {
    sqlite::Transaction transaction(*connection_);
    Statement& next = prepared("SELECT coalesce(max(attempt), 0) + 1 FROM runs WHERE cell_id = ?");
    ResetOnExit next_reset{next};
    next.bind(1, cell.id);
    next.step();
    int attempt = int(next.integer(0));
    next.reset();
    std::string run_dir =
        (std::filesystem::path(sweep.runs_root) / sweep.name / cell.hash.substr(0, 12) / std::to_string(attempt))
            .string();
    Statement& insert = prepared("INSERT INTO runs (cell_id, attempt, state, run_dir, started_at) VALUES (?, ?, ?, ?, ?)");
    ResetOnExit insert_reset{insert};
    insert.bind(1, cell.id).bind(2, attempt).bind(3, std::string(to_string(RunState::starting)));
    insert.bind(4, run_dir).bind(5, now_seconds());
    insert.run();
    int64_t run_id = connection_->last_insert_id();
    Statement& update = prepared("UPDATE cells SET state = ? WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, std::string(to_string(CellState::running))).bind(2, cell.id);
    update.run();
    transaction.commit();
    RunRecord run;
    run.id = run_id;
    run.cell_id = cell.id;
    run.attempt = attempt;
    run.state = RunState::starting;
    run.run_dir = run_dir;
    return run;
  });
}

Status Store::mark_running(int64_t run_id, int64_t pid, const std::string& host, const std::string& device) {
  return guarded("recording a worker", [&]() -> Status {
    Statement& update = prepared("UPDATE runs SET state = ?, pid = ?, host = ?, device = nullif(?, '') WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, std::string(to_string(RunState::running))).bind(2, pid).bind(3, host).bind(4, device);
    update.bind(5, run_id);
    update.run();
    return Ok{};
  });
}

Status Store::set_slurm_job(int64_t run_id, const std::string& job) {
  return guarded("recording a SLURM job", [&]() -> Status {
    Statement& update = prepared("UPDATE runs SET slurm_job = ? WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, job).bind(2, run_id);
    update.run();
    return Ok{};
  });
}

Status Store::mark_running_in_slurm(int64_t run_id, const std::string& node) {
  return guarded("recording a SLURM task", [&]() -> Status {
    Statement& update = prepared("UPDATE runs SET state = ?1, host = nullif(?2, ''), "
                                 "device = coalesce(device, 'slurm') WHERE id = ?3 AND state = ?4");
    ResetOnExit update_reset{update};
    update.bind(1, std::string(to_string(RunState::running))).bind(2, node).bind(3, run_id);
    update.bind(4, std::string(to_string(RunState::starting)));
    update.run();
    return Ok{};
  });
}

Status Store::finish_run(int64_t run_id, const std::function<AttemptOutcome(const CellHistory&)>& decide) {
  return guarded("finishing a run", [&]() -> Status {
    // BEGIN IMMEDIATE: the cell read here cannot change before the write.
    sqlite::Transaction transaction(*connection_);
    Statement& cell = prepared("SELECT c.id, c.state, c.forgiven_failures FROM cells c JOIN runs r "
                               "ON r.cell_id = c.id WHERE r.id = ?");
    ResetOnExit cell_reset{cell};
    cell.bind(1, run_id);
    if (!cell.step()) return Error::internal("no run " + std::to_string(run_id) + " to finish");
    const int64_t cell_id = cell.integer(0);
    CellHistory history;
    history.state = cell_state(cell.text(1));
    history.forgiven_failures = cell.integer(2);
    cell.reset();
    Statement& others = prepared("SELECT state FROM runs WHERE cell_id = ? AND id != ? ORDER BY attempt");
    ResetOnExit others_reset{others};
    others.bind(1, cell_id).bind(2, run_id);
    while (others.step()) history.earlier_attempts.push_back(run_state(others.text(0)));
    others.reset();

    const AttemptOutcome outcome = decide(history);
    Statement& update = prepared("UPDATE runs SET state = ?, exit_code = ?, signal = ?, "
                                 "error = coalesce(?, error), ended_at = ? WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, std::string(to_string(outcome.end.state))).bind(2, outcome.end.exit_code);
    update.bind(3, outcome.end.signal).bind(4, outcome.end.error).bind(5, now_seconds()).bind(6, run_id);
    update.run();
    Statement& next = prepared("UPDATE cells SET state = ? WHERE id = ?");
    ResetOnExit next_reset{next};
    next.bind(1, std::string(to_string(outcome.cell))).bind(2, cell_id);
    next.run();
    transaction.commit();
    return Ok{};
  });
}

Result<std::vector<FailedCellHistory>> Store::failed_cell_histories(int64_t sweep_id) {
  return guarded("reading failed cells", [&]() -> Result<std::vector<FailedCellHistory>> {
    Statement query(connection_->handle(),
                    "SELECT c.id, c.hash, c.forgiven_failures, r.state FROM cells c JOIN runs r ON r.cell_id = c.id "
                    "WHERE c.sweep_id = ? AND c.state = ? ORDER BY c.ordinal, r.attempt");
    query.bind(1, sweep_id).bind(2, std::string(to_string(CellState::failed)));
    std::vector<FailedCellHistory> cells;
    while (query.step()) {
      if (cells.empty() || cells.back().cell_id != query.integer(0)) {
        FailedCellHistory cell;
        cell.cell_id = query.integer(0);
        cell.cell_hash = query.text(1);
        cell.history.state = CellState::failed;
        cell.history.forgiven_failures = query.integer(2);
        cells.push_back(std::move(cell));
      }
      cells.back().history.earlier_attempts.push_back(run_state(query.text(3)));
    }
    return cells;
  });
}

Result<int64_t> Store::reopen_failed_cells(int64_t sweep_id, const std::vector<int64_t>& cell_ids, bool forgive) {
  return guarded("reopening failed cells", [&]() -> Result<int64_t> {
    sqlite::Transaction transaction(*connection_);
    Statement reopen(connection_->handle(),
                     "UPDATE cells SET state = ?3, forgiven_failures = CASE WHEN ?4 THEN "
                     "(SELECT count(*) FROM runs WHERE cell_id = cells.id AND state = ?5) "
                     "ELSE forgiven_failures END WHERE id = ?1 AND sweep_id = ?2 AND state = ?6");
    int64_t changed = 0;
    for (int64_t id : cell_ids) {
      reopen.reset();
      reopen.bind(1, id).bind(2, sweep_id).bind(3, std::string(to_string(CellState::pending)));
      reopen.bind(4, int64_t(forgive)).bind(5, std::string(to_string(RunState::failed)));
      reopen.bind(6, std::string(to_string(CellState::failed)));
      reopen.run();
      changed += sqlite3_changes(connection_->handle());
    }
    transaction.commit();
    return changed;
  });
}

Result<std::vector<RunRecord>> Store::active_runs(int64_t sweep_id) {
  return guarded("reading runs", [&]() -> Result<std::vector<RunRecord>> {
    Statement query(connection_->handle(), std::string("SELECT ") + kRunColumns + " FROM runs WHERE state IN (" +
                                               sql_list(active_run_states()) +
                                               ") AND cell_id IN (SELECT id FROM cells WHERE sweep_id = ?) ORDER BY id");
    query.bind(1, sweep_id);
    std::vector<RunRecord> result;
    while (query.step()) result.push_back(read_run(query));
    return result;
  });
}

Result<std::vector<RunRecord>> Store::runs_of_cell(int64_t cell_id) {
  return guarded("reading runs", [&]() -> Result<std::vector<RunRecord>> {
    Statement& query = prepared(std::string("SELECT ") + kRunColumns + " FROM runs WHERE cell_id = ? ORDER BY attempt");
    ResetOnExit query_reset{query};
    query.bind(1, cell_id);
    std::vector<RunRecord> result;
    while (query.step()) result.push_back(read_run(query));
    return result;
  });
}

Result<RunRecord> Store::run(int64_t run_id) {
  return guarded("reading a run", [&]() -> Result<RunRecord> {
    Statement& query = prepared(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
    ResetOnExit query_reset{query};
    query.bind(1, run_id);
    if (!query.step()) return Error::invalid("no run with id " + std::to_string(run_id));
    return read_run(query);
  });
}

}  // namespace headroom
