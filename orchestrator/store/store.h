#pragma once
// Typed access to the results database (schema/, docs/schema.md). The store
// only stores: which state follows which (scheduler/lifecycle.h), what an
// event means (ingest/ingest.h) and where a worker runs (placement.h) are
// decided elsewhere and handed to it as typed values.
//
// A Store opened for writing belongs to the orchestrator, the database's only
// writer: it creates the file, switches it to WAL and applies migrations. A
// read-only Store (status, runs, report) never blocks that writer. Not
// thread-safe: use one Store per thread.
//
// Its implementation is split by concern: store.cc (opening, migrating, raw
// queries), sweeps.cc (sweeps and cells), attempts.cc (runs), events.cc
// (ingested events), reads.cc (curves, summaries and the reads of status,
// reports and annotations), health.cc (what `db check` inspects).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/resources.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/states.h"
#include "orchestrator/store/wide_view.h"

namespace headroom {

namespace sqlite {
class Connection;
class Statement;
}

struct SweepRecord {
  int64_t id = 0;
  std::string name;
  std::string spec_text;
  std::string spec_hash;
  std::string spec_path;
  std::string runs_root;
  double created_at = 0;
  std::optional<std::string> metric, goal;
  SweepState state = SweepState::registered;
  std::optional<std::string> orchestrator_host;
  std::optional<int64_t> orchestrator_pid;
};

struct CellRecord {
  int64_t id = 0;
  int64_t sweep_id = 0;
  int64_t ordinal = 0;
  std::string hash;
  nlohmann::json parameters;
  // The resolved trainer config, every setting named (with_trainer_defaults
  // fills in those added since it was stored); a program's cell: its settings.
  nlohmann::json config;
  CellResources resources;   // what it asks of the machine
  CellState state = CellState::pending;
  int64_t parameter_count = 0;
  int64_t non_embedding_parameters = 0;
  double flops_per_token = 0;
  double estimated_flops = 0;
  // The program a program's cell runs (program_spec.h's stored form); null: headroom-train.
  nlohmann::json worker;
  // A search inside each grid cell (scheduler/nested_search.h): the outer
  // cell's hash and "trial" or "replicate"; empty for every other cell.
  std::string search_group, search_role;
};

struct RunRecord {
  int64_t id = 0;
  int64_t cell_id = 0;
  int attempt = 0;
  RunState state = RunState::starting;
  std::string run_dir;
  std::optional<int64_t> pid;
  std::optional<double> started_at, ended_at;
  std::optional<int64_t> exit_code, signal;
  std::optional<std::string> error, end_status;
  std::optional<std::string> host, device;
  int64_t events_offset = 0;
  // "ARRAY_INDEX" for an attempt submitted to SLURM ("submitting:NAME_INDEX"
  // while sbatch runs; schema/003_slurm.sql); empty for local attempts.
  std::optional<std::string> slurm_job;
  // Event lines ingestion refused, and the first one's problem.
  int64_t rejected_lines = 0;
  std::optional<std::string> event_problem;
};

struct MetricPoint {
  int64_t step = 0;
  std::optional<double> value;  // null when the worker logged a non-finite value
  double time = 0;
};

// What one ingestion pass read from a run's events (ingest/ingest.h), ready
// to store: metric points flattened (the bulk of every events file), the
// run's latest start and end, and what was refused. A run logs a few metric
// names many times, so points refer to their name by index: no string is
// copied per point.
struct EventBatch {
  struct Point {
    int64_t step = 0;
    double time = 0;
    uint32_t name = 0;            // index into names
    std::optional<double> value;  // null when the worker logged a non-finite value
  };
  std::vector<std::string> names;
  std::vector<Point> points;
  // The last start event: its whole line (runs.start_info) and its device.
  struct Start {
    std::string line;
    std::string device;
  };
  std::optional<Start> start;
  // The last end event: its status as written and its error, if any.
  struct End {
    std::string status;
    std::optional<std::string> error;
  };
  std::optional<End> end;
  int64_t rejected_lines = 0;
  std::optional<std::string> problem;  // the first refused line's problem

