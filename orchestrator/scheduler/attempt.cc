#include "orchestrator/scheduler/attempt.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>

namespace headroom {

namespace fs = std::filesystem;

Result<PreparedAttempt> prepare_attempt(Store& store, const SweepRecord& sweep, const CellRecord& cell,
                                        const nlohmann::json& config) {
  HEADROOM_ASSIGN_OR_RETURN(auto previous, store.runs_of_cell(cell.id));
  PreparedAttempt attempt;
  HEADROOM_ASSIGN_OR_RETURN(attempt.run, store.begin_attempt(sweep, cell));
  const fs::path run_dir = attempt.run.run_dir;
  std::error_code error;
  fs::remove_all(run_dir, error);  // a leftover of an attempt that never started
  fs::create_directories(run_dir, error);
  if (error) return Error::io("cannot create run folder '" + run_dir.string() + "': " + error.message());

  // A retried cell continues from the newest checkpoint an earlier attempt left.
  for (auto it = previous.rbegin(); it != previous.rend() && !attempt.resume; ++it) {
    const fs::path checkpoint = fs::path(it->run_dir) / "checkpoint";
    if (fs::exists(checkpoint / "state.pt")) {
      fs::copy(checkpoint, run_dir / "checkpoint", fs::copy_options::recursive, error);
      attempt.resume = !error;
    }
  }
  std::ofstream out(run_dir / "config.json");
  out << config.dump(2) << "\n";
  out.close();
  if (!out) return Error::io("cannot write '" + (run_dir / "config.json").string() + "'");
  return attempt;
}

std::string attempt_state(const std::string& end_status, std::optional<int64_t> exit_code) {
  if (end_status == "ok" && (!exit_code || *exit_code == 0)) return "succeeded";
  if (end_status == "diverged" || exit_code == kWorkerDiverged) return "diverged";
  if (end_status == "invalid_config" || exit_code == kWorkerInvalidConfig) return "invalid";
  return "failed";
}

Result<std::string> cell_state_after_failure(Store& store, const RunRecord& run, int retries) {
  HEADROOM_ASSIGN_OR_RETURN(auto attempts, store.runs_of_cell(run.cell_id));
  int failures = 1;  // this one
  for (const auto& attempt : attempts) {
    if (attempt.id != run.id && attempt.state == "failed") ++failures;
  }
  return failures <= retries ? std::string("pending") : std::string("failed");
}

Result<std::chrono::milliseconds> retry_delay(Store& store, const RunRecord& failed, std::chrono::milliseconds base) {
  HEADROOM_ASSIGN_OR_RETURN(auto attempts, store.runs_of_cell(failed.cell_id));
  int failures = 0;
  for (const auto& attempt : attempts) failures += attempt.state == "failed" || attempt.id == failed.id;
  // A crash that repeats at once (a full disk, a busy GPU) must not burn every retry in a second.
  const auto delay = base * (int64_t(1) << std::clamp(failures - 1, 0, 16));
  return std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5));
}

void sort_for_start(std::vector<CellRecord>& cells) {
  std::stable_sort(cells.begin(), cells.end(), [](const CellRecord& a, const CellRecord& b) {
    const int64_t pa = a.config.value("priority", int64_t(0)), pb = b.config.value("priority", int64_t(0));
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
