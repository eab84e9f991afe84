#include "orchestrator/scheduler/attempt.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>

#include "common/protocol.h"
#include "common/text_file.h"
#include "orchestrator/ingest/ingest.h"
#include "orchestrator/scheduler/early_termination.h"

namespace headroom {

namespace fs = std::filesystem;

Result<PreparedAttempt> prepare_attempt(Store& store, const SweepRecord& sweep, const CellRecord& cell,
                                        AttemptSetup setup) {
  HEADROOM_ASSIGN_OR_RETURN(auto previous, store.runs_of_cell(cell.id));
  PreparedAttempt attempt;
  HEADROOM_ASSIGN_OR_RETURN(attempt.run, store.begin_attempt(sweep, cell));
  const fs::path run_dir = attempt.run.run_dir;
  std::error_code error;
  fs::remove_all(run_dir, error);  // a leftover of an attempt that never started
  fs::create_directories(run_dir, error);
  if (error) return Error::io("cannot create run folder '" + run_dir.string() + "': " + error.message());

  // A retried cell continues from the newest checkpoint an earlier attempt left.
  const fs::path checkpoint_folder(protocol::kCheckpointFolder);
  for (auto it = previous.rbegin(); it != previous.rend() && !attempt.resume; ++it) {
    if (holds_checkpoint(it->run_dir, cell)) {
      fs::copy(fs::path(it->run_dir) / checkpoint_folder, run_dir / checkpoint_folder, fs::copy_options::recursive, error);
      attempt.resume = !error;
    }
  }
  setup.support_folder = (fs::path(sweep.runs_root) / sweep.name / ".headroom").string();
  if (!cell.worker.is_null()) HEADROOM_RETURN_IF_ERROR(write_python_support(setup.support_folder));
  attempt.launch = worker_launch(sweep, cell, attempt.run, attempt.resume, setup);
  for (const auto& [name, content] : attempt.launch.files) {
    HEADROOM_RETURN_IF_ERROR(write_text_file((run_dir / name).string(), content));
  }
  return attempt;
}

const std::vector<std::string>& thread_count_variables() {
  static const std::vector<std::string> names = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"};
  return names;
}

std::map<std::string, std::string> worker_environment(int threads, const std::string& cuda_visible_devices) {
  std::map<std::string, std::string> environment;
  for (const auto& name : thread_count_variables()) environment[name] = std::to_string(threads);
  environment["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices;
  return environment;
}

Result<Decision> end_attempt(Store& store, int64_t run_id, AttemptFacts facts, const LifecyclePolicy& policy) {
  HEADROOM_RETURN_IF_ERROR(ingest_run(store, run_id, WorkerEnded::yes));
  HEADROOM_ASSIGN_OR_RETURN(RunRecord run, store.run(run_id));
  facts.end_status = run.end_status.value_or("");
  facts.error_recorded = run.error.has_value();
  facts.event_problem = run.event_problem.value_or("");
  facts.stderr_tail = last_lines((fs::path(run.run_dir) / protocol::kStderrFile).string(), 5);
  // A stop this orchestrator decided, or one killed before the attempt ended.
  if (facts.stopped_early.empty()) facts.stopped_early = recorded_early_stop(run.run_dir);
  Decision decision;
  HEADROOM_RETURN_IF_ERROR(store.finish_run(run_id, [&](const CellHistory& history) {
    decision = decide(facts, history, policy);
    return AttemptOutcome{decision.end, decision.cell};
  }));
  return decision;
}

bool RetryBackoffs::waiting(int64_t cell_id) const {
  auto until = until_.find(cell_id);
  return until != until_.end() && Clock::now() < until->second;
}

bool RetryBackoffs::any_waiting() const {
  const auto now = Clock::now();
  return std::any_of(until_.begin(), until_.end(), [&](const auto& entry) { return now < entry.second; });
}

void sort_for_start(std::vector<CellRecord>& cells) {
  std::stable_sort(cells.begin(), cells.end(), [](const CellRecord& a, const CellRecord& b) {
    const int64_t pa = a.resources.priority, pb = b.resources.priority;
    return pa != pb ? pa > pb : a.estimated_flops > b.estimated_flops;
  });
}

std::string last_lines(const std::string& path, size_t count) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    lines.push_back(line);
    if (lines.size() > count) lines.pop_front();
  }
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  return text;
}

}  // namespace headroom
