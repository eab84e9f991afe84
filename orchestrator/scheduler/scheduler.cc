#include "orchestrator/scheduler/scheduler.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <list>
#include <map>
#include <sstream>
#include <thread>

#include "orchestrator/executors/local_executor.h"
#include "orchestrator/scheduler/attempt.h"
#include "orchestrator/scheduler/progress.h"
#include "orchestrator/ingest/ingest.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> interrupt_requested{false};
std::atomic<bool> terminate_requested{false};  // SIGTERM: stop without asking
std::atomic<int> interrupts_seen{0};           // Ctrl-C presses
extern "C" void request_interrupt(int signal) {
  if (signal == SIGTERM) terminate_requested = true;
  if (signal == SIGINT) ++interrupts_seen;
  interrupt_requested = true;
}


std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}


struct Active {
  explicit Active(RunRecord run, bool adopted = false) : run(std::move(run)), adopted(adopted) {}
  RunRecord run;
  Clock::time_point started = Clock::now();
  bool adopted = false;  // started by an earlier orchestrator: not our child
  bool timed_out = false;
  bool hung = false;
  bool cancelled = false;
  std::vector<size_t> gpus;            // indices into SchedulerOptions::gpus
  int64_t gpu_memory_mib = 0;          // its estimate on each of them; 0 = unknown
  int threads = 1;                     // CPU threads it was given
  Clock::time_point last_event = Clock::now();
};

// runs.device as the scheduler records it for a worker given GPUs: "gpu:0", "gpu:0,2".
std::string gpu_device_label(const std::vector<Gpu>& all, const std::vector<size_t>& chosen) {
  std::string label = "gpu:";
  for (size_t i = 0; i < chosen.size(); ++i) label += (i ? "," : "") + std::to_string(all[chosen[i]].index);
  return label;
}

// The GPUs (indices into `all`) a device label names; the trainer may append
// its own description after a space.
std::vector<size_t> gpus_of_label(const std::vector<Gpu>& all, const std::string& device) {
  std::vector<size_t> chosen;
  if (device.rfind("gpu:", 0) != 0) return chosen;
  std::stringstream list(device.substr(4, device.find(' ') == std::string::npos ? std::string::npos : device.find(' ') - 4));
  for (std::string item; std::getline(list, item, ',');) {
    for (size_t i = 0; i < all.size(); ++i) {
      if (std::to_string(all[i].index) == item) chosen.push_back(i);
    }
  }
  return chosen;
}

int64_t memory_estimate_mib(const nlohmann::json& config) {
  return int64_t(std::ceil(config.value("gpu_memory_gb", 0.0) * 1024));
}

// A worker whose pid never reached the database (its orchestrator died
// between starting it and recording it): found by its run folder on its
// command line. 0 when there is none.
int64_t find_worker_of(const std::string& run_dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string command_line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // argv is NUL-separated: match "--run-dir\0<run_dir>\0" exactly.
    if (command_line.find(std::string("--run-dir") + '\0' + run_dir + '\0') != std::string::npos) {
      return std::stoll(name);
    }
  }
  return 0;
}

class SweepRunner {
 public:
  SweepRunner(Store& store, const SweepRecord& sweep, const SchedulerOptions& options)
      : store_(store), sweep_(sweep), options_(options) {}

  Result<SweepOutcome> run();

 private:
  Status recover_orphans();
  Status fill_slots();
  Status start_attempt(const CellRecord& cell);
  Status check_workers();
  Status finish(Active& active, std::optional<ProcessExit> exit);
  Status interrupt();
  // Asks options.on_interrupt (first Ctrl-C, workers running); true when the
  // user chose to leave the workers running.
  bool leave_workers_if_asked();
  Status report_progress();

  // The GPUs a cell would get now, if enough have room (see choose_gpus).
  std::optional<std::vector<size_t>> free_gpus(const CellRecord& cell) const;
  bool in_backoff(int64_t cell_id) const;
  int threads_of(const CellRecord& cell) const;
  int threads_in_use() const;

