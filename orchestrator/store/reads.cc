// Store: reads of curves and summaries for queries, of progress for status and
// watch, of results for reports; notes and tags.
#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"
#include "orchestrator/store/wide_view.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

namespace {

MetricPoint read_point(const Statement& row, int first) {
  return MetricPoint{row.integer(first), row.optional_real(first + 1), row.real(first + 2)};
}

std::string text_or_empty(const Statement& row, int column) { return row.is_null(column) ? "" : row.text(column); }

}  // namespace

Result<std::vector<std::string>> Store::metric_names(int64_t sweep_id) {
  return guarded("reading metric names", [&]() -> Result<std::vector<std::string>> {
    Statement query(connection_->handle(),
                    "SELECT DISTINCT name FROM summaries WHERE run_id IN (SELECT r.id FROM runs r "
                    "JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?) ORDER BY name");
    query.bind(1, sweep_id);
    std::vector<std::string> names;
    while (query.step()) names.push_back(query.text(0));
    return names;
  });
}

Result<std::vector<std::string>> Store::run_metric_names(int64_t run_id) {
  return guarded("reading metric names", [&]() -> Result<std::vector<std::string>> {
    Statement& query = prepared("SELECT name FROM summaries WHERE run_id = ? ORDER BY name");
    ResetOnExit reset{query};
    query.bind(1, run_id);
    std::vector<std::string> names;
    while (query.step()) names.push_back(query.text(0));
    return names;
  });
}

Result<int64_t> Store::run_last_step(int64_t run_id) {
  return guarded("reading a run's last step", [&]() -> Result<int64_t> {
    Statement& query = prepared("SELECT coalesce(max(last_step), -1) FROM summaries WHERE run_id = ?");
    ResetOnExit reset{query};
    query.bind(1, run_id);
    return query.step() ? query.integer(0) : int64_t(-1);
  });
}

Result<WideColumns> Store::wide_columns(const std::vector<int64_t>& sweep_ids) {
  return guarded("reading parameter and metric names",
                 [&]() -> Result<WideColumns> { return wide_columns_of(*connection_, sweep_ids); });
}

int Store::column_limit() { return headroom::column_limit(*connection_); }

Status Store::create_wide_view(const std::vector<int64_t>& sweep_ids, const std::string& sql) {
  return guarded("creating the runs_wide view",
                 [&]() -> Status { return create_temporary_wide_view(*connection_, sweep_ids, sql); });
}


Result<std::vector<MetricPoint>> Store::curve(int64_t run_id, const std::string& name) {
  return guarded("reading a curve", [&]() -> Result<std::vector<MetricPoint>> {
    Statement query(connection_->handle(),
                    "SELECT step, value, time FROM metrics WHERE run_id = ? AND metric_id = "
                    "(SELECT id FROM metric_names WHERE name = ?) ORDER BY step");
    query.bind(1, run_id).bind(2, name);
    std::vector<MetricPoint> points;
    while (query.step()) points.push_back(read_point(query, 0));
    return points;
  });
}

Result<std::vector<std::pair<std::string, std::vector<MetricPoint>>>> Store::curves(int64_t run_id) {
  using Curves = std::vector<std::pair<std::string, std::vector<MetricPoint>>>;
  return guarded("reading curves", [&]() -> Result<Curves> {
    Statement query(connection_->handle(),
                    "SELECT n.name, m.step, m.value, m.time FROM metrics m JOIN metric_names n "
                    "ON n.id = m.metric_id WHERE m.run_id = ? ORDER BY n.name, m.step");
    query.bind(1, run_id);
    Curves curves;
    while (query.step()) {
      if (curves.empty() || curves.back().first != query.text(0)) curves.push_back({query.text(0), {}});
      curves.back().second.push_back(read_point(query, 1));
    }
    return curves;
  });
}

Result<Table> Store::summaries(int64_t run_id) {
  return select("SELECT name AS metric, last_step, last_value, min_value, max_value FROM summaries "
                "WHERE run_id = ? ORDER BY name",
                {run_id});
}

