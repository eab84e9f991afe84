#include "tests/support/results_fixture.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/protocol.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/scheduler/attempt.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom::testing {

double expected_accuracy(int d_model, int heads, const std::string& attention) {
  return 0.1 + 0.01 * heads + (attention == "fixed" ? 0.1 : 0.0) + d_model / 1000.0;
}

namespace {

template <typename T>
T value_or_throw(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.error().to_string());
  return std::move(result).value();
}

nlohmann::json metric_event(int64_t step, const nlohmann::json& values) {
  return {{"event", step % 30 == 0 && values.contains("eval/accuracy") ? "eval" : "metric"},
          {"v", protocol::kVersion},
          {"step", step},
          {"time", 1000.0 + double(step)},
          {"values", values}};
}

// Writes the attempt's events as a worker would, then ends it the way the
// scheduler does: ingestion reads them, the lifecycle decides from them and
// the worker's exit status.
void run_attempt(Store& store, const RunRecord& run, const std::vector<nlohmann::json>& events, int exit_code,
                 int retries) {
  std::filesystem::create_directories(run.run_dir);
  std::ofstream out(std::filesystem::path(run.run_dir) / protocol::kEventsFile);
  for (const auto& event : events) out << event.dump() << "\n";
  out.close();
  AttemptFacts facts;
  facts.exit_code = exit_code;
  LifecyclePolicy policy;
  policy.retries = retries;
  value_or_throw(end_attempt(store, run.id, facts, policy));
}

}  // namespace

void build_results_fixture(const std::string& path, const std::string& runs_root) {
  auto spec = value_or_throw(parse_sweep(R"(name: scale
metric: {name: eval/accuracy, goal: maximize}
base: {task: mlm, layers: 1, seq_len: 32, steps: 30}
parameters:
  d_model: {values: [64, 128]}
  heads: {values: [1, 4, 16]}
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 32}
)",
                                         "scale.yaml"));
  auto expansion = value_or_throw(expand(spec));
  auto store = value_or_throw(Store::open_for_writing(path));
  auto sweep = value_or_throw(store->register_sweep(spec, expansion, runs_root, false));
  for (const auto& cell : value_or_throw(store->cells(sweep.id))) {
    const int d_model = cell.parameters["d_model"].get<int>();
    const int heads = cell.parameters["heads"].get<int>();
    const std::string attention = cell.parameters["attention"].get<std::string>();
    if (d_model == 64 && heads == 16 && attention == "standard") {
      auto failed = value_or_throw(store->begin_attempt(sweep, cell));
      value_or_throw(store->mark_running(failed.id, 4242, "fixture-host"));
      run_attempt(*store, failed,
                  {metric_event(10, {{"train/loss", 9.0}}),
                   {{"event", "end"}, {"v", 1}, {"status", "failed"}, {"error", "boom\nlast line"}, {"time", 1011.0}}},
                  1, 1);
    }
    auto run = value_or_throw(store->begin_attempt(sweep, cell));
    value_or_throw(store->mark_running(run.id, 4243, "fixture-host"));
    const double final_loss = 1.0 + heads / 100.0;
    std::vector<nlohmann::json> events = {
        {{"event", "start"}, {"v", 1}, {"device", "cpu"}, {"time", 1000.0}},
        metric_event(10, {{"train/loss", 3.0}}),
        metric_event(20, {{"train/loss", 2.0}}),
        metric_event(30, {{"train/loss", final_loss}}),
        metric_event(30, {{"eval/accuracy", expected_accuracy(d_model, heads, attention)}}),
        {{"event", "end"}, {"v", 1}, {"status", "ok"}, {"step", 30}, {"time", 1031.0}},
    };
    run_attempt(*store, run, events, 0, 0);
  }
  value_or_throw(store->set_sweep_state(sweep.id, SweepState::finished));
}

void add_finished_sweep(const std::string& path, const std::string& runs_root, const std::string& yaml,
                        const FinalValues& final_values) {
  auto spec = value_or_throw(parse_sweep(yaml, "fixture.yaml"));
  auto expansion = value_or_throw(expand(spec));
  auto store = value_or_throw(Store::open_for_writing(path));
  auto sweep = value_or_throw(store->register_sweep(spec, expansion, runs_root, false));
  for (const auto& cell : value_or_throw(store->cells(sweep.id))) {
    auto run = value_or_throw(store->begin_attempt(sweep, cell));
    value_or_throw(store->mark_running(run.id, 4243, "fixture-host"));
    const nlohmann::json finals = final_values(cell);
    std::vector<nlohmann::json> events = {
        {{"event", "start"}, {"v", 1}, {"device", "cpu"}, {"precision", "fp32"}, {"time", 1000.0}}};
    for (int step : {10, 20, 30}) {
      nlohmann::json values;
      for (const auto& [name, value] : finals.items()) values[name] = value.get<double>() * step / 30.0;
      events.push_back({{"event", "eval"}, {"v", 1}, {"step", step}, {"time", 1000.0 + step}, {"values", values}});
    }
    events.push_back({{"event", "end"}, {"v", 1}, {"status", "ok"}, {"step", 30}, {"time", 1031.0}});
    run_attempt(*store, run, events, 0, 0);
  }
  value_or_throw(store->set_sweep_state(sweep.id, SweepState::finished));
}

std::function<AttemptOutcome(const CellHistory&)> recorded(RunState run, CellState cell,
                                                           std::optional<int64_t> exit_code,
                                                           std::optional<std::string> error) {
  return [=](const CellHistory&) { return AttemptOutcome{RunEnd{run, exit_code, std::nullopt, error}, cell}; };
}

}  // namespace headroom::testing