  Store& store_;
  const SweepRecord& sweep_;
  const SchedulerOptions& options_;
  LocalExecutor executor_;
  std::map<int64_t, Active> active_;  // by run id
  std::map<int64_t, Clock::time_point> retry_after_;  // cell id -> earliest retry
  // Pending cells in start order, read once and again only when a cell
  // returns to pending (a retry): per-trial cost must not grow with the sweep.
  std::list<CellRecord> queue_;
  bool queue_stale_ = true;
  bool changed_ = true;  // a cell changed state since the last progress report
  std::map<pid_t, int64_t> run_of_pid_;
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
    if (run.pid && is_worker_of(*run.pid, run.run_dir)) {
      // Still training: watch it to the end instead of starting it again.
      Active adopted(run, true);
      {
        // Its thread count counts against the cores like any worker's.
        std::ifstream config_file(fs::path(run.run_dir) / "config.json");
        auto config = nlohmann::json::parse(config_file, nullptr, false);
        if (config.is_object()) {
          adopted.threads = config.value("threads", 1);
          adopted.gpu_memory_mib = memory_estimate_mib(config);
        }
      }
      adopted.gpus = gpus_of_label(options_.gpus, run.device.value_or(""));
      active_.emplace(run.id, adopted);
      continue;
    }
    Active dead(run, true);
    HEADROOM_RETURN_IF_ERROR(finish(dead, std::nullopt));
  }
  return Ok{};
}

Status SweepRunner::start_attempt(const CellRecord& cell) {
  nlohmann::json config = cell.config;
  const int threads_wanted = threads_of(cell);
  config["threads"] = threads_wanted;
  // A cell pinned to the CPU never takes a GPU; any other gets one when the sweep has GPUs.
  const bool wants_cpu = config.value("device", "auto") == "cpu";
  std::vector<size_t> gpus;
  if (!wants_cpu && !options_.gpus.empty()) gpus = free_gpus(cell).value_or(std::vector<size_t>());
  if (!gpus.empty()) config["device"] = "cuda";
  HEADROOM_ASSIGN_OR_RETURN(PreparedAttempt prepared, prepare_attempt(store_, sweep_, cell, config));
  RunRecord run = prepared.run;
  const bool resume = prepared.resume;
  const fs::path run_dir = run.run_dir;
  LaunchRequest request;
  request.argv = {options_.trainer_path, "--config", (run_dir / "config.json").string(),
                  "--run-dir", run_dir.string()};
  if (resume) request.argv.push_back("--resume");
  const std::string threads = std::to_string(threads_wanted);
  // OpenBLAS ignores torch's thread setting: both must be told (TOOLCHAIN.md).
  request.environment = {{"OMP_NUM_THREADS", threads}, {"OPENBLAS_NUM_THREADS", threads},
                         {"MKL_NUM_THREADS", threads},
                         // GPUs by UUID (immune to renumbering), or none at all.
                         {"CUDA_VISIBLE_DEVICES", [&] {
                            std::string uuids;
                            for (size_t i : gpus) uuids += (uuids.empty() ? "" : ",") + options_.gpus[i].uuid;
                            return uuids;
                          }()}};
  request.stdout_path = (run_dir / "stdout.log").string();
  request.stderr_path = (run_dir / "stderr.log").string();
  auto pid = executor_.start(request);
  if (!pid) {
    RunEnd end{"failed", std::nullopt, std::nullopt, pid.error().to_string()};
    HEADROOM_RETURN_IF_ERROR(store_.finish_run(run.id, end, "failed"));
    return pid.error();
  }
  const std::string device = gpus.empty() ? std::string("cpu") : gpu_device_label(options_.gpus, gpus);
  HEADROOM_RETURN_IF_ERROR(store_.mark_running(run.id, pid.value(), host_name(), device));
  run.pid = pid.value();
  run.state = "running";
  Active active(run);
  active.gpus = gpus;
  active.gpu_memory_mib = memory_estimate_mib(cell.config);
  active.threads = threads_wanted;
  changed_ = true;
  active_.emplace(run.id, active);
  run_of_pid_[pid.value()] = run.id;
  return Ok{};
}

