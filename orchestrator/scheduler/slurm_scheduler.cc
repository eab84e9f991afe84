#include "orchestrator/scheduler/slurm_scheduler.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/protocol.h"
#include "common/text_file.h"
#include "orchestrator/executors/slurm.h"
#include "orchestrator/ingest/ingest.h"
#include "orchestrator/scheduler/attempt.h"
#include "orchestrator/scheduler/progress.h"
#include "orchestrator/scheduler/slurm_task_end.h"
#include "orchestrator/scheduler/stop_signals.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One attempt out in SLURM: task `index` of array `array_job`.
struct Tracked {
  RunRecord run;
  std::string array_job;
  int index = 0;
  bool running = false;  // SLURM said RUNNING once
  std::optional<Clock::time_point> unsure_since;  // looked over, maybe requeued (slurm_task_end.h)
  std::string stopped_early;  // why the early_terminate rule cancelled it
};

// "4711_3" -> ("4711", 3).
std::optional<std::pair<std::string, int>> split_task(const std::string& job) {
  const auto underscore = job.rfind('_');
  if (underscore == std::string::npos) return std::nullopt;
  try {
    return std::make_pair(job.substr(0, underscore), std::stoi(job.substr(underscore + 1)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// sbatch --time from the sweep's timeout: whole minutes, rounded up.
std::string minutes_for(double seconds) { return std::to_string(int64_t(std::ceil(seconds / 60.0))); }

class SlurmRunner {
 public:
  SlurmRunner(Store& store, const SweepRecord& sweep, const SlurmSchedulerOptions& options)
      : store_(store), sweep_(sweep), options_(options) {}

  Result<SweepOutcome> run();

 private:
  Status recover();
  // Asks the search (options.add_cell) for cells while fewer trials than
  // its limit are out.
  Status extend_search();
  Status submit_pending();
  Status submit_group(const std::vector<CellRecord>& cells, int threads, int gpus);
  Status poll();
  // Cancels the tasks the sweep's early_terminate rule judges behind.
  Status terminate_early();
  Status finish(const Tracked& tracked, const std::optional<slurm::Task>& task);
  int threads_of(const CellRecord& cell) const { return worker_threads(cell.resources, options_.threads_per_run); }

  Store& store_;
  const SweepRecord& sweep_;
  const SlurmSchedulerOptions& options_;
  std::map<int64_t, Tracked> active_;                 // by run id
  RetryBackoffs backoffs_;
  // Cells whose task someone cancelled in SLURM itself (not `headroom cancel`):
  // pending, but not submitted again by this run; `headroom resume` does.
  std::set<int64_t> cancelled_in_slurm_;
  ProgressReporter progress_{options_.progress};
  bool search_open_ = true;      // options.add_cell may still make cells
  bool search_waiting_ = false;  // it said wait: ask again once an attempt has ended
};

Status SlurmRunner::recover() {
  HEADROOM_ASSIGN_OR_RETURN(auto orphans, store_.active_runs(sweep_.id));
  for (auto& run : orphans) {
    if (!run.slurm_job) {
      return Error::busy("sweep '" + sweep_.name + "' has attempts started by the local executor still recorded "
                         "as running: finish them with `headroom resume " + sweep_.name + " --executor local` first");
    }
    std::string job = *run.slurm_job;
    const std::string submitting = "submitting:";
    if (job.rfind(submitting, 0) == 0) {
      // The orchestrator died around sbatch: the array exists if SLURM knows its name.
      auto name_and_index = split_task(job.substr(submitting.size()));
      std::optional<std::string> array;
      if (name_and_index) {
        HEADROOM_ASSIGN_OR_RETURN(array, slurm::find_array(name_and_index->first));
      }
      if (!array) {
        AttemptFacts facts;
        facts.start_failure = "never reached SLURM (the orchestrator stopped while submitting it)";
        HEADROOM_RETURN_IF_ERROR(end_attempt(store_, run.id, facts, options_.lifecycle));
        continue;
      }
      job = *array + "_" + std::to_string(name_and_index->second);
      HEADROOM_RETURN_IF_ERROR(store_.set_slurm_job(run.id, job));
    }
    auto task = split_task(job);
    if (!task) return Error::corrupt("run " + std::to_string(run.id) + " has a malformed SLURM job '" + job + "'");
    active_[run.id] = Tracked{run, task->first, task->second, run.state == RunState::running, std::nullopt, ""};
  }
  return Ok{};
}

Status SlurmRunner::extend_search() {
  if (!options_.add_cell) return Ok{};
  const size_t limit = options_.slurm.throttle > 0 ? size_t(options_.slurm.throttle) : kSearchTrialsInFlightOnSlurm;
  HEADROOM_ASSIGN_OR_RETURN(auto pending, store_.cells(sweep_.id, CellState::pending));
  size_t out = active_.size() + pending.size();
  while (search_open_ && !search_waiting_ && out < limit) {
    HEADROOM_ASSIGN_OR_RETURN(SearchStep step, options_.add_cell());
    search_open_ = step != SearchStep::over;
    search_waiting_ = step == SearchStep::wait;
    if (step == SearchStep::added) ++out;
  }
  return Ok{};
}

Status SlurmRunner::submit_pending() {
  HEADROOM_ASSIGN_OR_RETURN(auto pending, store_.cells(sweep_.id, CellState::pending));
  sort_for_start(pending);
  // One array per resource shape: every task of an array asks for the same.
  std::map<std::pair<int, int>, std::vector<CellRecord>> groups;
  std::vector<std::pair<int, int>> order;
  for (const auto& cell : pending) {
    if (cancelled_in_slurm_.count(cell.id) || backoffs_.waiting(cell.id)) continue;
    const int gpus = options_.slurm.gpus && !cell.resources.pinned_to_cpu() ? int(cell.resources.gpus) : 0;
    const auto shape = std::make_pair(threads_of(cell), gpus);
    if (!groups.count(shape)) order.push_back(shape);
    groups[shape].push_back(cell);
  }
  for (const auto& shape : order) HEADROOM_RETURN_IF_ERROR(submit_group(groups[shape], shape.first, shape.second));
  return Ok{};
}

namespace {

// Each attempt's worker under SLURM is started by RUN/launch.sh, written
// when the attempt is prepared (worker_command.h's launch_script).
constexpr std::string_view kLaunchScript = "launch.sh";

}  // namespace

Status SlurmRunner::submit_group(const std::vector<CellRecord>& cells, int threads, int gpus) {
  std::vector<PreparedAttempt> attempts;
  for (const auto& cell : cells) {
    AttemptSetup setup;
    setup.threads = threads;
    setup.trainer_path = options_.trainer_path;
    HEADROOM_ASSIGN_OR_RETURN(PreparedAttempt attempt, prepare_attempt(store_, sweep_, cell, setup));
    HEADROOM_RETURN_IF_ERROR(write_text_file((fs::path(attempt.run.run_dir) / kLaunchScript).string(),
                                             launch_script(attempt.run.run_dir, attempt.launch, cell)));
    attempts.push_back(std::move(attempt));
  }
  const fs::path folder = fs::path(sweep_.runs_root) / sweep_.name / "slurm";
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return Error::io("cannot create '" + folder.string() + "': " + error.message());
  // Unique per submission, and found again by name after a crash.
  const std::string name = "headroom-" + std::to_string(sweep_.id) + "-" + std::to_string(attempts.front().run.id);
  for (size_t i = 0; i < attempts.size(); ++i) {
    HEADROOM_RETURN_IF_ERROR(store_.set_slurm_job(attempts[i].run.id, "submitting:" + name + "_" + std::to_string(i)));
  }
  // Task i runs the attempt whose run folder is on line i + 1 of the list. It
  // resumes from a checkpoint in that folder: one copied from an earlier
  // attempt, or its own when SLURM requeued the task after a preemption.
  const fs::path list = folder / (name + ".runs"), script = folder / (name + ".sh");
  {
    std::ofstream out(list);
    for (const auto& attempt : attempts) out << attempt.run.run_dir << "\n";
    std::string thread_variables;
    for (const auto& variable : thread_count_variables()) thread_variables += " " + variable + "=$threads";
    const auto in_dir = [](std::string_view file) { return "\"$dir/" + std::string(file) + "\""; };
    std::ofstream sh(script);
    sh << "#!/bin/sh\n"
       << "# Submitted by headroom for sweep '" << sweep_.name << "': " << attempts.size() << " cells, one per task.\n"
       << "dir=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '" << list.string() << "')\n"
       << "threads=${SLURM_CPUS_PER_TASK:-1}\n"
       << "export" << thread_variables << "\n"
       << "exec /bin/sh " << in_dir(kLaunchScript) << " >> " << in_dir(protocol::kStdoutFile) << " 2>> "
       << in_dir(protocol::kStderrFile) << "\n";
    sh.close();
    if (!out || !sh) return Error::io("cannot write the SLURM job files in '" + folder.string() + "'");
  }
  fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, error);

  slurm::ArrayRequest request;
  request.script = script.string();
  request.tasks = attempts.size();
  request.throttle = options_.slurm.throttle;
  request.job_name = name;
  request.output = (folder / (name + "_%a.out")).string();
  request.working_dir = (fs::path(sweep_.runs_root) / sweep_.name).string();
  request.cpus_per_task = threads;
  request.gpus_per_task = gpus;
  request.memory = options_.slurm.memory;
  const double timeout = options_.lifecycle.timeout_seconds;
  request.time_limit = !options_.slurm.time.empty() ? options_.slurm.time : timeout > 0 ? minutes_for(timeout) : "";
  request.partition = options_.slurm.partition;
  request.account = options_.slurm.account;
  request.qos = options_.slurm.qos;
  request.extra_arguments = options_.slurm.sbatch_arguments;
  auto array = slurm::submit_array(request);
  if (!array) {
    // SLURM refused the request itself (a wrong partition, a bad argument): nothing ran.
    for (const auto& attempt : attempts) {
      AttemptFacts facts;
      facts.start_failure = array.error().to_string();
      HEADROOM_RETURN_IF_ERROR(end_attempt(store_, attempt.run.id, facts, options_.lifecycle));
    }
    return array.error();
  }
  for (size_t i = 0; i < attempts.size(); ++i) {
    const std::string job = array.value() + "_" + std::to_string(i);
    HEADROOM_RETURN_IF_ERROR(store_.set_slurm_job(attempts[i].run.id, job));
    active_[attempts[i].run.id] = Tracked{attempts[i].run, array.value(), int(i), false, std::nullopt, ""};
  }
  return Ok{};
}

Status SlurmRunner::poll() {
  std::map<std::string, std::map<int, slurm::Task>> arrays;
  for (const auto& [run_id, tracked] : active_) {
    if (!arrays.count(tracked.array_job)) {
      HEADROOM_ASSIGN_OR_RETURN(arrays[tracked.array_job], slurm::query_array(tracked.array_job));
    }
  }
  for (auto it = active_.begin(); it != active_.end();) {
    Tracked& tracked = it->second;
    HEADROOM_RETURN_IF_ERROR(ingest_run(store_, tracked.run.id));
    const auto& tasks = arrays[tracked.array_job];
    auto found = tasks.find(tracked.index);
    std::optional<slurm::Task> task;
    if (found != tasks.end()) task = found->second;
    if (task && !tracked.running &&
        (task->state == slurm::State::running || task->state == slurm::State::completing || slurm::is_final(task->state))) {
      HEADROOM_RETURN_IF_ERROR(store_.mark_running_in_slurm(tracked.run.id, ""));
      tracked.running = true;
    }
    std::string end_status;
    if (!task || slurm::is_final(task->state)) {
      HEADROOM_ASSIGN_OR_RETURN(RunRecord run, store_.run(tracked.run.id));
      end_status = run.end_status.value_or("");
    }
    if (judge_task_end(task, end_status, tracked.unsure_since, Clock::now(), options_.task_end_settle) !=
        TaskEnd::ended) {
      ++it;
      continue;
    }
    HEADROOM_RETURN_IF_ERROR(finish(tracked, task));
    it = active_.erase(it);
  }
  return terminate_early();
}

Status SlurmRunner::terminate_early() {
  if (!options_.early_termination || active_.empty()) return Ok{};
  HEADROOM_ASSIGN_OR_RETURN(auto stops, early_stops(store_, sweep_.id, *options_.early_termination));
  for (const auto& stop : stops) {
    auto found = active_.find(stop.run_id);
    if (found == active_.end() || !found->second.stopped_early.empty()) continue;
    HEADROOM_RETURN_IF_ERROR(record_early_stop(found->second.run.run_dir, stop.reason));
    HEADROOM_RETURN_IF_ERROR(slurm::cancel(found->second.array_job, found->second.index));
    found->second.stopped_early = stop.reason;
  }
  return Ok{};
}

Status SlurmRunner::finish(const Tracked& tracked, const std::optional<slurm::Task>& task) {
  AttemptFacts facts;
  facts.where = "SLURM task " + tracked.array_job + "_" + std::to_string(tracked.index);
  facts.stopped_early = tracked.stopped_early;
  if (task) {
    facts.slurm_state = task->state;
    facts.exit_code = task->exit_code;
    if (task->signal && *task->signal != 0) facts.signal = task->signal;
  } else {
    facts.vanished = true;
  }
  HEADROOM_ASSIGN_OR_RETURN(Decision decision, end_attempt(store_, tracked.run.id, facts, options_.lifecycle));
  if (decision.retry_after) backoffs_.wait(tracked.run.cell_id, *decision.retry_after);
  if (decision.hold_until_resume) cancelled_in_slurm_.insert(tracked.run.cell_id);
  search_waiting_ = false;
  return Ok{};
}

Result<SweepOutcome> SlurmRunner::run() {
  StopSignals signals;
  HEADROOM_RETURN_IF_ERROR(recover());
  SweepOutcome outcome;
  while (true) {
    if (StopSignals::requested()) {
      outcome.interrupted = true;
      outcome.left_running = active_.size();
      break;
    }
    HEADROOM_RETURN_IF_ERROR(extend_search());
    HEADROOM_RETURN_IF_ERROR(submit_pending());
    HEADROOM_RETURN_IF_ERROR(poll());
    HEADROOM_RETURN_IF_ERROR(progress_.report(store_, sweep_));
    if (active_.empty()) {
      // Done unless a cell is still to go out (one whose attempt was just
      // lost, a failed one waiting out its back-off) or a search may make one.
      HEADROOM_ASSIGN_OR_RETURN(auto pending, store_.cells(sweep_.id, CellState::pending));
      const bool more = std::any_of(pending.begin(), pending.end(),
                                    [&](const CellRecord& cell) { return !cancelled_in_slurm_.count(cell.id); });
      if (!more && !(options_.add_cell && search_open_ && !search_waiting_)) break;
    }
    // Sleep in short steps so that Ctrl-C is answered at once.
    for (auto slept = std::chrono::milliseconds(0); slept < options_.poll_interval && !StopSignals::requested();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  HEADROOM_RETURN_IF_ERROR(count_cells(store_, sweep_.id, outcome));
  return outcome;
}

}  // namespace

Result<SweepOutcome> run_sweep_on_slurm(Store& store, const SweepRecord& sweep, const SlurmSchedulerOptions& options) {
  SlurmRunner runner(store, sweep, options);
  return runner.run();
}

}  // namespace headroom