Result<std::vector<RunProgress>> Store::active_run_progress(int64_t sweep_id, const std::string& metric) {
  return guarded("reading running runs", [&]() -> Result<std::vector<RunProgress>> {
    // Summaries are kept at ingestion: a run's latest values are one lookup each.
    Statement query(
        connection_->handle(),
        "SELECT r.id, c.hash, c.parameters, c.config ->> '$.steps', r.device, r.host, r.started_at, "
        "(SELECT max(last_step) FROM summaries WHERE run_id = r.id), "
        "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = 'train/loss'), "
        "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = ?2), "
        "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = 'train/tokens_per_s'), "
        "c.estimated_flops "
        "FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?1 AND r.state IN (" +
            sql_list(active_run_states()) + ") ORDER BY r.id");
    query.bind(1, sweep_id).bind(2, metric);
    std::vector<RunProgress> runs;
    while (query.step()) {
      RunProgress run;
      run.run = query.integer(0);
      run.cell_hash = query.text(1);
      run.parameters = nlohmann::json::parse(query.text(2));
      run.steps = query.optional_integer(3);
      run.device = text_or_empty(query, 4);
      run.host = text_or_empty(query, 5);
      run.started_at = query.optional_real(6);
      run.step = query.optional_integer(7);
      run.loss = query.optional_real(8);
      run.metric = query.optional_real(9);
      run.tokens_per_second = query.optional_real(10);
      run.estimated_flops = query.real(11);
      runs.push_back(std::move(run));
    }
    return runs;
  });
}

Result<std::vector<FailedCell>> Store::failed_cells(int64_t sweep_id) {
  return guarded("reading failed cells", [&]() -> Result<std::vector<FailedCell>> {
    Statement query(connection_->handle(),
                    "SELECT r.id, c.hash, c.parameters, r.state, coalesce(r.error, '') "
                    "FROM cells c JOIN runs r ON r.cell_id = c.id AND r.attempt = "
                    "(SELECT max(attempt) FROM runs WHERE cell_id = c.id) "
                    "WHERE c.sweep_id = ? AND c.state = ? ORDER BY c.ordinal");
    query.bind(1, sweep_id).bind(2, std::string(to_string(CellState::failed)));
    std::vector<FailedCell> cells;
    while (query.step()) {
      cells.push_back({query.integer(0), query.text(1), nlohmann::json::parse(query.text(2)),
                       run_state(query.text(3)), query.text(4)});
    }
    return cells;
  });
}

Result<SweepThroughput> Store::throughput(int64_t sweep_id) {
  return guarded("reading a sweep's throughput", [&]() -> Result<SweepThroughput> {
    Statement query(connection_->handle(),
                    "SELECT sum(c.estimated_flops), sum(r.ended_at - r.started_at), "
                    "(SELECT min(r2.started_at) FROM runs r2 JOIN cells c2 ON c2.id = r2.cell_id "
                    " WHERE c2.sweep_id = ?1), "
                    "(SELECT max(r2.ended_at) FROM runs r2 JOIN cells c2 ON c2.id = r2.cell_id "
                    " WHERE c2.sweep_id = ?1), "
                    "(SELECT sum(estimated_flops) FROM cells WHERE sweep_id = ?1 AND state = ?3) "
                    "FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?1 AND r.state = ?2");
    query.bind(1, sweep_id).bind(2, std::string(to_string(RunState::succeeded)));
    query.bind(3, std::string(to_string(CellState::pending)));
    query.step();
    return SweepThroughput{query.optional_real(0), query.optional_real(1), query.optional_real(2),
                           query.optional_real(3), query.optional_real(4)};
  });
}

Result<std::vector<SucceededRun>> Store::succeeded_runs(int64_t sweep_id) {
  return guarded("reading succeeded runs", [&]() -> Result<std::vector<SucceededRun>> {
    Statement query(connection_->handle(),
                    "SELECT r.id, r.cell_id, c.hash, r.started_at, r.ended_at, r.device, r.host, "
                    "r.start_info ->> '$.precision' FROM runs r JOIN cells c ON c.id = r.cell_id "
                    "WHERE c.sweep_id = ? AND r.state = ? ORDER BY r.id");
    query.bind(1, sweep_id).bind(2, std::string(to_string(RunState::succeeded)));
    std::vector<SucceededRun> runs;
    while (query.step()) {
      runs.push_back({query.integer(0), query.integer(1), query.text(2), query.optional_real(3),
                      query.optional_real(4), text_or_empty(query, 5), text_or_empty(query, 6),
                      text_or_empty(query, 7)});
    }
    return runs;
  });
}

