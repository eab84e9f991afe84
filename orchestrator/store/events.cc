// Store: what ingestion read from a run's events.
#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

namespace {

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

}  // namespace

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
    if (batch.start) {
      // A device the scheduler chose ("gpu:0") keeps its label, with the worker's own name for it added.
      Statement& start = prepared("UPDATE runs SET start_info = ?1, device = CASE WHEN device LIKE 'gpu:%' "
                                  "THEN device || ' (' || ?2 || ')' ELSE ?2 END WHERE id = ?3");
      ResetOnExit start_reset{start};
      start.bind(1, batch.start->line).bind(2, batch.start->device).bind(3, run_id);
      start.run();
    }
    if (batch.end) {
      Statement& end = prepared("UPDATE runs SET end_status = ?, error = coalesce(?, error) WHERE id = ?");
      ResetOnExit end_reset{end};
      end.bind(1, batch.end->status).bind(2, batch.end->error).bind(3, run_id);
      end.run();
    }
    Statement& offset = prepared("UPDATE runs SET events_offset = ?1, rejected_lines = rejected_lines + ?2, "
                                 "event_problem = coalesce(event_problem, ?3) WHERE id = ?4");
    ResetOnExit offset_reset{offset};
    offset.bind(1, new_offset).bind(2, batch.rejected_lines).bind(3, batch.problem).bind(4, run_id);
    offset.run();
    transaction.commit();
    forget.committed = true;
    return Ok{};
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
  }
  metric_ids_.emplace(name, id);
  return id;
}

}  // namespace headroom
