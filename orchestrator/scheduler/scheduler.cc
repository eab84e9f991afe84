#include "orchestrator/scheduler/scheduler.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <list>
#include <map>

#include "common/protocol.h"
#include "orchestrator/executors/local_executor.h"
#include "orchestrator/ingest/ingest.h"
#include "orchestrator/scheduler/attempt.h"
#include "orchestrator/scheduler/progress.h"
#include "orchestrator/scheduler/stop_signals.h"

namespace headroom {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

// One attempt this orchestrator watches.
struct Active {
  explicit Active(RunRecord run, bool adopted = false) : run(std::move(run)), adopted(adopted) {}
  RunRecord run;
  Seat seat;  // its threads and GPUs
  Clock::time_point started = Clock::now();
  Clock::time_point last_event = Clock::now();
  bool adopted = false;  // started by an earlier orchestrator: not our child
  std::string program;   // what it runs (argv[0]), for messages; empty when adopted
  // What we did to it (lifecycle.h's facts).
  bool timed_out = false;
  bool hung = false;
  bool interrupted = false;
  std::string stopped_early;  // why the early_terminate rule stopped it
};

// A worker whose pid never reached the database (its orchestrator died
// between starting it and recording it): found by its run folder on its
// command line or in its environment. A program's supervisor and the
// program both name it: the one that leads the process group (the
// supervisor, as the executor starts it) is the worker. 0 when there is none.
int64_t find_worker_of(const std::string& run_dir) {
  const std::vector<int64_t> named = processes_naming(run_dir);
  for (int64_t pid : named) {
    if (::getpgid(pid_t(pid)) == pid) return pid;
  }
  return named.empty() ? 0 : named.front();
}

// The threads a worker was given: its config's, as start_attempt wrote it.
std::optional<int> threads_given(const std::string& run_dir) {
  std::ifstream in(fs::path(run_dir) / protocol::kConfigFile);
  auto config = nlohmann::json::parse(in, nullptr, false);
  auto threads = config.is_object() ? config.find("threads") : config.end();
  if (!config.is_object() || threads == config.end() || !threads->is_number_integer()) return std::nullopt;
  return threads->get<int>();
}

class SweepRunner {
 public:
  SweepRunner(Store& store, const SweepRecord& sweep, const Placement& placement, const SchedulerOptions& options)
      : store_(store), sweep_(sweep), placement_(placement), options_(options) {}

  Result<SweepOutcome> run();

 private:
  Status recover_orphans();
  // Starts pending cells in free slots, then asks an adaptive search for
  // more while slots stay free.
  Status fill_slots();
  Status start_queued();
  Status start_attempt(const CellRecord& cell, const Seat& seat);
  Status check_workers();
  // Stops the workers the sweep's early_terminate rule judges behind.
  Status terminate_early();
  // Sends SIGTERM (SIGKILL after the grace) to a worker.
  void stop(Active& active);
  Status finish(Active& active, std::optional<ProcessExit> exit);
  Status interrupt();
  // Asks options.on_interrupt (first Ctrl-C, workers running); true when the
  // user chose to leave the workers running.
  bool leave_workers_if_asked();
  Status report_progress();
  std::vector<Seat> seats_taken() const;