Status SweepRunner::fill_slots() {
  if (int64_t(active_.size()) >= options_.jobs) return Ok{};
  if (queue_stale_) {
    HEADROOM_ASSIGN_OR_RETURN(auto pending, store_.cells(sweep_.id, "pending"));
    sort_for_start(pending);
    queue_.assign(pending.begin(), pending.end());
    queue_stale_ = false;
  }
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (int64_t(active_.size()) >= options_.jobs || interrupt_requested) break;
    const bool wants_cpu = it->config.value("device", "auto") == "cpu";
    if (in_backoff(it->id) || (!options_.gpus.empty() && !wants_cpu && !free_gpus(*it)) ||
        threads_in_use() + threads_of(*it) > options_.cpu_cores) {
      ++it;  // a crashed cell waiting out its back-off, every GPU full, or too few free cores
      continue;
    }
    // `headroom cancel` may have taken the cell since the queue was read.
    HEADROOM_ASSIGN_OR_RETURN(CellRecord current, store_.cell(it->id));
    if (current.state == "pending") HEADROOM_RETURN_IF_ERROR(start_attempt(current));
    it = queue_.erase(it);
  }
  return Ok{};
}

std::optional<std::vector<size_t>> SweepRunner::free_gpus(const CellRecord& cell) const {
  const size_t wanted = size_t(std::max<int64_t>(1, cell.config.value("gpus", int64_t(1))));
  const int64_t estimate = memory_estimate_mib(cell.config);
  // Each GPU's free memory at discovery is shared out: a worker with an
  // estimate reserves it, one without reserves a 1/per_gpu share. A GPU that
  // reported no memory is split into per_gpu units, so --per-gpu still holds.
  std::vector<std::pair<int64_t, size_t>> room;  // (room left after this cell, GPU)
  for (size_t i = 0; i < options_.gpus.size(); ++i) {
    const Gpu& gpu = options_.gpus[i];
    const int64_t free = gpu.memory_total_mib - gpu.memory_used_mib;
    const int64_t capacity = free > 0 ? free : options_.per_gpu;
    const int64_t share = capacity / options_.per_gpu;
    int64_t reserved = 0;
    for (const auto& [run_id, active] : active_) {
      if (std::find(active.gpus.begin(), active.gpus.end(), i) == active.gpus.end()) continue;
      reserved += active.gpu_memory_mib > 0 ? active.gpu_memory_mib : share;
    }
    const int64_t need = estimate > 0 ? estimate : share;
    if (reserved + need <= capacity) room.push_back({capacity - reserved - need, i});
  }
  if (room.size() < wanted) return std::nullopt;
  // The roomiest GPUs first, so that load spreads; then by index.
  std::stable_sort(room.begin(), room.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<size_t> chosen;
  for (size_t i = 0; i < wanted; ++i) chosen.push_back(room[i].second);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

int SweepRunner::threads_of(const CellRecord& cell) const {
  return options_.cells_set_threads ? cell.config.value("threads", 1) : options_.threads_per_run;
}

int SweepRunner::threads_in_use() const {
  int threads = 0;
  for (const auto& [run_id, active] : active_) threads += active.threads;
  return threads;
}

bool SweepRunner::in_backoff(int64_t cell_id) const {
  auto until = retry_after_.find(cell_id);
  return until != retry_after_.end() && Clock::now() < until->second;
}

// A crashed attempt is retried while the cell's crashes stay within `retries`.
Status SweepRunner::finish(Active& active, std::optional<ProcessExit> exit) {
  HEADROOM_RETURN_IF_ERROR(ingest_run(store_, active.run.id));
  HEADROOM_ASSIGN_OR_RETURN(RunRecord run, store_.run(active.run.id));
  const std::string status = run.end_status.value_or("");
  RunEnd end;
  if (exit) {
    end.exit_code = exit->exit_code;
    end.signal = exit->signal;
  }
  std::string cell_state;
  if (active.cancelled || status == "preempted") {
    end.state = "cancelled";
    cell_state = "pending";
  } else if (active.hung) {
    end.state = "failed";
    end.error = "hung: no event for " + std::to_string(int(options_.hang_seconds)) + " s; stopped";
  } else if (active.timed_out) {
    end.state = "timeout";
    end.error = "stopped after the sweep's timeout of " + std::to_string(options_.timeout_seconds) + " s";
    cell_state = "failed";
  } else if (!exit && status.empty()) {
    // An orphan that died with its orchestrator: not the cell's fault.
    end.state = "lost";
    end.error = "the worker was gone when the orchestrator restarted";
    cell_state = "pending";
  } else {
    // Killed by a signal counts as a non-zero exit, even after an "ok" end event.
    std::optional<int64_t> code;
    if (exit) code = exit->exit_code ? int64_t(*exit->exit_code) : -1;
    end.state = attempt_state(status, code);
    if (end.state == "succeeded") cell_state = "succeeded";
    if (end.state == "diverged" || end.state == "invalid") cell_state = "failed";
  }
  if (!run.error && end.state != "succeeded" && !end.error) {
    std::string tail = last_lines((fs::path(run.run_dir) / "stderr.log").string(), 5);
    if (exit && exit->signal) tail = "killed by signal " + std::to_string(*exit->signal) + (tail.empty() ? "" : "\n" + tail);
    if (!tail.empty()) end.error = tail;
  }
  changed_ = true;
  if (end.state == "failed") {
    HEADROOM_ASSIGN_OR_RETURN(cell_state, cell_state_after_failure(store_, run, options_.retries));
    if (cell_state == "pending") {
      HEADROOM_ASSIGN_OR_RETURN(auto delay, retry_delay(store_, run, options_.retry_backoff));
      retry_after_[run.cell_id] = Clock::now() + delay;
    }
  }
  HEADROOM_RETURN_IF_ERROR(store_.finish_run(run.id, end, cell_state));
  if (cell_state == "pending") queue_stale_ = true;
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
    if (ingested.events > 0) active.last_event = now;
    auto stop = [&] {
      if (active.adopted) {
        ::kill(pid_t(*active.run.pid), SIGTERM);
      } else {
        executor_.stop(pid_t(*active.run.pid), options_.stop_grace);
      }
    };
    if (options_.timeout_seconds > 0 && !active.timed_out && !active.hung &&
        now - active.started > std::chrono::duration<double>(options_.timeout_seconds)) {
      active.timed_out = true;
      stop();
    }
    if (options_.hang_seconds > 0 && !active.timed_out && !active.hung &&
        now - active.last_event > std::chrono::duration<double>(options_.hang_seconds)) {
      active.hung = true;
      stop();
    }
    ++it;
  }
  return Ok{};
}

Status SweepRunner::interrupt() {
  for (auto& [run_id, active] : active_) {
    active.cancelled = true;
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
  if (terminate_requested || !options_.on_interrupt || active_.empty()) return false;
  const int seen = interrupts_seen;
  const auto again = [seen] { return terminate_requested || interrupts_seen > seen; };
  return options_.on_interrupt(active_.size(), again) == InterruptChoice::leave_workers && !again();
}

Status SweepRunner::report_progress() {
  if (!changed_) return Ok{};
  changed_ = false;
  return progress_.report(store_, sweep_);
}

Result<SweepOutcome> SweepRunner::run() {
  interrupt_requested = false;
  terminate_requested = false;
  interrupts_seen = 0;
  struct sigaction action = {};
  action.sa_handler = request_interrupt;
  struct sigaction previous_int, previous_term;
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  auto result = [&]() -> Result<SweepOutcome> {
    HEADROOM_RETURN_IF_ERROR(recover_orphans());
    SweepOutcome outcome;
    while (true) {
      if (interrupt_requested) {
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
      if (active_.empty()) {
        bool waiting = false;  // a crashed cell waits out its back-off
        for (const auto& [cell, until] : retry_after_) waiting = waiting || Clock::now() < until;
        if (!waiting) break;
      }
      executor_.wait_for_exit(options_.poll_interval);
      HEADROOM_RETURN_IF_ERROR(check_workers());
    }
    HEADROOM_RETURN_IF_ERROR(count_cells(store_, sweep_.id, outcome));
    return outcome;
  }();
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  return result;
}

}  // namespace

Result<SweepOutcome> run_sweep(Store& store, const SweepRecord& sweep, const SchedulerOptions& options) {
  SweepRunner runner(store, sweep, options);
  return runner.run();
}

}  // namespace headroom
