#include "orchestrator/query/run_details.h"

#include <filesystem>

#include "common/protocol.h"

namespace headroom {

namespace fs = std::filesystem;

Result<nlohmann::ordered_json> run_details(Store& store, const RunRecord& run) {
  HEADROOM_ASSIGN_OR_RETURN(CellRecord cell, store.cell(run.cell_id));
  HEADROOM_ASSIGN_OR_RETURN(SweepRecord sweep, store.sweep(cell.sweep_id));
  HEADROOM_ASSIGN_OR_RETURN(auto attempts, store.runs_of_cell(cell.id));
  HEADROOM_ASSIGN_OR_RETURN(Table summaries, store.summaries(run.id));
  HEADROOM_ASSIGN_OR_RETURN(auto notes, store.notes(std::nullopt, run.id));
  HEADROOM_ASSIGN_OR_RETURN(auto tags, store.tags(run.id));

  nlohmann::ordered_json out;
  out["run"] = run.id;
  out["sweep"] = sweep.name;
  out["cell"] = cell.hash.substr(0, 12);
  out["attempt"] = run.attempt;
  out["attempts_of_cell"] = attempts.size();
  out["state"] = to_string(run.state);
  out["exit_code"] = run.exit_code ? nlohmann::json(*run.exit_code) : nlohmann::json();
  out["signal"] = run.signal ? nlohmann::json(*run.signal) : nlohmann::json();
  out["started_at"] = run.started_at ? nlohmann::json(*run.started_at) : nlohmann::json();
  out["ended_at"] = run.ended_at ? nlohmann::json(*run.ended_at) : nlohmann::json();
  out["host"] = run.host.value_or("");
  out["device"] = run.device.value_or("");
  out["parameters"] = cell.parameters;
  if (cell.worker.is_null()) {
    out["head_size"] = cell.config.value("head_size", nlohmann::json());
    out["parameter_count"] = cell.parameter_count;
    out["non_embedding_parameters"] = cell.non_embedding_parameters;
    out["flops_per_token"] = cell.flops_per_token;
  } else {
    // A program's model is its own: what it ran, not a size Headroom cannot know.
    out["program"] = {{"path", cell.worker.value("path", "")}, {"command", cell.worker.value("command", nlohmann::json())}};
  }
  out["tags"] = tags;
  out["error"] = run.error ? nlohmann::json(*run.error) : nlohmann::json();
  out["rejected_event_lines"] = run.rejected_lines;
  out["event_problem"] = run.event_problem ? nlohmann::json(*run.event_problem) : nlohmann::json();
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& row : summaries.rows) {
    metrics[row[0].get<std::string>()] = {{"step", row[1]}, {"last", row[2]}, {"min", row[3]}, {"max", row[4]}};
  }
  out["final_metrics"] = metrics;
  nlohmann::json attempt_list = nlohmann::json::array();
  for (const auto& attempt : attempts) {
    attempt_list.push_back({{"run", attempt.id},
                            {"attempt", attempt.attempt},
                            {"state", to_string(attempt.state)},
                            {"exit_code", attempt.exit_code ? nlohmann::json(*attempt.exit_code) : nlohmann::json()},
                            {"error", attempt.error ? nlohmann::json(*attempt.error) : nlohmann::json()}});
  }
  out["attempts"] = attempt_list;
  nlohmann::json note_list = nlohmann::json::array();
  for (const auto& note : notes) note_list.push_back({{"time", note.created_at}, {"text", note.text}});
  out["notes"] = note_list;
  const fs::path dir = run.run_dir;
  out["paths"] = {{"run_dir", dir.string()},
                  {"config", (dir / protocol::kConfigFile).string()},
                  {"events", (dir / protocol::kEventsFile).string()},
                  {"stdout", (dir / protocol::kStdoutFile).string()},
                  {"stderr", (dir / protocol::kStderrFile).string()},
                  {"checkpoint", (dir / protocol::kCheckpointFolder).string()}};
  out["config"] = cell.config;
  return out;
}

}  // namespace headroom