  Store& store_;
  const SweepRecord& sweep_;
  const Placement& placement_;
  const SchedulerOptions& options_;
  const LifecyclePolicy& policy_ = options_.lifecycle;
  LocalExecutor executor_{options_.supervisor_path};
  std::map<int64_t, Active> active_;  // by run id
  RetryBackoffs backoffs_;
  // Pending cells in start order, read once and again only when a cell
  // returns to pending (a retry): per-trial cost must not grow with the sweep.
  std::list<CellRecord> queue_;
  bool queue_stale_ = true;
  bool search_open_ = true;  // options.add_cell may still make cells
  bool search_waiting_ = false;  // it said wait: ask again once a cell has ended
  bool changed_ = true;  // a cell changed state since the last progress report
  bool metrics_arrived_ = false;  // events were ingested since the early_terminate rule last judged
  Clock::time_point last_judged_{};
  std::map<pid_t, int64_t> run_of_pid_;
  std::string start_failure_;  // a worker we started could not start its program: the sweep stops
  ProgressReporter progress_{options_.progress};
};

Status SweepRunner::recover_orphans() {
  HEADROOM_ASSIGN_OR_RETURN(auto orphans, store_.active_runs(sweep_.id));
  for (const auto& run : orphans) {
    if (run.slurm_job) {
      return Error::busy("sweep '" + sweep_.name + "' has attempts in SLURM (job " + *run.slurm_job +
                         "): resume it with `headroom resume " + sweep_.name + " --executor slurm`");
    }
  }
  for (auto& run : orphans) {
    HEADROOM_RETURN_IF_ERROR(ingest_run(store_, run.id));
    if (!run.pid) {
      // Started, but the orchestrator died before recording the pid.
      if (int64_t pid = find_worker_of(run.run_dir); pid > 0) {
        HEADROOM_RETURN_IF_ERROR(store_.mark_running(run.id, pid, host_name(), run.device.value_or("")));
        run.pid = pid;
      }
    }
    Active orphan(run, true);
    if (run.pid && is_worker_of(*run.pid, run.run_dir)) {
      // Still training: watch it to the end instead of starting it again. Its
      // threads and GPUs count against the machine like any worker's.
      HEADROOM_ASSIGN_OR_RETURN(CellRecord cell, store_.cell(run.cell_id));
      orphan.seat.threads = threads_given(run.run_dir).value_or(placement_.threads_of(cell.resources));
      orphan.seat.gpus = placement_.gpus_of_label(run.device.value_or(""));
      if (!orphan.seat.gpus.empty()) orphan.seat.gpu_memory_mib = cell.resources.gpu_memory_mib();
      active_.emplace(run.id, orphan);
      continue;
    }
    HEADROOM_RETURN_IF_ERROR(finish(orphan, std::nullopt));
  }
  return Ok{};
}

Status SweepRunner::start_attempt(const CellRecord& cell, const Seat& seat) {
  AttemptSetup setup;
  setup.threads = seat.threads;
  setup.gpus = !seat.gpus.empty();
  setup.trainer_path = options_.trainer_path;
  HEADROOM_ASSIGN_OR_RETURN(PreparedAttempt prepared, prepare_attempt(store_, sweep_, cell, setup));
  RunRecord run = prepared.run;
  const fs::path run_dir = run.run_dir;
  LaunchRequest request;
  request.argv = prepared.launch.argv;
  request.environment = worker_environment(seat.threads, placement_.cuda_visible_devices(seat));
  for (const auto& [name, value] : prepared.launch.environment) request.environment[name] = value;
  request.stdout_path = (run_dir / protocol::kStdoutFile).string();
  request.stderr_path = (run_dir / protocol::kStderrFile).string();
  // A program may end without an end event, its exit status then its only
  // word: its supervisor records it. headroom-train writes one whenever it
  // can (not when killed or crashed: then, with its orchestrator gone, it is
  // lost and runs again from its checkpoint) and starts without the extra
  // process, once per trial.
  if (!cell.worker.is_null()) request.exit_status_path = (run_dir / protocol::kExitStatusFile).string();
  auto pid = executor_.start(request);
  if (!pid) {
    AttemptFacts facts;
    facts.start_failure = pid.error().to_string();
    HEADROOM_RETURN_IF_ERROR(end_attempt(store_, run.id, facts, policy_));
    return pid.error();
  }
  HEADROOM_RETURN_IF_ERROR(store_.mark_running(run.id, pid.value(), host_name(), placement_.device_label(seat)));
  run.pid = pid.value();
  run.state = RunState::running;
  Active active(run);
  active.seat = seat;
  active.program = request.argv.empty() ? "" : request.argv[0];
  changed_ = true;
  active_.emplace(run.id, active);
  run_of_pid_[pid.value()] = run.id;
  return Ok{};
}

std::vector<Seat> SweepRunner::seats_taken() const {
  std::vector<Seat> seats;
  for (const auto& [run_id, active] : active_) seats.push_back(active.seat);
  return seats;
}

Status SweepRunner::fill_slots() {
  while (true) {
    HEADROOM_RETURN_IF_ERROR(start_queued());
    // An adaptive search makes its next cell only when a slot is free and
    // every pending cell that could take one has started (a cell waiting out
    // its retry back-off does not hold the search up).
    const bool slot_free = int64_t(active_.size()) < placement_.slots() && !StopSignals::requested();
    const bool queue_idle = std::all_of(queue_.begin(), queue_.end(),
                                        [&](const CellRecord& cell) { return backoffs_.waiting(cell.id); });
    if (!options_.add_cell || !search_open_ || search_waiting_ || !slot_free || !queue_idle) return Ok{};
    HEADROOM_ASSIGN_OR_RETURN(SearchStep step, options_.add_cell());
    search_open_ = step != SearchStep::over;
    search_waiting_ = step == SearchStep::wait;
    if (step != SearchStep::added) return Ok{};
    queue_stale_ = true;
    changed_ = true;
  }
}

Status SweepRunner::start_queued() {
  if (int64_t(active_.size()) >= placement_.slots()) return Ok{};
  if (queue_stale_) {
    HEADROOM_ASSIGN_OR_RETURN(auto pending, store_.cells(sweep_.id, CellState::pending));
    sort_for_start(pending);
    queue_.assign(pending.begin(), pending.end());
    queue_stale_ = false;
  }
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (int64_t(active_.size()) >= placement_.slots() || StopSignals::requested()) break;
    // A crashed cell waiting out its back-off, or no seat free for it now.
    std::optional<Seat> seat;
    if (!backoffs_.waiting(it->id)) seat = placement_.seat(it->resources, seats_taken());
    if (!seat) {
      ++it;
      continue;
    }
    // `headroom cancel` may have taken the cell since the queue was read.
    HEADROOM_ASSIGN_OR_RETURN(CellRecord current, store_.cell(it->id));
    if (current.state == CellState::pending) HEADROOM_RETURN_IF_ERROR(start_attempt(current, *seat));
    it = queue_.erase(it);
  }
  return Ok{};
}

