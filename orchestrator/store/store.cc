#include "orchestrator/store/store.h"

#include <chrono>
#include <filesystem>
#include <unistd.h>

#include "orchestrator/core/sha256.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/wide_view.h"

namespace headroom {
namespace {

using sqlite::Statement;

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// Runs `body`, turning SQLite and other exceptions into Error values.
template <typename Body>
auto guarded(const std::string& what, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const sqlite::SqliteError& error) {
    if (error.code == SQLITE_BUSY || error.code == SQLITE_LOCKED) {
      return Error::busy(what + ": the database is busy: " + error.what());
    }
    if (error.code == SQLITE_CORRUPT || error.code == SQLITE_NOTADB) {
      return Error::corrupt(what + ": " + error.what());
    }
    return Error::io(what + ": " + error.what());
  } catch (const std::exception& error) {
    return Error::io(what + ": " + error.what());
  }
}

const char* kSweepColumns =
    "id, name, spec_text, spec_hash, spec_path, runs_root, created_at, metric, goal, state, "
    "orchestrator_host, orchestrator_pid";

SweepRecord read_sweep(const Statement& row) {
  SweepRecord sweep;
  sweep.id = row.integer(0);
  sweep.name = row.text(1);
  sweep.spec_text = row.text(2);
  sweep.spec_hash = row.text(3);
  sweep.spec_path = row.text(4);
  sweep.runs_root = row.text(5);
  sweep.created_at = row.real(6);
  if (!row.is_null(7)) sweep.metric = row.text(7);
  if (!row.is_null(8)) sweep.goal = row.text(8);
  sweep.state = row.text(9);
  if (!row.is_null(10)) sweep.orchestrator_host = row.text(10);
  sweep.orchestrator_pid = row.optional_integer(11);
  return sweep;
}

const char* kCellColumns =
    "id, sweep_id, ordinal, hash, parameters, config, state, parameter_count, "
    "non_embedding_parameters, flops_per_token, estimated_flops";

CellRecord read_cell(const Statement& row) {
  CellRecord cell;
  cell.id = row.integer(0);
  cell.sweep_id = row.integer(1);
  cell.ordinal = row.integer(2);
  cell.hash = row.text(3);
  cell.parameters = nlohmann::json::parse(row.text(4));
  cell.config = nlohmann::json::parse(row.text(5));
  cell.state = row.text(6);
  cell.parameter_count = row.integer(7);
  cell.non_embedding_parameters = row.integer(8);
  cell.flops_per_token = row.real(9);
  cell.estimated_flops = row.real(10);
  return cell;
}

const char* kRunColumns =
    "id, cell_id, attempt, state, run_dir, pid, started_at, ended_at, exit_code, signal, error, "
    "end_status, events_offset, host, device, slurm_job";

RunRecord read_run(const Statement& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.cell_id = row.integer(1);
  run.attempt = int(row.integer(2));
  run.state = row.text(3);
  run.run_dir = row.text(4);
  run.pid = row.optional_integer(5);
  run.started_at = row.optional_real(6);
  run.ended_at = row.optional_real(7);
  run.exit_code = row.optional_integer(8);
  run.signal = row.optional_integer(9);
  if (!row.is_null(10)) run.error = row.text(10);
  if (!row.is_null(11)) run.end_status = row.text(11);
  run.events_offset = row.integer(12);
  if (!row.is_null(13)) run.host = row.text(13);
  if (!row.is_null(15)) run.slurm_job = row.text(15);
  if (!row.is_null(14)) run.device = row.text(14);
  return run;
}

void insert_cells(sqlite::Connection& db, int64_t sweep_id, const Expansion& expansion) {
  Statement cell(db.handle(),
                 "INSERT OR IGNORE INTO cells (sweep_id, ordinal, hash, parameters, config, "
                 "parameter_count, non_embedding_parameters, flops_per_token, estimated_flops, "
                 "head_size) "
                 "VALUES (?, (SELECT coalesce(max(ordinal) + 1, 0) FROM cells WHERE sweep_id = ?), "
                 "?, ?, ?, ?, ?, ?, ?, ?)");
  Statement parameter(db.handle(),
                      "INSERT OR IGNORE INTO cell_parameters (cell_id, name, value) VALUES (?, ?, ?)");
  for (const auto& c : expansion.cells) {
    cell.bind(1, sweep_id).bind(2, sweep_id).bind(3, c.hash).bind(4, c.parameters.dump());
    cell.bind(5, c.config.dump()).bind(6, c.size.parameters).bind(7, c.size.non_embedding_parameters);
    cell.bind(8, c.size.training_flops_per_token).bind(9, c.estimated_training_flops);
    cell.bind_json(10, c.config.value("head_size", nlohmann::json()));
    cell.run();
    if (sqlite3_changes(db.handle()) == 0) continue;  // already in the sweep
    int64_t cell_id = db.last_insert_id();
    for (const auto& [name, value] : c.parameters.items()) {
      parameter.bind(1, cell_id).bind(2, name).bind_json(3, value);
      parameter.run();
    }
  }
}

// A run's summary of one metric over a batch of points, folded in memory so
// a batch costs one upsert per metric instead of one per point.
struct SummaryFold {
  int64_t last_step = 0;
  std::optional<double> last_value;
  std::optional<double> min, max;
  bool empty = true;

