// Store: sweeps and their cells.
#include <unistd.h>

#include <map>
#include <set>

#include "orchestrator/core/sha256.h"
#include "orchestrator/store/rows.h"
#include "orchestrator/store/store.h"
#include "trainer/config.h"

namespace headroom {

using sqlite::Statement;
using namespace store_rows;

namespace {

// The sweep's trainer cells stored before a setting existed, by the hash the
// same cell has today (cell_hash counts a missing setting at its default; the
// stored hash, which names the cell's run folders, stays): extending an old
// sweep then finds its finished cells instead of adding them again.
std::map<std::string, int64_t> cells_stored_under_older_hashes(sqlite::Connection& db, int64_t sweep_id) {
  std::map<std::string, int64_t> ids;
  // Only a config with fewer settings than the trainer has can hash differently today.
  Statement stored(db.handle(),
                   "SELECT id, hash, config FROM cells WHERE sweep_id = ? AND worker IS NULL "
                   "AND (SELECT count(*) FROM json_each(config)) < ?");
  stored.bind(1, sweep_id).bind(2, int64_t(trainer::config_keys().size()));
  while (stored.step()) {
    std::string today = cell_hash(nlohmann::json::parse(stored.text(2)));
    if (today != stored.text(1)) ids.emplace(std::move(today), stored.integer(0));
  }
  return ids;
}

// `older_known`: cells_stored_under_older_hashes of the sweep, when the caller has it.
void insert_cells(sqlite::Connection& db, int64_t sweep_id, const Expansion& expansion,
                  const std::map<std::string, int64_t>* older_known = nullptr) {
  const std::map<std::string, int64_t> older =
      older_known ? *older_known : cells_stored_under_older_hashes(db, sweep_id);
  Statement cell(db.handle(),
                 "INSERT OR IGNORE INTO cells (sweep_id, ordinal, hash, parameters, config, resources, "
                 "parameter_count, non_embedding_parameters, flops_per_token, estimated_flops, "
                 "head_size, worker, search_group, search_role) "
                 "VALUES (?, (SELECT coalesce(max(ordinal) + 1, 0) FROM cells WHERE sweep_id = ?), "
                 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  Statement parameter(db.handle(),
                      "INSERT OR IGNORE INTO cell_parameters (cell_id, name, value) VALUES (?, ?, ?)");
  Statement setting(db.handle(), "INSERT OR IGNORE INTO setting_names (sweep_id, name) VALUES (?, ?)");
  std::set<std::string> settings;
  for (const auto& c : expansion.cells) {
    for (const auto& [name, value] : c.config.items()) settings.insert(name);
  }
  for (const auto& name : settings) {
    setting.bind(1, sweep_id).bind(2, name);
    setting.run();
  }
  for (const auto& c : expansion.cells) {
    if (older.count(c.hash)) continue;  // already in the sweep, under the hash it was stored with
    cell.bind(1, sweep_id).bind(2, sweep_id).bind(3, c.hash).bind(4, c.parameters.dump());
    cell.bind(5, c.config.dump()).bind(6, to_json(c.resources).dump());
    cell.bind(7, c.size.parameters).bind(8, c.size.non_embedding_parameters);
    cell.bind(9, c.size.training_flops_per_token).bind(10, c.estimated_training_flops);
    // A program's parameter named head_size is not the trainer's.
    cell.bind_json(11, c.worker.is_null() ? c.config.value("head_size", nlohmann::json()) : nlohmann::json());
    if (c.worker.is_null()) cell.bind(12, nullptr);
    else cell.bind(12, c.worker.dump());
    cell.bind(13, c.search_group.empty() ? std::optional<std::string>() : c.search_group);
    cell.bind(14, c.search_role.empty() ? std::optional<std::string>() : c.search_role);
    cell.run();
    if (sqlite3_changes(db.handle()) == 0) continue;  // already in the sweep
    int64_t cell_id = db.last_insert_id();
    for (const auto& [name, value] : c.parameters.items()) {
      parameter.bind(1, cell_id).bind(2, name).bind_json(3, value);
      parameter.run();
    }
  }
}

}  // namespace

Result<SweepRecord> Store::register_sweep(const SweepSpec& spec, const Expansion& expansion,
                                          const std::string& runs_root, bool extend) {
  return guarded("registering sweep '" + spec.name + "'", [&]() -> Result<SweepRecord> {
    std::string spec_hash = sha256_hex(spec.text);
    sqlite::Transaction transaction(*connection_);
    Statement find(connection_->handle(), std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE name = ?");
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
                       "created_at, metric, goal, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, spec.name).bind(2, spec.text).bind(3, spec_hash).bind(4, spec.file);
      insert.bind(5, runs_root).bind(6, now_seconds());
      if (spec.metric) {
        insert.bind(7, spec.metric->name).bind(8, spec.metric->goal);
      } else {
        insert.bind(7, nullptr).bind(8, nullptr);
      }
      insert.bind(9, std::string(to_string(SweepState::registered)));
      insert.run();
      sweep_id = connection_->last_insert_id();
    }
    insert_cells(*connection_, sweep_id, expansion);
    find.reset();
    find.bind(1, spec.name);
    find.step();
    SweepRecord stored = read_sweep(find);
    find.reset();
    transaction.commit();
    return stored;
  });
}

Result<std::pair<std::optional<int64_t>, bool>> Store::add_proposal(int64_t sweep_id, const ProposalRecord& proposal,
                                                                      const Cell* cell) {
  using Added = std::pair<std::optional<int64_t>, bool>;
  return guarded("recording a proposal", [&]() -> Result<Added> {
    sqlite::Transaction transaction(*connection_);
    Added added{std::nullopt, false};
    if (cell) {
      Statement find(connection_->handle(), "SELECT id FROM cells WHERE sweep_id = ? AND hash = ?");
      find.bind(1, sweep_id).bind(2, cell->hash);
      if (find.step()) {
        added.first = find.integer(0);
      } else if (auto older = cells_stored_under_older_hashes(*connection_, sweep_id); older.count(cell->hash)) {
        added.first = older.at(cell->hash);
      } else {
        Expansion one;
        one.cells.push_back(*cell);
        insert_cells(*connection_, sweep_id, one, &older);
        find.reset();
        find.bind(1, sweep_id).bind(2, cell->hash);
        if (!find.step()) return Error::internal("the proposal's cell was not recorded");
        added.first = find.integer(0);
        added.second = true;
      }
    }
    Statement insert(connection_->handle(),
                     "INSERT INTO proposals (sweep_id, idx, cell_id, parameters, sampler, trials_seen, excluded, "
                     "created_at, search_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, sweep_id).bind(2, proposal.index).bind(3, added.first).bind(4, proposal.parameters.dump());
    insert.bind(5, proposal.sampler.dump()).bind(6, proposal.trials_seen).bind(7, proposal.excluded);
    insert.bind(8, now_seconds()).bind(9, proposal.search_group);
    insert.run();
    transaction.commit();
    return added;
  });
}

Result<int64_t> Store::add_cells(int64_t sweep_id, const std::vector<Cell>& cells) {
  return guarded("adding cells", [&]() -> Result<int64_t> {
    sqlite::Transaction transaction(*connection_);
    Statement count(connection_->handle(), "SELECT count(*) FROM cells WHERE sweep_id = ?");
    count.bind(1, sweep_id);
    count.step();
    const int64_t before = count.integer(0);
    count.reset();
    Expansion expansion;
    expansion.cells = cells;
    insert_cells(*connection_, sweep_id, expansion);
    count.bind(1, sweep_id);
    count.step();
    const int64_t added = count.integer(0) - before;
    count.reset();
    transaction.commit();
    return added;
  });
}

Result<std::vector<SearchTrial>> Store::search_trials(int64_t sweep_id, const std::string& search_group,
                                                      const std::string& metric) {
  return guarded("reading the search's trials", [&]() -> Result<std::vector<SearchTrial>> {
    Statement query(connection_->handle(), R"sql(
      SELECT p.idx, p.parameters, p.sampler, p.cell_id, c.state,
             (SELECT s.last_value FROM runs r JOIN summaries s ON s.run_id = r.id AND s.name = ?1
               WHERE r.cell_id = c.id AND r.state IN (?2, ?3) ORDER BY r.attempt DESC LIMIT 1)
        FROM proposals p LEFT JOIN cells c ON c.id = p.cell_id
       WHERE p.sweep_id = ?4 AND p.search_group = ?5 ORDER BY p.idx)sql");
    query.bind(1, metric).bind(2, std::string(to_string(RunState::succeeded)));
    query.bind(3, std::string(to_string(RunState::stopped_early))).bind(4, sweep_id).bind(5, search_group);
    std::vector<SearchTrial> trials;
    while (query.step()) {
      SearchTrial trial;
      trial.index = query.integer(0);
      trial.parameters = nlohmann::json::parse(query.text(1));
      trial.sampler = nlohmann::json::parse(query.text(2), nullptr, false);
      if (!query.is_null(3)) {
        trial.cell_id = query.integer(3);
        trial.cell_state = parse_cell_state(query.text(4));
      }
      if (!query.is_null(5)) trial.value = query.real(5);
      trials.push_back(std::move(trial));
    }
    return trials;
  });
}

Result<std::optional<SweepRecord>> Store::find_sweep(const std::string& name) {
  return guarded("reading sweeps", [&]() -> Result<std::optional<SweepRecord>> {
    Statement find(connection_->handle(), std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE name = ?");
    find.bind(1, name);
    if (!find.step()) return std::optional<SweepRecord>();
    return std::optional<SweepRecord>(read_sweep(find));
  });
}

Result<std::vector<SweepRecord>> Store::sweeps() {
  return guarded("reading sweeps", [&]() -> Result<std::vector<SweepRecord>> {
    Statement all(connection_->handle(), std::string("SELECT ") + kSweepColumns + " FROM sweeps ORDER BY id");
    std::vector<SweepRecord> result;
    while (all.step()) result.push_back(read_sweep(all));
    return result;
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

Status Store::set_sweep_state(int64_t sweep_id, SweepState state) {
  return guarded("recording the sweep's state", [&]() -> Status {
    // The orchestrator's host and pid are kept only while it drives the sweep.
    Statement update(connection_->handle(),
                     "UPDATE sweeps SET state = ?1, orchestrator_host = CASE WHEN ?5 THEN ?2 END, "
                     "orchestrator_pid = CASE WHEN ?5 THEN ?3 END WHERE id = ?4");
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    update.bind(1, std::string(to_string(state))).bind(2, std::string(host)).bind(3, int64_t(::getpid()));
    update.bind(4, sweep_id).bind(5, int64_t(state == SweepState::running));
    update.run();
    return Ok{};
  });
}

Result<std::vector<CellRecord>> Store::cells(int64_t sweep_id, std::optional<CellState> state) {
  return guarded("reading cells", [&]() -> Result<std::vector<CellRecord>> {
    Statement query(connection_->handle(),
                    std::string("SELECT ") + kCellColumns +
                        " FROM cells WHERE sweep_id = ? AND (?2 IS NULL OR state = ?2) ORDER BY ordinal");
    query.bind(1, sweep_id);
    if (state) {
      query.bind(2, std::string(to_string(*state)));
    } else {
      query.bind(2, nullptr);
    }
    std::vector<CellRecord> result;
    while (query.step()) result.push_back(read_cell(query));
    return result;
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

Result<std::vector<CellRecord>> Store::cells_with_hash_prefix(const std::string& prefix,
                                                             std::optional<int64_t> sweep_id, int64_t limit) {
  return guarded("finding cells", [&]() -> Result<std::vector<CellRecord>> {
    // substr, not LIKE: a prefix with % or _ must match only itself.
    Statement query(connection_->handle(),
                    std::string("SELECT ") + kCellColumns +
                        " FROM cells WHERE substr(hash, 1, length(?1)) = ?1 AND (?2 IS NULL OR sweep_id = ?2)"
                        " ORDER BY sweep_id, ordinal LIMIT ?3");
    query.bind(1, prefix);
    if (sweep_id) {
      query.bind(2, *sweep_id);
    } else {
      query.bind(2, nullptr);
    }
    query.bind(3, limit);
    std::vector<CellRecord> result;
    while (query.step()) result.push_back(read_cell(query));
    return result;
  });
}

Result<std::vector<std::pair<CellState, int64_t>>> Store::cell_state_counts(int64_t sweep_id) {
  return guarded("counting cells", [&]() -> Result<std::vector<std::pair<CellState, int64_t>>> {
    std::vector<std::pair<CellState, int64_t>> counts;
    for (CellState state : all_cell_states()) counts.push_back({state, 0});
    Statement query(connection_->handle(), "SELECT state, count(*) FROM cells WHERE sweep_id = ? GROUP BY state");
    query.bind(1, sweep_id);
    while (query.step()) {
      const CellState state = cell_state(query.text(0));
      for (auto& [counted, count] : counts) {
        if (counted == state) count = query.integer(1);
      }
    }
    return counts;
  });
}

Result<std::vector<RunRecord>> Store::cancel_cells(int64_t sweep_id, const std::string& cell_prefix,
                                                   const std::vector<CellState>& cancellable) {
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
                     "UPDATE cells SET state = ?3 WHERE sweep_id = ?1 AND substr(hash, 1, length(?2)) = ?2 "
                     "AND state IN (" + sql_list(cancellable) + ")");
    cancel.bind(1, sweep_id).bind(2, cell_prefix).bind(3, std::string(to_string(CellState::cancelled)));
    cancel.run();
    Statement running(connection_->handle(),
                      std::string("SELECT ") + kRunColumns + " FROM runs WHERE state IN (" +
                          sql_list(active_run_states()) +
                          ") AND cell_id IN (SELECT id FROM cells WHERE sweep_id = ? AND state = ?) ORDER BY id");
    running.bind(1, sweep_id).bind(2, std::string(to_string(CellState::cancelled)));
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
                     "UPDATE cells SET state = ?2 WHERE sweep_id = ?1 AND state = ?3 AND id NOT IN "
                     "(SELECT cell_id FROM runs WHERE state IN (" +
                         sql_list(active_run_states()) + "))");
    reopen.bind(1, sweep_id).bind(2, std::string(to_string(CellState::pending)));
    reopen.bind(3, std::string(to_string(CellState::cancelled)));
    reopen.run();
    return int64_t(sqlite3_changes(connection_->handle()));
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

}  // namespace headroom