Result<std::vector<FinalValue>> Store::final_values_of_succeeded_runs(int64_t sweep_id) {
  return guarded("reading final values", [&]() -> Result<std::vector<FinalValue>> {
    Statement query(connection_->handle(),
                    "SELECT s.run_id, s.name, s.last_value FROM summaries s JOIN runs r ON r.id = s.run_id "
                    "JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ? AND r.state = ? "
                    "AND s.last_value IS NOT NULL");
    query.bind(1, sweep_id).bind(2, std::string(to_string(RunState::succeeded)));
    std::vector<FinalValue> values;
    while (query.step()) values.push_back({query.integer(0), query.text(1), query.real(2)});
    return values;
  });
}

Result<std::vector<MetricHistory>> Store::metric_histories(int64_t sweep_id, const std::string& metric) {
  return guarded("reading metric histories", [&]() -> Result<std::vector<MetricHistory>> {
    Statement query(connection_->handle(),
                    "SELECT r.id, r.cell_id, r.state, m.value, coalesce(c.search_group, ''), "
                    "coalesce(c.search_role, '') FROM runs r JOIN cells c ON c.id = r.cell_id "
                    "JOIN metrics m ON m.run_id = r.id AND m.metric_id = (SELECT id FROM metric_names WHERE name = ?) "
                    "WHERE c.sweep_id = ? AND m.value IS NOT NULL ORDER BY r.id, m.step");
    query.bind(1, metric).bind(2, sweep_id);
    std::vector<MetricHistory> histories;
    while (query.step()) {
      if (histories.empty() || histories.back().run_id != query.integer(0)) {
        MetricHistory history;
        history.run_id = query.integer(0);
        history.cell_id = query.integer(1);
        history.state = parse_run_state(query.text(2)).value_or(RunState::failed);
        history.search_group = query.text(4);
        history.search_role = query.text(5);
        histories.push_back(std::move(history));
      }
      histories.back().values.push_back(query.real(3));
    }
    return histories;
  });
}

Result<int64_t> Store::add_note(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id,
                                const std::string& text) {
  return guarded("adding a note", [&]() -> Result<int64_t> {
    Statement insert(connection_->handle(),
                     "INSERT INTO notes (sweep_id, run_id, text, created_at) VALUES (?, ?, ?, ?)");
    insert.bind(1, sweep_id).bind(2, run_id).bind(3, text).bind(4, now_seconds());
    insert.run();
    return connection_->last_insert_id();
  });
}

Result<std::vector<Note>> Store::notes(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id) {
  return guarded("reading notes", [&]() -> Result<std::vector<Note>> {
    Statement query(connection_->handle(),
                    "SELECT id, sweep_id, run_id, text, created_at FROM notes WHERE "
                    "(?1 IS NOT NULL AND sweep_id = ?1) OR (?2 IS NOT NULL AND run_id = ?2) ORDER BY id");
    query.bind(1, sweep_id).bind(2, run_id);
    std::vector<Note> notes;
    while (query.step()) {
      notes.push_back(Note{query.integer(0), query.optional_integer(1), query.optional_integer(2),
                           query.text(3), query.real(4)});
    }
    return notes;
  });
}

Status Store::add_tag(int64_t run_id, const std::string& tag) {
  return guarded("tagging a run", [&]() -> Status {
    Statement insert(connection_->handle(), "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)");
    insert.bind(1, run_id).bind(2, tag);
    insert.run();
    return Ok{};
  });
}

Status Store::remove_tag(int64_t run_id, const std::string& tag) {
  return guarded("untagging a run", [&]() -> Status {
    Statement remove(connection_->handle(), "DELETE FROM tags WHERE run_id = ? AND tag = ?");
    remove.bind(1, run_id).bind(2, tag);
    remove.run();
    return Ok{};
  });
}


Result<std::vector<std::string>> Store::tags(int64_t run_id) {
  return guarded("reading tags", [&]() -> Result<std::vector<std::string>> {
    Statement query(connection_->handle(), "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
    query.bind(1, run_id);
    std::vector<std::string> tags;
    while (query.step()) tags.push_back(query.text(0));
    return tags;
  });
}

}  // namespace headroom
