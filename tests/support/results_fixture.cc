#include "tests/support/results_fixture.h"

#include <stdexcept>

#include "orchestrator/grid/grid.h"
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
          {"step", step},
          {"time", 1000.0 + double(step)},
          {"values", values}};
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
      value_or_throw(store->apply_events(failed.id, std::vector<nlohmann::json>{metric_event(10, {{"train/loss", 9.0}})}, 1));
      value_or_throw(store->finish_run(failed.id, RunEnd{"failed", 1, {}, "boom\nlast line"}, "pending"));
    }
    auto run = value_or_throw(store->begin_attempt(sweep, cell));
    value_or_throw(store->mark_running(run.id, 4243, "fixture-host"));
    const double final_loss = 1.0 + heads / 100.0;
    std::vector<nlohmann::json> events = {
        {{"event", "start"}, {"device", "cpu"}, {"time", 1000.0}},
        metric_event(10, {{"train/loss", 3.0}}),
        metric_event(20, {{"train/loss", 2.0}}),
        metric_event(30, {{"train/loss", final_loss}}),
        metric_event(30, {{"eval/accuracy", expected_accuracy(d_model, heads, attention)}}),
        {{"event", "end"}, {"status", "ok"}, {"step", 30}, {"time", 1031.0}},
    };
    value_or_throw(store->apply_events(run.id, events, 1));
    value_or_throw(store->finish_run(run.id, RunEnd{"succeeded", 0, {}, {}}, "succeeded"));
  }
  value_or_throw(store->set_sweep_state(sweep.id, "finished"));
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
    std::vector<nlohmann::json> events = {{{"event", "start"}, {"device", "cpu"}, {"precision", "fp32"}, {"time", 1000.0}}};
    for (int step : {10, 20, 30}) {
      nlohmann::json values;
      for (const auto& [name, value] : finals.items()) values[name] = value.get<double>() * step / 30.0;
      events.push_back({{"event", "eval"}, {"step", step}, {"time", 1000.0 + step}, {"values", values}});
    }
    events.push_back({{"event", "end"}, {"status", "ok"}, {"step", 30}, {"time", 1031.0}});
    value_or_throw(store->apply_events(run.id, events, 1));
    value_or_throw(store->finish_run(run.id, RunEnd{"succeeded", 0, {}, {}}, "succeeded"));
  }
  value_or_throw(store->set_sweep_state(sweep.id, "finished"));
}

}  // namespace headroom::testing