  void add(int64_t step, std::optional<double> value) {
    if (empty || step >= last_step) {
      last_step = step;
      last_value = value;
    }
    empty = false;
    if (value) {
      min = min ? std::min(*min, *value) : *value;
      max = max ? std::max(*max, *value) : *value;
    }
  }
};

// Resets a cached statement when the scope that used it ends, so no
// statement keeps a read transaction open between calls.
struct ResetOnExit {
  Statement& statement;
  ~ResetOnExit() { statement.reset(); }
};

}  // namespace

Store::Store(std::unique_ptr<sqlite::Connection> connection, std::string path)
    : connection_(std::move(connection)), path_(std::move(path)) {}

Store::~Store() = default;

sqlite::Statement& Store::prepared(const std::string& sql) {
  auto& statement = statements_[sql];
  if (!statement) statement = std::make_unique<Statement>(connection_->handle(), sql);
  statement->reset();
  return *statement;
}

Result<std::unique_ptr<Store>> Store::open_for_writing(const std::string& path) {
  return guarded("database '" + path + "'", [&]() -> Result<std::unique_ptr<Store>> {
    auto connection =
        std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::read_write_create);
    connection->execute("PRAGMA journal_mode = WAL");
    // NORMAL in WAL mode loses no committed transaction on a process crash,
    // only possibly the last ones on power loss.
    connection->execute("PRAGMA synchronous = NORMAL");
    connection->execute("PRAGMA foreign_keys = ON");
    // 64 MB of page cache: ingestion touches the right edge of large B-trees.
    connection->execute("PRAGMA cache_size = -65536");
    migrate(*connection, path);
    {
      sqlite::Transaction transaction(*connection);
      refresh_wide_view(*connection);
      transaction.commit();
    }
    return std::unique_ptr<Store>(new Store(std::move(connection), path));
  });
}

Result<std::unique_ptr<Store>> Store::open_read_only(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Error::invalid("no database at '" + path + "': run a sweep first, or pass --db");
  }
  return guarded("database '" + path + "'", [&]() -> Result<std::unique_ptr<Store>> {
    auto connection = std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::read_only);
    // A second guard beside the read-only open: no statement may write.
    connection->execute("PRAGMA query_only = ON");
    int version = check_schema(*connection, path);
    if (version < latest_schema_version()) {
      return Error::invalid("database '" + path + "' has schema version " + std::to_string(version) +
                            ", this headroom reads version " +
                            std::to_string(latest_schema_version()) + ": run 'headroom db migrate'");
    }
    return std::unique_ptr<Store>(new Store(std::move(connection), path));
  });
}

