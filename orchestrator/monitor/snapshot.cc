#include "orchestrator/monitor/snapshot.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace headroom {
namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// The last line says most: stderr tails end with the exception or signal.
std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
}

}  // namespace

int64_t SweepSnapshot::count(CellState state) const {
  for (const auto& [counted, n] : cells_by_state) {
    if (counted == state) return n;
  }
  return 0;
}

Result<SweepSnapshot> take_snapshot(Store& store, const SweepRecord& sweep) {
  SweepSnapshot snapshot;
  snapshot.sweep = sweep;
  HEADROOM_ASSIGN_OR_RETURN(snapshot.cells_by_state, store.cell_state_counts(sweep.id));
  for (const auto& [state, n] : snapshot.cells_by_state) snapshot.total += n;
  const double now = now_seconds();

  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  snapshot.orchestrator_alive =
      sweep.state == SweepState::running && sweep.orchestrator_pid &&
      (sweep.orchestrator_host != std::string(host) || ::kill(pid_t(*sweep.orchestrator_pid), 0) == 0);

  HEADROOM_ASSIGN_OR_RETURN(auto running, store.active_run_progress(sweep.id, sweep.metric.value_or(kDefaultProgressMetric)));
  double remaining_flops = 0;
  for (const auto& progress : running) {
    RunningRun run;
    run.run = progress.run;
    run.cell = progress.cell_hash.substr(0, 12);
    run.parameters = progress.parameters;
    run.steps = progress.steps.value_or(0);
    run.device = progress.device;
    run.host = progress.host;
    run.seconds = progress.started_at ? now - *progress.started_at : 0;
    run.step = progress.step.value_or(0);
    run.loss = progress.loss;
    run.accuracy = progress.metric;
    run.tokens_per_second = progress.tokens_per_second;
    const double done = run.steps > 0 ? std::min(1.0, double(run.step) / double(run.steps)) : 0;
    remaining_flops += progress.estimated_flops * (1 - done);
    snapshot.running.push_back(std::move(run));
  }

  HEADROOM_ASSIGN_OR_RETURN(auto failed, store.failed_cells(sweep.id));
  for (const auto& cell : failed) {
    const std::string error = last_line(cell.error);
    snapshot.failed.push_back({cell.run, cell.cell_hash.substr(0, 12), cell.parameters, cell.state,
                               error.empty() ? "no error recorded" : error});
  }

  // Throughput of finished runs in estimated FLOPs per second of one worker.
  HEADROOM_ASSIGN_OR_RETURN(SweepThroughput totals, store.throughput(sweep.id));
  // A sweep that is not running stopped when its last attempt ended.
  const bool stopped = sweep.state != SweepState::running || !snapshot.orchestrator_alive;
  const double until = stopped && totals.last_end ? *totals.last_end : now;
  if (totals.first_start) snapshot.elapsed_seconds = std::max(0.0, until - *totals.first_start);
  remaining_flops += totals.pending_flops.value_or(0);
  // No estimate when the work left is unknown (a program's cells have no FLOP
  // estimate: "ETA 0s" with cells pending said nothing true) or done.
  if (remaining_flops > 0 && totals.succeeded_flops && *totals.succeeded_flops > 0 && totals.succeeded_seconds &&
      *totals.succeeded_seconds > 0) {
    const double per_worker = *totals.succeeded_flops / *totals.succeeded_seconds;
    const double workers = double(std::max<size_t>(1, snapshot.running.size()));
    snapshot.eta_seconds = remaining_flops / (per_worker * workers);
  }
  return snapshot;
}

nlohmann::json snapshot_json(const SweepSnapshot& snapshot) {
  nlohmann::json cells = nlohmann::json::object();
  for (const auto& [state, count] : snapshot.cells_by_state) cells[std::string(to_string(state))] = count;
  nlohmann::json running = nlohmann::json::array();
  for (const auto& run : snapshot.running) {
    auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    running.push_back({{"run", run.run}, {"cell", run.cell}, {"parameters", run.parameters}, {"step", run.step},
                       {"steps", run.steps}, {"loss", optional(run.loss)}, {"metric", optional(run.accuracy)},
                       {"tokens_per_second", optional(run.tokens_per_second)}, {"device", run.device},
                       {"seconds", run.seconds}});
  }
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& cell : snapshot.failed) {
    failed.push_back({{"run", cell.run}, {"cell", cell.cell}, {"parameters", cell.parameters},
                      {"state", to_string(cell.state)}, {"error", cell.error}});
  }
  return {{"sweep", snapshot.sweep.name},
          {"state", to_string(snapshot.sweep.state)},
          {"orchestrator_alive", snapshot.orchestrator_alive},
          {"cells", cells},
          {"total", snapshot.total},
          {"elapsed_seconds", snapshot.elapsed_seconds},
          {"eta_seconds", snapshot.eta_seconds ? nlohmann::json(*snapshot.eta_seconds) : nlohmann::json()},
          {"running", running},
          {"failed", failed}};
}

}  // namespace headroom