  // The index of `name` in names, added on first sight.
  uint32_t name_index(std::string_view name) {
    // A scan beats hashing for the handful of names most runs log; a run
    // that logs hundreds per line must not cost names² per line.
    if (names.size() <= kScanned) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return uint32_t(i);
      }
    } else {
      auto found = index_.find(std::string(name));
      if (found != index_.end()) return found->second;
    }
    names.emplace_back(name);
    if (names.size() > kScanned) {
      if (index_.empty()) {
        for (size_t i = 0; i + 1 < names.size(); ++i) index_.emplace(names[i], uint32_t(i));
      }
      index_.emplace(names.back(), uint32_t(names.size() - 1));
    }
    return uint32_t(names.size() - 1);
  }
  // Forgets the names from index `first` on (those of a refused line).
  void drop_names_from(size_t first) {
    for (size_t i = first; i < names.size(); ++i) index_.erase(names[i]);
    names.resize(std::min(first, names.size()));
    if (names.size() <= kScanned) index_.clear();
  }

 private:
  static constexpr size_t kScanned = 16;
  std::unordered_map<std::string, uint32_t> index_;
};

struct Note {
  int64_t id = 0;
  std::optional<int64_t> sweep_id, run_id;
  std::string text;
  double created_at = 0;
};

// How an attempt ended (scheduler/lifecycle.h decides).
struct RunEnd {
  RunState state = RunState::failed;
  std::optional<int64_t> exit_code, signal;
  std::optional<std::string> error;  // recorded unless absent; the run's earlier error stays otherwise
};

// One proposal of a `method: bayes` sweep (schema/009_search.sql).
struct ProposalRecord {
  std::string search_group;             // "" for a bayes sweep; else the outer cell's hash
  int64_t index = 0;
  std::optional<int64_t> cell_id;       // the cell it became; none when excluded
  nlohmann::json parameters;            // the proposed values
  nlohmann::json sampler;               // the sampler and its settings
  int64_t trials_seen = 0;              // the trials it was proposed from
  std::optional<std::string> excluded;  // why no cell was made from it
};

// A proposal as the search sees it again: its values, where its cell stands
// and the sweep metric's last value of the cell's succeeded or stopped-early
// attempt (a stopped run is a finished, worse trial).
struct SearchTrial {
  int64_t index = 0;
  nlohmann::json parameters;
  nlohmann::json sampler;  // the sampler and its settings the proposal recorded (an object)
  std::optional<int64_t> cell_id;
  std::optional<CellState> cell_state;  // none when the proposal made no cell
  std::optional<double> value;
};

// A cell as it stands when one of its attempts ends.
struct CellHistory {
  CellState state = CellState::running;    // cancelled when `headroom cancel` took it meanwhile
  std::vector<RunState> earlier_attempts;  // its other attempts, oldest first
  int64_t forgiven_failures = 0;           // failed attempts --retry-failed set aside (the first ones)
};

// A failed cell and all its attempts, for deciding whether it runs again.
struct FailedCellHistory {
  int64_t cell_id = 0;
  std::string cell_hash;
  CellHistory history;  // every attempt, oldest first
};

// What deleting a sweep or a run removes, for the question before it.
struct RemovalSize {
  int64_t cells = 0, runs = 0, points = 0;
};

// What finish_run records: the attempt's end and its cell's next state.
struct AttemptOutcome {
  RunEnd end;
  CellState cell = CellState::failed;
};

// A running attempt with its latest metrics, for `status` and `watch`.
struct RunProgress {
  int64_t run = 0;
  std::string cell_hash;
  nlohmann::json parameters;
  std::optional<int64_t> steps;  // configured
  std::string device, host;
  std::optional<double> started_at;
  std::optional<int64_t> step;  // the latest logged
  std::optional<double> loss, metric, tokens_per_second;
  double estimated_flops = 0;  // of its cell
};

// A failed cell with its last attempt.
struct FailedCell {
  int64_t run = 0;
  std::string cell_hash;
  nlohmann::json parameters;
  RunState state = RunState::failed;
  std::string error;  // "" when none was recorded
};