Result<SweepRecord> Store::register_sweep(const SweepSpec& spec, const Expansion& expansion,
                                          const std::string& runs_root, bool extend) {
  return guarded("registering sweep '" + spec.name + "'", [&]() -> Result<SweepRecord> {
    std::string spec_hash = sha256_hex(spec.text);
    sqlite::Transaction transaction(*connection_);
    Statement find(connection_->handle(),
                   std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE name = ?");
    find.bind(1, spec.name);
    int64_t sweep_id = 0;
    if (find.step()) {
      SweepRecord existing = read_sweep(find);
      // A comment or layout edit is not a change; the stored text is still updated below.
      const std::string content = spec_content_key(spec.text);
      const bool same_content = existing.spec_hash == spec_hash ||
                                (!content.empty() && content == spec_content_key(existing.spec_text));
      if (!same_content && !extend) {
        return Error::invalid("sweep '" + spec.name + "' already exists with a different spec (from '" +
                                  existing.spec_path +
                                  "'); pass --extend to add the new cells and keep finished ones, "
                                  "or give the sweep another name",
                              {spec.file});
      }
      sweep_id = existing.id;
      if (existing.spec_hash != spec_hash) {
        Statement update(connection_->handle(),
                         "UPDATE sweeps SET spec_text = ?, spec_hash = ?, spec_path = ? WHERE id = ?");
        update.bind(1, spec.text).bind(2, spec_hash).bind(3, spec.file).bind(4, sweep_id);
        update.run();
      }
    } else {
      Statement insert(connection_->handle(),
                       "INSERT INTO sweeps (name, spec_text, spec_hash, spec_path, runs_root, "
                       "created_at, metric, goal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, spec.name).bind(2, spec.text).bind(3, spec_hash).bind(4, spec.file);
      insert.bind(5, runs_root).bind(6, now_seconds());
      if (spec.metric) {
        insert.bind(7, spec.metric->name).bind(8, spec.metric->goal);
      } else {
        insert.bind(7, nullptr).bind(8, nullptr);
      }
      insert.run();
      sweep_id = connection_->last_insert_id();
    }
    insert_cells(*connection_, sweep_id, expansion);
    refresh_wide_view(*connection_);
    find.reset();
    find.bind(1, spec.name);
    find.step();
    SweepRecord stored = read_sweep(find);
    find.reset();
    transaction.commit();
    return stored;
  });
}

Result<std::optional<SweepRecord>> Store::find_sweep(const std::string& name) {
  return guarded("reading sweeps", [&]() -> Result<std::optional<SweepRecord>> {
    Statement find(connection_->handle(),
                   std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE name = ?");
    find.bind(1, name);
    if (!find.step()) return std::optional<SweepRecord>();
    return std::optional<SweepRecord>(read_sweep(find));
  });
}

Result<std::vector<SweepRecord>> Store::sweeps() {
  return guarded("reading sweeps", [&]() -> Result<std::vector<SweepRecord>> {
    Statement all(connection_->handle(),
                  std::string("SELECT ") + kSweepColumns + " FROM sweeps ORDER BY id");
    std::vector<SweepRecord> result;
    while (all.step()) result.push_back(read_sweep(all));
    return result;
  });
}

Result<std::vector<CellRecord>> Store::cells(int64_t sweep_id, const std::string& state) {
  return guarded("reading cells", [&]() -> Result<std::vector<CellRecord>> {
    Statement query(connection_->handle(),
                    std::string("SELECT ") + kCellColumns +
                        " FROM cells WHERE sweep_id = ? AND (? = '' OR state = ?) ORDER BY ordinal");
    query.bind(1, sweep_id).bind(2, state).bind(3, state);
    std::vector<CellRecord> result;
    while (query.step()) result.push_back(read_cell(query));
    return result;
  });
}

Result<RunRecord> Store::begin_attempt(const SweepRecord& sweep, const CellRecord& cell) {
  return guarded("starting an attempt", [&]() -> Result<RunRecord> {
    sqlite::Transaction transaction(*connection_);
    Statement& next = prepared("SELECT coalesce(max(attempt), 0) + 1 FROM runs WHERE cell_id = ?");
    ResetOnExit next_reset{next};
    next.bind(1, cell.id);
    next.step();
    int attempt = int(next.integer(0));
    next.reset();
    std::string run_dir = (std::filesystem::path(sweep.runs_root) / sweep.name /
                           cell.hash.substr(0, 12) / std::to_string(attempt))
                              .string();
    Statement& insert = prepared("INSERT INTO runs (cell_id, attempt, state, run_dir, started_at) "
                     "VALUES (?, ?, 'starting', ?, ?)");
    ResetOnExit insert_reset{insert};
    insert.bind(1, cell.id).bind(2, attempt).bind(3, run_dir).bind(4, now_seconds());
    insert.run();
    int64_t run_id = connection_->last_insert_id();
    Statement& update = prepared("UPDATE cells SET state = 'running' WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, cell.id);
    update.run();
    transaction.commit();
    RunRecord run;
    run.id = run_id;
    run.cell_id = cell.id;
    run.attempt = attempt;
    run.state = "starting";
    run.run_dir = run_dir;
    return run;
  });
}

Status Store::mark_running(int64_t run_id, int64_t pid, const std::string& host, const std::string& device) {
  return guarded("recording a worker", [&]() -> Status {
    Statement& update = prepared("UPDATE runs SET state = 'running', pid = ?, host = ?, device = nullif(?, '') WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, pid).bind(2, host).bind(3, device).bind(4, run_id);
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
    Statement& update = prepared("UPDATE runs SET state = 'running', host = nullif(?, ''), "
                                 "device = coalesce(device, 'slurm') WHERE id = ? AND state = 'starting'");
    ResetOnExit update_reset{update};
    update.bind(1, node).bind(2, run_id);
    update.run();
    return Ok{};
  });
}

Status Store::finish_run(int64_t run_id, const RunEnd& end, const std::string& cell_state) {
  return guarded("finishing a run", [&]() -> Status {
    sqlite::Transaction transaction(*connection_);
    Statement& update = prepared("UPDATE runs SET state = ?, exit_code = ?, signal = ?, "
                     "error = coalesce(?, error), ended_at = ? WHERE id = ?");
    ResetOnExit update_reset{update};
    update.bind(1, end.state).bind(2, end.exit_code).bind(3, end.signal).bind(4, end.error);
    update.bind(5, now_seconds()).bind(6, run_id);
    update.run();
    Statement& cell = prepared("UPDATE cells SET state = CASE WHEN state = 'cancelled' AND ?1 != 'succeeded' "
                   "THEN 'cancelled' ELSE ?1 END WHERE id = (SELECT cell_id FROM runs WHERE id = ?2)");
    ResetOnExit cell_reset{cell};
    cell.bind(1, cell_state).bind(2, run_id);
    cell.run();
    transaction.commit();
    return Ok{};
  });
}

Result<std::vector<RunRecord>> Store::cancel_cells(int64_t sweep_id, const std::string& cell_prefix) {
  return guarded("cancelling cells", [&]() -> Result<std::vector<RunRecord>> {
    sqlite::Transaction transaction(*connection_);
    Statement matching(connection_->handle(),
                       "SELECT count(*) FROM cells WHERE sweep_id = ? AND substr(hash, 1, length(?2)) = ?2");
    matching.bind(1, sweep_id).bind(2, cell_prefix);
    matching.step();
    if (matching.integer(0) == 0) {
      return Error::invalid("no cell of this sweep has a hash starting with '" + cell_prefix + "'");
    }
    matching.reset();
    Statement cancel(connection_->handle(),
                     "UPDATE cells SET state = 'cancelled' WHERE sweep_id = ? AND substr(hash, 1, length(?2)) = ?2 "
                     "AND state IN ('pending', 'running')");
    cancel.bind(1, sweep_id).bind(2, cell_prefix);
    cancel.run();
    Statement running(connection_->handle(),
                      std::string("SELECT ") + kRunColumns +
                          " FROM runs WHERE state IN ('starting', 'running') AND cell_id IN (SELECT id FROM cells "
                          "WHERE sweep_id = ? AND state = 'cancelled') ORDER BY id");
    running.bind(1, sweep_id);
    std::vector<RunRecord> runs;
    while (running.step()) runs.push_back(read_run(running));
    running.reset();
    transaction.commit();
    return runs;
  });
}

Result<int64_t> Store::reopen_cancelled_cells(int64_t sweep_id) {
  return guarded("reopening cancelled cells", [&]() -> Result<int64_t> {
    Statement reopen(connection_->handle(),
                     "UPDATE cells SET state = 'pending' WHERE sweep_id = ? AND state = 'cancelled' AND id NOT IN "
                     "(SELECT cell_id FROM runs WHERE state IN ('starting', 'running'))");
    reopen.bind(1, sweep_id);
    reopen.run();
    return int64_t(sqlite3_changes(connection_->handle()));
  });
}

Result<std::vector<RunRecord>> Store::active_runs(int64_t sweep_id) {
  return guarded("reading runs", [&]() -> Result<std::vector<RunRecord>> {
    Statement query(connection_->handle(),
                    std::string("SELECT ") + kRunColumns +
                        " FROM runs WHERE state IN ('starting', 'running') AND cell_id IN "
                        "(SELECT id FROM cells WHERE sweep_id = ?) ORDER BY id");
    query.bind(1, sweep_id);
    std::vector<RunRecord> result;
    while (query.step()) result.push_back(read_run(query));
    return result;
  });
}

Result<std::vector<RunRecord>> Store::runs_of_cell(int64_t cell_id) {
  return guarded("reading runs", [&]() -> Result<std::vector<RunRecord>> {
    Statement& query = prepared(std::string("SELECT ") + kRunColumns +
                                               " FROM runs WHERE cell_id = ? ORDER BY attempt");
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

Result<CellRecord> Store::cell(int64_t cell_id) {
  return guarded("reading a cell", [&]() -> Result<CellRecord> {
    Statement& query = prepared(std::string("SELECT ") + kCellColumns + " FROM cells WHERE id = ?");
    ResetOnExit query_reset{query};
    query.bind(1, cell_id);
    if (!query.step()) return Error::invalid("no cell with id " + std::to_string(cell_id));
    return read_cell(query);
  });
}

Result<SweepRecord> Store::sweep(int64_t sweep_id) {
  return guarded("reading a sweep", [&]() -> Result<SweepRecord> {
    Statement query(connection_->handle(), std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE id = ?");
    query.bind(1, sweep_id);
    if (!query.step()) return Error::invalid("no sweep with id " + std::to_string(sweep_id));
    return read_sweep(query);
  });
}

Status Store::apply_events(int64_t run_id, const std::vector<nlohmann::json>& events, int64_t new_offset) {
  EventBatch batch;
  for (const auto& event : events) {
    const std::string kind = event.value("event", "");
    if (kind != "metric" && kind != "eval") {
      batch.others.push_back(event);
      continue;
    }
    auto values = event.find("values");
    if (values == event.end() || !values->is_object()) continue;
    for (auto it = values->begin(); it != values->end(); ++it) {
      if (!it.value().is_number() && !it.value().is_null()) continue;
      batch.points.push_back({event.value("step", int64_t(0)), event.value("time", 0.0), batch.name_index(it.key()),
                              it.value().is_number() ? std::optional<double>(it.value().get<double>()) : std::nullopt});
    }
  }
  return apply_events(run_id, batch, new_offset);
}

Status Store::apply_events(int64_t run_id, const EventBatch& batch, int64_t new_offset) {
  return guarded("ingesting events of run " + std::to_string(run_id), [&]() -> Status {
    // A rolled-back transaction takes newly interned metric names with it.
    struct ForgetNewIdsOnFailure {
      std::map<std::string, int64_t>& ids;
      size_t known;
      bool committed = false;
      ~ForgetNewIdsOnFailure() {
        if (!committed && ids.size() != known) ids.clear();
      }
    } forget{metric_ids_, metric_ids_.size()};
    // Every point would otherwise cost two foreign-key lookups (its run, its
    // name): a third of ingestion. The run is checked once below and the
    // name ids come from metric_id() in this transaction, so the keys hold.
    // (The pragma is a no-op inside a transaction: set it before BEGIN.)
    connection_->execute("PRAGMA foreign_keys = OFF");
    struct RestoreForeignKeys {
      sqlite::Connection& connection;
      ~RestoreForeignKeys() { sqlite3_exec(connection.handle(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr); }
    } restore{*connection_};
    sqlite::Transaction transaction(*connection_);
    {
      Statement& exists = prepared("SELECT 1 FROM runs WHERE id = ?");
      ResetOnExit exists_reset{exists};
      exists.bind(1, run_id);
      if (!exists.step()) return Error::internal("no run " + std::to_string(run_id) + " to ingest events into");
    }
    Statement& metric = prepared("INSERT OR REPLACE INTO metrics (run_id, metric_id, step, value, time) "
                                 "VALUES (?, ?, ?, ?, ?)");
    ResetOnExit metric_reset{metric};
    std::vector<int64_t> ids;
    for (const auto& name : batch.names) ids.push_back(metric_id(name));
    std::vector<SummaryFold> folds(batch.names.size());
    for (const auto& point : batch.points) {
      metric.bind(1, run_id).bind(2, ids[point.name]).bind(3, point.step).bind(4, point.value).bind(5, point.time);
      metric.run();
      folds[point.name].add(point.step, point.value);
    }
    Statement& summary = prepared(
        "INSERT INTO summaries (run_id, name, last_step, last_value, min_value, max_value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (run_id, name) DO UPDATE SET "
        "last_value = CASE WHEN excluded.last_step >= last_step "
        "  THEN excluded.last_value ELSE last_value END, "
        "last_step = max(last_step, excluded.last_step), "
        "min_value = coalesce(min(min_value, excluded.min_value), min_value, excluded.min_value), "
        "max_value = coalesce(max(max_value, excluded.max_value), max_value, excluded.max_value)");
    ResetOnExit summary_reset{summary};
    for (size_t i = 0; i < folds.size(); ++i) {
      const SummaryFold& fold = folds[i];
      if (fold.empty) continue;
      summary.bind(1, run_id).bind(2, batch.names[i]).bind(3, fold.last_step).bind(4, fold.last_value);
      summary.bind(5, fold.min).bind(6, fold.max);
      summary.run();
    }
    for (const auto& event : batch.others) {
      const std::string kind = event.value("event", "");
      if (kind == "start") {
        Statement& start = prepared("UPDATE runs SET start_info = ?1, device = CASE WHEN device LIKE 'gpu:%' "
                                    "THEN device || ' (' || ?2 || ')' ELSE ?2 END WHERE id = ?3");
        ResetOnExit start_reset{start};
        start.bind(1, event.dump()).bind(2, event.value("device", "")).bind(3, run_id);
        start.run();
      } else if (kind == "end") {
        Statement& end = prepared("UPDATE runs SET end_status = ?, error = coalesce(?, error) WHERE id = ?");
        ResetOnExit end_reset{end};
        end.bind(1, event.value("status", "unknown"));
        if (event.contains("error") && event["error"].is_string()) {
          end.bind(2, event["error"].get<std::string>());
        } else {
          end.bind(2, nullptr);
        }
        end.bind(3, run_id);
        end.run();
      }
    }
    Statement& offset = prepared("UPDATE runs SET events_offset = ? WHERE id = ?");
    ResetOnExit offset_reset{offset};
    offset.bind(1, new_offset).bind(2, run_id);
    offset.run();
    transaction.commit();
    forget.committed = true;
    return Ok{};
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> Store::cell_state_counts(int64_t sweep_id) {
  return guarded("counting cells", [&]() -> Result<std::vector<std::pair<std::string, int64_t>>> {
    std::vector<std::pair<std::string, int64_t>> counts = {
        {"pending", 0}, {"running", 0}, {"succeeded", 0}, {"failed", 0}, {"cancelled", 0}};
    Statement query(connection_->handle(),
                    "SELECT state, count(*) FROM cells WHERE sweep_id = ? GROUP BY state");
    query.bind(1, sweep_id);
    while (query.step()) {
      for (auto& [state, count] : counts) {
        if (state == query.text(0)) count = query.integer(1);
      }
    }
    return counts;
  });
}

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

int64_t Store::metric_id(const std::string& name) {
  auto known = metric_ids_.find(name);
  if (known != metric_ids_.end()) return known->second;
  Statement& find = prepared("SELECT id FROM metric_names WHERE name = ?");
  ResetOnExit find_reset{find};
  find.bind(1, name);
  int64_t id;
  if (find.step()) {
    id = find.integer(0);
  } else {
    Statement& insert = prepared("INSERT INTO metric_names (name) VALUES (?)");
    ResetOnExit insert_reset{insert};
    insert.bind(1, name);
    insert.run();
    id = connection_->last_insert_id();
    refresh_wide_view(*connection_);  // a new column
  }
  metric_ids_.emplace(name, id);
  return id;
}

Status Store::set_sweep_state(int64_t sweep_id, const std::string& state) {
  return guarded("recording the sweep's state", [&]() -> Status {
    Statement update(connection_->handle(),
                     "UPDATE sweeps SET state = ?1, orchestrator_host = CASE WHEN ?1 = 'running' "
                     "THEN ?2 END, orchestrator_pid = CASE WHEN ?1 = 'running' THEN ?3 END "
                     "WHERE id = ?4");
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    update.bind(1, state).bind(2, std::string(host)).bind(3, int64_t(::getpid())).bind(4, sweep_id);
    update.run();
    return Ok{};
  });
}

Result<std::vector<std::string>> Store::parameter_names(int64_t sweep_id) {
  return guarded("reading parameter names", [&]() -> Result<std::vector<std::string>> {
    Statement query(connection_->handle(),
                    "SELECT DISTINCT name FROM cell_parameters WHERE cell_id IN "
                    "(SELECT id FROM cells WHERE sweep_id = ?) ORDER BY name");
    query.bind(1, sweep_id);
    std::vector<std::string> names;
    while (query.step()) names.push_back(query.text(0));
    return names;
  });
}

Result<std::vector<std::string>> Store::wide_columns() {
  return guarded("reading the runs_wide view", [&]() -> Result<std::vector<std::string>> {
    Statement query(connection_->handle(), "SELECT name FROM pragma_table_info('runs_wide')");
    std::vector<std::string> names;
    while (query.step()) names.push_back(query.text(0));
    return names;
  });
}

namespace {

int deny_attach(void*, int action, const char*, const char*, const char*, const char*) {
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

MetricPoint read_point(const Statement& row, int first) {
  return MetricPoint{row.integer(first), row.optional_real(first + 1), row.real(first + 2)};
}

}  // namespace

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

Result<Table> Store::select(const std::string& sql, const std::vector<nlohmann::json>& bindings) {
  return guarded("query", [&]() -> Result<Table> {
    const char* rest = nullptr;
    sqlite3_stmt* raw = nullptr;
    // ATTACH counts as read-only for SQLite, yet it can create a file: refuse it.
    sqlite3_set_authorizer(connection_->handle(), deny_attach, nullptr);
    int code = sqlite3_prepare_v2(connection_->handle(), sql.c_str(), int(sql.size()), &raw, &rest);
    sqlite3_set_authorizer(connection_->handle(), nullptr, nullptr);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    if (code != SQLITE_OK) return Error::invalid(std::string("SQL error: ") + sqlite3_errmsg(connection_->handle()));
    if (!statement) return Error::invalid("the query is empty");
    sqlite3_stmt* next = nullptr;  // stays null when only spaces and comments follow
    int next_code = sqlite3_prepare_v2(connection_->handle(), rest, -1, &next, nullptr);
    if (next || next_code != SQLITE_OK) {
      sqlite3_finalize(next);
      return Error::invalid("only one statement at a time: remove the text after the first ';'");
    }
    if (!sqlite3_stmt_readonly(statement.get())) {
      return Error::invalid("the query would change the database; headroom query is read-only");
    }
    statement.reset();
    Statement query(connection_->handle(), sql);
    for (size_t i = 0; i < bindings.size(); ++i) query.bind_json(int(i + 1), bindings[i]);
    Table table;
    for (int column = 0; column < query.column_count(); ++column) {
      table.columns.push_back(query.column_name(column));
    }
    while (query.step()) {
      std::vector<nlohmann::json> row;
      for (int column = 0; column < query.column_count(); ++column) row.push_back(query.json_value(column));
      table.rows.push_back(std::move(row));
    }
    return table;
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

Result<int> Store::schema_version() {
  return guarded("reading the schema version", [&]() -> Result<int> {
    Statement query(connection_->handle(), "PRAGMA user_version");
    query.step();
    return int(query.integer(0));
  });
}

}  // namespace headroom