Status SweepRunner::finish(Active& active, std::optional<ProcessExit> exit) {
  AttemptFacts facts;
  // The supervisor's record: whether the program could be started at all,
  // and how a worker we were not the parent of (an orphan of an earlier
  // orchestrator, or one we adopted) ended.
  const std::optional<ProcessExit> recorded = recorded_exit_status(active.run.run_dir);
  if (recorded && recorded->start_error) {
    // As a failed start: the attempt is lost; a start of ours stops the sweep
    // with the reason (run() stops the other workers first; one an earlier
    // orchestrator started is only recorded).
    facts.start_failure = "cannot start " + (active.program.empty() ? "the worker's program" : "'" + active.program + "'") +
                          ": " + std::strerror(*recorded->start_error);
    HEADROOM_RETURN_IF_ERROR(end_attempt(store_, active.run.id, facts, policy_));
    changed_ = true;
    if (!active.adopted && start_failure_.empty()) start_failure_ = facts.start_failure;
    return Ok{};
  }
  if (!exit) exit = recorded;
  if (recorded) facts.stop_signal = recorded->stop_signal;
  if (exit) {
    facts.exit_code = exit->exit_code;
    facts.signal = exit->signal;
  } else {
    facts.vanished = true;
    // Its supervisor died without a record (killed -9 by hand, say): what it
    // ran may live on, and must not train beside the attempt that replaces it.
    stop_leftovers_of(active.run.pid.value_or(0), active.run.run_dir);
  }
  facts.stopped_at_timeout = active.timed_out;
  facts.stopped_as_hung = active.hung;
  facts.stopped_by_orchestrator = active.interrupted;
  facts.stopped_early = active.stopped_early;
  HEADROOM_ASSIGN_OR_RETURN(Decision decision, end_attempt(store_, active.run.id, facts, policy_));
  changed_ = true;
  search_waiting_ = false;
  if (decision.retry_after) backoffs_.wait(active.run.cell_id, *decision.retry_after);
  if (decision.cell == CellState::pending) queue_stale_ = true;
  return Ok{};
}

Status SweepRunner::check_workers() {
  for (auto& [pid, exit] : executor_.reap()) {
    auto run_id = run_of_pid_.find(pid);
    if (run_id == run_of_pid_.end()) continue;
    auto node = active_.extract(run_id->second);
    run_of_pid_.erase(run_id);
    HEADROOM_RETURN_IF_ERROR(finish(node.mapped(), exit));
  }
  for (auto it = active_.begin(); it != active_.end();) {
    Active& active = it->second;
    if (active.adopted && !is_worker_of(active.run.pid.value_or(0), active.run.run_dir)) {
      HEADROOM_RETURN_IF_ERROR(finish(active, std::nullopt));
      it = active_.erase(it);
      continue;
    }
    HEADROOM_ASSIGN_OR_RETURN(IngestReport ingested, ingest_run(store_, active.run.id));
    const auto now = Clock::now();
    if (ingested.events > 0) {
      active.last_event = now;
      metrics_arrived_ = true;
    }
    const bool stopping = active.timed_out || active.hung || !active.stopped_early.empty();
    if (policy_.timeout_seconds > 0 && !stopping &&
        now - active.started > std::chrono::duration<double>(policy_.timeout_seconds)) {
      active.timed_out = true;
      stop(active);
    }
    if (policy_.hang_seconds > 0 && !stopping && !active.timed_out &&
        now - active.last_event > std::chrono::duration<double>(policy_.hang_seconds)) {
      active.hung = true;
      stop(active);
    }
    ++it;
  }
  return terminate_early();
}