// The sums an ETA is made of.
struct SweepThroughput {
  std::optional<double> succeeded_flops, succeeded_seconds;  // estimated FLOPs and wall time of succeeded runs
  std::optional<double> first_start, last_end;               // over every attempt
  std::optional<double> pending_flops;                       // estimated FLOPs of pending cells
};

// A succeeded attempt as reports read it.
struct SucceededRun {
  int64_t run_id = 0;
  int64_t cell_id = 0;
  std::string cell_hash;
  std::optional<double> started_at, ended_at;
  std::string device, host, precision;  // precision from its start event
};

// A run's last value of one metric.
struct FinalValue {
  int64_t run_id = 0;
  std::string metric;
  double value = 0;
};

// One attempt's values of one metric in step order (null values left out),
// for the search and its early termination.
struct MetricHistory {
  int64_t run_id = 0;
  int64_t cell_id = 0;
  std::string search_group, search_role;  // the cell's (CellRecord)
  RunState state = RunState::running;
  std::vector<double> values;
};

// A run's events file and how far ingestion got (db check).
struct IngestionPosition {
  int64_t run_id = 0;
  std::string run_dir;
  int64_t events_offset = 0;
  RunState run_state = RunState::starting;
  SweepState sweep_state = SweepState::registered;
  int64_t rejected_lines = 0;  // event lines ingestion refused, and the first one's problem
  std::optional<std::string> event_problem;
};

// A sweep with attempts still marked active (db check).
struct SweepWithActiveRuns {
  std::string name;
  int64_t active_runs = 0;
  SweepState state = SweepState::registered;
  std::optional<int64_t> orchestrator_pid;
  std::optional<std::string> orchestrator_host;
};

// Bounds on a query a user wrote; 0 means none.
struct QueryLimits {
  double seconds = 0;  // stop it after this long (a recursive CTE can run forever)
  int64_t rows = 0;    // stop it after this many rows (or it fills memory)
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens or creates `path` for writing and migrates it to the latest schema.
  static Result<std::unique_ptr<Store>> open_for_writing(const std::string& path);
  // Opens an existing database read-only; an error if it does not exist.
  static Result<std::unique_ptr<Store>> open_read_only(const std::string& path);

  // --- Sweeps and cells (sweeps.cc) ---

  // Records a sweep and its cells in one transaction. Running the same spec
  // again returns the stored sweep. A changed spec under the same name is
  // refused unless `extend`, which stores the new spec and adds only new cells.
  Result<SweepRecord> register_sweep(const SweepSpec& spec, const Expansion& expansion,
                                     const std::string& runs_root, bool extend);
  Result<std::optional<SweepRecord>> find_sweep(const std::string& name);
  Result<std::vector<SweepRecord>> sweeps();
  Result<SweepRecord> sweep(int64_t sweep_id);
  // Marks the sweep running under this process (host and pid recorded), or
  // finished / interrupted when its orchestrator stops.
  Status set_sweep_state(int64_t sweep_id, SweepState state);
  // Cells in grid order; all states when `state` is empty.
  Result<std::vector<CellRecord>> cells(int64_t sweep_id, std::optional<CellState> state = std::nullopt);
  Result<CellRecord> cell(int64_t cell_id);
  // Cells whose hash starts with `prefix` (in every sweep, or in one), at most
  // `limit` of them, by sweep and grid order.
  Result<std::vector<CellRecord>> cells_with_hash_prefix(const std::string& prefix,
                                                         std::optional<int64_t> sweep_id, int64_t limit);
  // Cell counts by state for a sweep, every state in all_cell_states() order.
  Result<std::vector<std::pair<CellState, int64_t>>> cell_state_counts(int64_t sweep_id);
  // Marks the sweep's cells in one of the `cancellable` states (those whose
  // hash starts with `cell_prefix`; all when empty) cancelled; returns their
  // attempts still active, whose workers the caller stops. An error when the
  // prefix matches no cell.
  Result<std::vector<RunRecord>> cancel_cells(int64_t sweep_id, const std::string& cell_prefix,
                                              const std::vector<CellState>& cancellable);
  // Cancelled cells of the sweep without an active attempt become pending
  // again; returns how many.
  Result<int64_t> reopen_cancelled_cells(int64_t sweep_id);
  // Records a search's proposal and the cell it made (`cell`; null when
  // excluded) in one transaction; a cell the sweep has already is not added
  // again. Returns the cell's id (none for an excluded proposal) and whether
  // the cell is new.
  Result<std::pair<std::optional<int64_t>, bool>> add_proposal(int64_t sweep_id, const ProposalRecord& proposal,
                                                                const Cell* cell);
  // Adds cells to the sweep (pending) in one transaction, those it lacks;
  // returns how many were new.
  Result<int64_t> add_cells(int64_t sweep_id, const std::vector<Cell>& cells);
  // The proposals of one search of the sweep (`search_group`: "" for a bayes
  // sweep) in order, each with its cell's state and `metric`'s value.
  Result<std::vector<SearchTrial>> search_trials(int64_t sweep_id, const std::string& search_group,
                                                 const std::string& metric);
  // Swept parameter names of this sweep, sorted.
  Result<std::vector<std::string>> parameter_names(int64_t sweep_id);

