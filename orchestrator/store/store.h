#pragma once
// Typed access to the results database (schema/, docs/schema.md).
//
// A Store opened for writing belongs to the orchestrator, the database's only
// writer: it creates the file, switches it to WAL and applies migrations. A
// read-only Store (status, runs, report) never blocks that writer. Not
// thread-safe: use one Store per thread.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/core/result.h"
#include "orchestrator/core/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"

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
  std::string state;  // registered | running | finished | interrupted
  std::optional<std::string> orchestrator_host;
  std::optional<int64_t> orchestrator_pid;
};

struct CellRecord {
  int64_t id = 0;
  int64_t sweep_id = 0;
  int64_t ordinal = 0;
  std::string hash;
  nlohmann::json parameters;
  nlohmann::json config;
  std::string state;
  int64_t parameter_count = 0;
  int64_t non_embedding_parameters = 0;
  double flops_per_token = 0;
  double estimated_flops = 0;
};

struct RunRecord {
  int64_t id = 0;
  int64_t cell_id = 0;
  int attempt = 0;
  std::string state;
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
};

struct MetricPoint {
  int64_t step = 0;
  std::optional<double> value;  // null when the worker logged a non-finite value
  double time = 0;
};

// Parsed events of one ingestion pass: metric points flattened (the bulk of
// every events file), other events (start, end) as JSON. A run logs a few
// metric names many times, so points refer to their name by index: no
// string is copied per point.
struct EventBatch {
  struct Point {
    int64_t step = 0;
    double time = 0;
    uint32_t name = 0;            // index into names
    std::optional<double> value;  // null when the worker logged a non-finite value
  };
  std::vector<std::string> names;
  std::vector<Point> points;
  std::vector<nlohmann::json> others;

  // The index of `name` in names, added on first sight.
  uint32_t name_index(std::string_view name) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return uint32_t(i);
    }
    names.emplace_back(name);
    return uint32_t(names.size() - 1);
  }
};

struct Note {
  int64_t id = 0;
  std::optional<int64_t> sweep_id, run_id;
  std::string text;
  double created_at = 0;
};

// How an attempt ended, decided by the scheduler.
struct RunEnd {
  std::string state;  // succeeded | failed | diverged | invalid | lost | cancelled | timeout
  std::optional<int64_t> exit_code, signal;
  std::optional<std::string> error;
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

  // Records a sweep and its cells in one transaction. Running the same spec
  // again returns the stored sweep. A changed spec under the same name is
  // refused unless `extend`, which stores the new spec and adds only new cells.
  Result<SweepRecord> register_sweep(const SweepSpec& spec, const Expansion& expansion,
                                     const std::string& runs_root, bool extend);

  Result<std::optional<SweepRecord>> find_sweep(const std::string& name);
  Result<std::vector<SweepRecord>> sweeps();
  // Cells in grid order; all states when `state` is empty.
  Result<std::vector<CellRecord>> cells(int64_t sweep_id, const std::string& state = "");

  // Creates the next attempt of a cell (state 'starting', cell 'running') and
  // returns it; its run folder is runs_root/sweep/hash[:12]/attempt.
  Result<RunRecord> begin_attempt(const SweepRecord& sweep, const CellRecord& cell);
  // Records the worker's process and where it runs ("cpu", "gpu:2"): the
  // attempt is now 'running'. The worker's start event may refine the device.
  Status mark_running(int64_t run_id, int64_t pid, const std::string& host, const std::string& device = "");
  // Records the SLURM array task of an attempt (see RunRecord::slurm_job).
  Status set_slurm_job(int64_t run_id, const std::string& job);
  // A submitted attempt that SLURM started on `node`: 'starting' becomes 'running'.
  Status mark_running_in_slurm(int64_t run_id, const std::string& node);
  // Ends an attempt and sets its cell's state (pending again when it will be
  // retried). A cell cancelled by the user stays cancelled unless the attempt
  // succeeded.
  Status finish_run(int64_t run_id, const RunEnd& end, const std::string& cell_state);
  // Marks the sweep's cells (those whose hash starts with `cell_prefix`; all
  // when empty) cancelled unless they succeeded or failed; returns their
  // attempts still running, whose workers the caller stops. An error when
  // the prefix matches no cell.
  Result<std::vector<RunRecord>> cancel_cells(int64_t sweep_id, const std::string& cell_prefix);
  // Cancelled cells of the sweep become pending again; returns how many.
  Result<int64_t> reopen_cancelled_cells(int64_t sweep_id);
  // Attempts of a sweep still 'starting' or 'running' (after a crash: the orphans).
  Result<std::vector<RunRecord>> active_runs(int64_t sweep_id);
  Result<std::vector<RunRecord>> runs_of_cell(int64_t cell_id);
  Result<RunRecord> run(int64_t run_id);
  Result<CellRecord> cell(int64_t cell_id);
  Result<SweepRecord> sweep(int64_t sweep_id);

  // Stores parsed events of one run and its new byte offset in one
  // transaction: a crash leaves either all of them or none. Replaying the same
  // events changes nothing (metrics are keyed by run, name and step).
  Status apply_events(int64_t run_id, const EventBatch& batch, int64_t new_offset);
  // The same for events as JSON objects (tests, tools): metric and eval
  // events' numeric or null values become points.
  Status apply_events(int64_t run_id, const std::vector<nlohmann::json>& events, int64_t new_offset);

  // Marks the sweep running under this process (host and pid recorded), or
  // finished / interrupted when its orchestrator stops.
  Status set_sweep_state(int64_t sweep_id, const std::string& state);

  // Cell counts by state for a sweep, in a fixed order.
  Result<std::vector<std::pair<std::string, int64_t>>> cell_state_counts(int64_t sweep_id);
  // Metric names that have summaries in this sweep, sorted.
  Result<std::vector<std::string>> metric_names(int64_t sweep_id);
  // Swept parameter names of this sweep, sorted.
  Result<std::vector<std::string>> parameter_names(int64_t sweep_id);
  // The columns of the runs_wide view (wide_view.h), in order.
  Result<std::vector<std::string>> wide_columns();
  // One metric's points of one run, by step.
  Result<std::vector<MetricPoint>> curve(int64_t run_id, const std::string& name);
  // Every metric's points of one run: name -> points by step.
  Result<std::vector<std::pair<std::string, std::vector<MetricPoint>>>> curves(int64_t run_id);
  // Final summaries of one run: name, last step, last, min and max value.
  Result<Table> summaries(int64_t run_id);

  // Runs one SELECT with positional bindings and returns its rows. Refuses
  // any statement that could write (SQLite's own read-only check) and any
  // text after the first statement, so it is safe for user-written SQL.
  Result<Table> select(const std::string& sql, const std::vector<nlohmann::json>& bindings = {});

  Result<int64_t> add_note(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id,
                           const std::string& text);
  Result<std::vector<Note>> notes(std::optional<int64_t> sweep_id, std::optional<int64_t> run_id);
  Status add_tag(int64_t run_id, const std::string& tag);
  Status remove_tag(int64_t run_id, const std::string& tag);

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
