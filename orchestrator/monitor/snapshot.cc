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

std::optional<double> number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

}  // namespace

int64_t SweepSnapshot::count(const std::string& state) const {
  for (const auto& [name, n] : cells_by_state) {
    if (name == state) return n;
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
      sweep.state == "running" && sweep.orchestrator_pid &&
      (sweep.orchestrator_host != std::string(host) || ::kill(pid_t(*sweep.orchestrator_pid), 0) == 0);

  // Running attempts with their latest metrics (summaries are kept at ingestion).
  HEADROOM_ASSIGN_OR_RETURN(
      Table running,
      store.select("SELECT r.id, substr(c.hash, 1, 12), c.parameters, c.config ->> '$.steps', r.device, r.host, "
                   "r.started_at, "
                   "(SELECT max(last_step) FROM summaries WHERE run_id = r.id), "
                   "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = 'train/loss'), "
                   "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = coalesce(?2, 'eval/accuracy')), "
                   "(SELECT last_value FROM summaries WHERE run_id = r.id AND name = 'train/tokens_per_s'), "
                   "c.estimated_flops "
                   "FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?1 "
                   "AND r.state IN ('starting', 'running') ORDER BY r.id",
                   {sweep.id, sweep.metric ? nlohmann::json(*sweep.metric) : nlohmann::json()}));
  double remaining_flops = 0;
  for (const auto& row : running.rows) {
    RunningRun run;
    run.run = row[0].get<int64_t>();
    run.cell = row[1].get<std::string>();
    run.parameters = nlohmann::json::parse(row[2].get<std::string>());
    run.steps = row[3].is_number() ? row[3].get<int64_t>() : 0;
    run.device = row[4].is_string() ? row[4].get<std::string>() : "";
    run.host = row[5].is_string() ? row[5].get<std::string>() : "";
    run.seconds = row[6].is_number() ? now - row[6].get<double>() : 0;
    run.step = row[7].is_number() ? row[7].get<int64_t>() : 0;
    run.loss = number(row[8]);
    run.accuracy = number(row[9]);
    run.tokens_per_second = number(row[10]);
    const double done = run.steps > 0 ? std::min(1.0, double(run.step) / double(run.steps)) : 0;
    remaining_flops += row[11].get<double>() * (1 - done);
    snapshot.running.push_back(std::move(run));
  }

  // Each failed cell with its last attempt's error.
  HEADROOM_ASSIGN_OR_RETURN(
      Table failed,
      store.select("SELECT r.id, substr(c.hash, 1, 12), c.parameters, r.state, coalesce(r.error, '') "
                   "FROM cells c JOIN runs r ON r.cell_id = c.id AND r.attempt = "
                   "(SELECT max(attempt) FROM runs WHERE cell_id = c.id) "
                   "WHERE c.sweep_id = ? AND c.state = 'failed' ORDER BY c.ordinal",
                   {sweep.id}));
  for (const auto& row : failed.rows) {
    std::string error = row[4].get<std::string>();
    // The last line says most: stderr tails end with the exception or signal.
    while (!error.empty() && error.back() == '\n') error.pop_back();
    error = error.substr(error.rfind('\n') == std::string::npos ? 0 : error.rfind('\n') + 1);
    snapshot.failed.push_back({row[0].get<int64_t>(), row[1].get<std::string>(),
                               nlohmann::json::parse(row[2].get<std::string>()), row[3].get<std::string>(),
                               error.empty() ? "no error recorded" : error});
  }

  // Throughput of finished runs in estimated FLOPs per second of one worker.
  HEADROOM_ASSIGN_OR_RETURN(
      Table throughput,
      store.select("SELECT sum(c.estimated_flops), sum(r.ended_at - r.started_at), "
                   "(SELECT min(r2.started_at) FROM runs r2 JOIN cells c2 ON c2.id = r2.cell_id "
                   " WHERE c2.sweep_id = ?1), "
                   "(SELECT max(r2.ended_at) FROM runs r2 JOIN cells c2 ON c2.id = r2.cell_id "
                   " WHERE c2.sweep_id = ?1), "
                   "(SELECT sum(estimated_flops) FROM cells WHERE sweep_id = ?1 AND state = 'pending') "
                   "FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = ?1 AND r.state = 'succeeded'",
                   {sweep.id}));
  const auto& totals = throughput.rows.at(0);
  // A sweep that is not running stopped when its last attempt ended.
  const bool stopped = sweep.state != "running" || !snapshot.orchestrator_alive;
  const double until = stopped && totals[3].is_number() ? totals[3].get<double>() : now;
  if (totals[2].is_number()) snapshot.elapsed_seconds = std::max(0.0, until - totals[2].get<double>());
  if (totals[4].is_number()) remaining_flops += totals[4].get<double>();
  if (totals[0].is_number() && totals[1].is_number() && totals[1].get<double>() > 0) {
    const double per_worker = totals[0].get<double>() / totals[1].get<double>();
    const double workers = double(std::max<size_t>(1, snapshot.running.size()));
    snapshot.eta_seconds = remaining_flops / (per_worker * workers);
  }
  return snapshot;
}

}  // namespace headroom