  // --- Attempts (attempts.cc) ---

  // Creates the next attempt of a cell (state starting, cell running) and
  // returns it; its run folder is runs_root/sweep/hash[:12]/attempt.
  Result<RunRecord> begin_attempt(const SweepRecord& sweep, const CellRecord& cell);
  // Records the worker's process and where it runs ("cpu", "gpu:2"): the
  // attempt is now running. The worker's start event may refine the device.
  Status mark_running(int64_t run_id, int64_t pid, const std::string& host, const std::string& device = "");
  // Records the SLURM array task of an attempt (see RunRecord::slurm_job).
  Status set_slurm_job(int64_t run_id, const std::string& job);
  // A submitted attempt that SLURM started on `node`: starting becomes running.
  Status mark_running_in_slurm(int64_t run_id, const std::string& node);
  // Ends an attempt. `decide` is handed its cell as it stands, inside the
  // transaction that records what it returns, so a concurrent `headroom
  // cancel` is never overwritten.
  Status finish_run(int64_t run_id, const std::function<AttemptOutcome(const CellHistory&)>& decide);
  // The sweep's failed cells with their histories, in grid order.
  Result<std::vector<FailedCellHistory>> failed_cell_histories(int64_t sweep_id);
  // Failed cells of the sweep become pending. With `forgive`, their failed
  // attempts so far stop counting against retries (--retry-failed).
  // Returns how many changed.
  Result<int64_t> reopen_failed_cells(int64_t sweep_id, const std::vector<int64_t>& cell_ids, bool forgive);
  // Attempts of a sweep still active (after a crash: the orphans).
  Result<std::vector<RunRecord>> active_runs(int64_t sweep_id);
  Result<std::vector<RunRecord>> runs_of_cell(int64_t cell_id);
  Result<RunRecord> run(int64_t run_id);

  // --- Events (events.cc) ---

  // Stores one ingestion pass of a run and its new byte offset in one
  // transaction: a crash leaves either all of it or none. Replaying the same
  // events changes nothing (metrics are keyed by run, name and step).
  Status apply_events(int64_t run_id, const EventBatch& batch, int64_t new_offset);

  // --- Reads (reads.cc) ---