void SweepRunner::stop(Active& active) {
  if (active.adopted) {
    ask_worker_to_stop(*active.run.pid);
  } else {
    executor_.stop(pid_t(*active.run.pid), options_.stop_grace);
  }
}

Status SweepRunner::terminate_early() {
  const auto now = Clock::now();
  if (!options_.early_termination || !metrics_arrived_ ||
      now - last_judged_ < options_.early_termination_interval) {
    return Ok{};
  }
  metrics_arrived_ = false;
  last_judged_ = now;
  HEADROOM_ASSIGN_OR_RETURN(auto stops, early_stops(store_, sweep_.id, *options_.early_termination));
  for (const auto& stop_now : stops) {
    auto found = active_.find(stop_now.run_id);
    if (found == active_.end()) continue;  // ended meanwhile
    Active& active = found->second;
    if (active.timed_out || active.hung || active.interrupted || !active.stopped_early.empty()) continue;
    HEADROOM_RETURN_IF_ERROR(record_early_stop(active.run.run_dir, stop_now.reason));
    active.stopped_early = stop_now.reason;
    stop(active);
  }
  return Ok{};
}

Status SweepRunner::interrupt() {
  for (auto& [run_id, active] : active_) {
    active.interrupted = true;
    if (!active.adopted) executor_.stop(pid_t(*active.run.pid), options_.stop_grace);
  }
  // Adopted workers are left running: a later `headroom run` adopts them again.
  for (auto it = active_.begin(); it != active_.end();) {
    it = it->second.adopted ? active_.erase(it) : std::next(it);
  }
  while (!active_.empty()) {
    executor_.wait_for_exit(options_.poll_interval);
    HEADROOM_RETURN_IF_ERROR(check_workers());
  }
  return Ok{};
}

bool SweepRunner::leave_workers_if_asked() {
  if (StopSignals::without_asking() || !options_.on_interrupt || active_.empty()) return false;
  const int seen = StopSignals::interrupts();
  const auto again = [seen] { return StopSignals::without_asking() || StopSignals::interrupts() > seen; };
  return options_.on_interrupt(active_.size(), again) == InterruptChoice::leave_workers && !again();
}

Status SweepRunner::report_progress() {
  if (!changed_) return Ok{};
  changed_ = false;
  return progress_.report(store_, sweep_);
}

Result<SweepOutcome> SweepRunner::run() {
  StopSignals signals;
  HEADROOM_RETURN_IF_ERROR(recover_orphans());
  SweepOutcome outcome;
  while (true) {
    if (StopSignals::requested()) {
      outcome.interrupted = true;
      if (leave_workers_if_asked()) {
        outcome.left_running = active_.size();
        break;
      }
      HEADROOM_RETURN_IF_ERROR(interrupt());
      break;
    }
    HEADROOM_RETURN_IF_ERROR(fill_slots());
    HEADROOM_RETURN_IF_ERROR(report_progress());
    // Done unless a crashed cell waits out its back-off.
    if (active_.empty() && !backoffs_.any_waiting()) break;
    executor_.wait_for_exit(options_.poll_interval);
    HEADROOM_RETURN_IF_ERROR(check_workers());
    if (!start_failure_.empty()) {
      // The sweep stops as at Ctrl-C: the other workers are stopped and
      // recorded (their cells pending), so nothing is left running unwatched.
      HEADROOM_RETURN_IF_ERROR(interrupt());
      return Error::io(start_failure_);
    }
  }
  HEADROOM_RETURN_IF_ERROR(count_cells(store_, sweep_.id, outcome));
  return outcome;
}

}  // namespace

Result<SweepOutcome> run_sweep(Store& store, const SweepRecord& sweep, const Placement& placement,
                               const SchedulerOptions& options) {
  SweepRunner runner(store, sweep, placement, options);
  return runner.run();
}

}  // namespace headroom
