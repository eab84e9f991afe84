#include "orchestrator/store/rows.h"

#include <stdexcept>

namespace headroom::store_rows {

const char* const kSweepColumns =
    "id, name, spec_text, spec_hash, spec_path, runs_root, created_at, metric, goal, state, "
    "orchestrator_host, orchestrator_pid";

const char* const kCellColumns =
    "id, sweep_id, ordinal, hash, parameters, config, state, parameter_count, "
    "non_embedding_parameters, flops_per_token, estimated_flops, resources, worker, search_group, search_role";

const char* const kRunColumns =
    "id, cell_id, attempt, state, run_dir, pid, started_at, ended_at, exit_code, signal, error, "
    "end_status, events_offset, host, device, slurm_job, rejected_lines, event_problem";

namespace {

std::optional<std::string> optional_text(const sqlite::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.text(column);
}

}  // namespace

CellState cell_state(const std::string& text) {
  if (auto state = parse_cell_state(text)) return *state;
  throw std::runtime_error("the database holds a cell state '" + text + "' this headroom does not know");
}

RunState run_state(const std::string& text) {
  if (auto state = parse_run_state(text)) return *state;
  throw std::runtime_error("the database holds a run state '" + text + "' this headroom does not know");
}

SweepState sweep_state(const std::string& text) {
  if (auto state = parse_sweep_state(text)) return *state;
  throw std::runtime_error("the database holds a sweep state '" + text + "' this headroom does not know");
}

SweepRecord read_sweep(const sqlite::Statement& row) {
  SweepRecord sweep;
  sweep.id = row.integer(0);
  sweep.name = row.text(1);
  sweep.spec_text = row.text(2);
  sweep.spec_hash = row.text(3);
  sweep.spec_path = row.text(4);
  sweep.runs_root = row.text(5);
  sweep.created_at = row.real(6);
  sweep.metric = optional_text(row, 7);
  sweep.goal = optional_text(row, 8);
  sweep.state = sweep_state(row.text(9));
  sweep.orchestrator_host = optional_text(row, 10);
  sweep.orchestrator_pid = row.optional_integer(11);
  return sweep;
}

CellRecord read_cell(const sqlite::Statement& row) {
  CellRecord cell;
  cell.id = row.integer(0);
  cell.sweep_id = row.integer(1);
  cell.ordinal = row.integer(2);
  cell.hash = row.text(3);
  cell.parameters = nlohmann::json::parse(row.text(4));
  // A trainer cell stored before a setting existed: that setting at its default.
  if (row.is_null(12)) cell.config = with_trainer_defaults(nlohmann::json::parse(row.text(5)));
  else cell.config = nlohmann::json::parse(row.text(5));
  cell.state = cell_state(row.text(6));
  cell.parameter_count = row.integer(7);
  cell.non_embedding_parameters = row.integer(8);
  cell.flops_per_token = row.real(9);
  cell.estimated_flops = row.real(10);
  cell.resources = resources_from_json(nlohmann::json::parse(row.text(11), nullptr, false));
  if (!row.is_null(12)) cell.worker = nlohmann::json::parse(row.text(12), nullptr, false);
  if (!row.is_null(13)) cell.search_group = row.text(13);
  if (!row.is_null(14)) cell.search_role = row.text(14);
  return cell;
}

RunRecord read_run(const sqlite::Statement& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.cell_id = row.integer(1);
  run.attempt = int(row.integer(2));
  run.state = run_state(row.text(3));
  run.run_dir = row.text(4);
  run.pid = row.optional_integer(5);
  run.started_at = row.optional_real(6);
  run.ended_at = row.optional_real(7);
  run.exit_code = row.optional_integer(8);
  run.signal = row.optional_integer(9);
  run.error = optional_text(row, 10);
  run.end_status = optional_text(row, 11);
  run.events_offset = row.integer(12);
  run.host = optional_text(row, 13);
  run.device = optional_text(row, 14);
  run.slurm_job = optional_text(row, 15);
  run.rejected_lines = row.integer(16);
  run.event_problem = optional_text(row, 17);
  return run;
}

}  // namespace headroom::store_rows