  // Metric names that have summaries in this sweep, sorted.
  Result<std::vector<std::string>> metric_names(int64_t sweep_id);
  // Metric names this run has logged (ingested), sorted.
  Result<std::vector<std::string>> run_metric_names(int64_t run_id);
  // The largest step the run has a metric at; -1 when it has none.
  Result<int64_t> run_last_step(int64_t run_id);
  // The wide-row columns of these sweeps' runs (wide_view.h; empty: every sweep).
  Result<WideColumns> wide_columns(const std::vector<int64_t>& sweep_ids);
  // The most columns one SELECT may have.
  int column_limit();
  // The TEMP view runs_wide of this connection, over these sweeps' runs, for
  // a user's SQL statement `sql` (wide_view.h).
  Status create_wide_view(const std::vector<int64_t>& sweep_ids, const std::string& sql);
  // One metric's points of one run, by step.
  Result<std::vector<MetricPoint>> curve(int64_t run_id, const std::string& name);
  // Every metric's points of one run: name -> points by step.
  Result<std::vector<std::pair<std::string, std::vector<MetricPoint>>>> curves(int64_t run_id);
  // Final summaries of one run: name, last step, last, min and max value.
  Result<Table> summaries(int64_t run_id);
  // The sweep's active attempts with their latest train/loss, `metric` and
  // throughput, by run id.
  Result<std::vector<RunProgress>> active_run_progress(int64_t sweep_id, const std::string& metric);
  // The sweep's failed cells in grid order, each with its last attempt.
  Result<std::vector<FailedCell>> failed_cells(int64_t sweep_id);
  Result<SweepThroughput> throughput(int64_t sweep_id);
  // The sweep's succeeded attempts, by run id, and their runs' final values.
  Result<std::vector<SucceededRun>> succeeded_runs(int64_t sweep_id);
  Result<std::vector<FinalValue>> final_values_of_succeeded_runs(int64_t sweep_id);
  // Every attempt of the sweep that logged `metric` (any state), by run id,
  // with its finite values of it in step order.
  Result<std::vector<MetricHistory>> metric_histories(int64_t sweep_id, const std::string& metric);

  // Runs one SELECT with positional bindings and returns its rows. Refuses
  // any statement that could write (SQLite's own read-only check) and any
  // text after the first statement, so it is safe for user-written SQL;
  // `limits` stop one that would not end. An invalid-input error in each case.
  Result<Table> select(const std::string& sql, const std::vector<nlohmann::json>& bindings = {},
                       const QueryLimits& limits = {});

  // --- Deleting (removal.cc) ---

  // What deleting the sweep, or only the run, removes.
  Result<RemovalSize> sweep_size(int64_t sweep_id);
  Result<RemovalSize> run_size(int64_t run_id);
  // Deletes a sweep with its cells, runs, points, notes and tags, in one
  // transaction; other sweeps keep every row. Its run folders stay on disk.
  Status delete_sweep(int64_t sweep_id);
  // Deletes one ended attempt with its points, notes and tags. Its cell runs
  // again (becomes pending) unless another attempt of it succeeded.
  Status delete_run(int64_t run_id);

  // --- Notes and tags (reads.cc) ---

  Result<int64_t> add_note(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id,
                           const std::string& text);
  Result<std::vector<Note>> notes(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id);
  Status add_tag(int64_t run_id, const std::string& tag);
  Status remove_tag(int64_t run_id, const std::string& tag);
  Result<std::vector<std::string>> tags(int64_t run_id);

  // --- Health (health.cc) ---

  // What SQLite's integrity_check reports other than "ok". Where damage stops
  // the check, what it found so far, why it stopped and each damaged table.
  Result<std::vector<std::string>> integrity_problems();
  // Rows whose parent row is missing: "table rowid N points at a missing
  // parent row", and per table without rowid a count.
  Result<std::vector<std::string>> orphan_problems();
  // Summaries that disagree with their metric points (at most `limit`): run and metric.
  Result<std::vector<std::pair<int64_t, std::string>>> stale_summaries(int limit);
  // Every run's events file position, by run id.
  Result<std::vector<IngestionPosition>> ingestion_positions();
  Result<std::vector<SweepWithActiveRuns>> sweeps_with_active_runs();

  // The schema version of the open file.
  Result<int> schema_version();
  const std::string& path() const { return path_; }

 private:
  explicit Store(std::unique_ptr<sqlite::Connection> connection, std::string path);
  // The interned id of a metric name, creating it (and refreshing the wide
  // view) on first sight; call inside a transaction.
  int64_t metric_id(const std::string& name);

  // The statement for `sql`, prepared once per Store and reset for reuse:
  // the scheduler's hot path runs the same few statements for every trial.
  sqlite::Statement& prepared(const std::string& sql);

  std::unique_ptr<sqlite::Connection> connection_;
  // Declared after the connection so they are finalized before it closes.
  std::map<std::string, std::unique_ptr<sqlite::Statement>> statements_;
  std::string path_;
  std::map<std::string, int64_t> metric_ids_;
};

}  // namespace headroom
