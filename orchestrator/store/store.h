#pragma once
// Typed access to the results database (schema/, docs/schema.md).
//
// A Store opened for writing belongs to the orchestrator, the database's only
// writer: it creates the file, switches it to WAL and applies migrations. A
// read-only Store (status, runs, report) never blocks that writer. Not
// thread-safe: use one Store per thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/core/result.h"
#include "orchestrator/core/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"

namespace headroom {

namespace sqlite {
class Connection;
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
  int64_t events_offset = 0;
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
  // Records the worker's process: the attempt is now 'running'.
  Status mark_running(int64_t run_id, int64_t pid, const std::string& host);
  // Ends an attempt and sets its cell's state (pending again when it will be retried).
  Status finish_run(int64_t run_id, const RunEnd& end, const std::string& cell_state);
  // Attempts of a sweep still 'starting' or 'running' (after a crash: the orphans).
  Result<std::vector<RunRecord>> active_runs(int64_t sweep_id);
  Result<std::vector<RunRecord>> runs_of_cell(int64_t cell_id);
  Result<RunRecord> run(int64_t run_id);

  // Stores parsed events of one run and its new byte offset in one
  // transaction: a crash leaves either all of them or none. Replaying the same
  // events changes nothing (metrics are keyed by run, name and step).
  Status apply_events(int64_t run_id, const std::vector<nlohmann::json>& events,
                      int64_t new_offset);

  // Cell counts by state for a sweep, in a fixed order.
  Result<std::vector<std::pair<std::string, int64_t>>> cell_state_counts(int64_t sweep_id);
  // One row per attempt: run id, cell, attempt, state, swept parameters, final
  // summaries of the named metrics, parameter count, duration, error.
  Result<Table> run_table(int64_t sweep_id, const std::vector<std::string>& metrics);
  // Metric names that have summaries in this sweep, sorted.
  Result<std::vector<std::string>> metric_names(int64_t sweep_id);

 private:
  explicit Store(std::unique_ptr<sqlite::Connection> connection, std::string path);
  std::unique_ptr<sqlite::Connection> connection_;
  std::string path_;
};

}  // namespace headroom
