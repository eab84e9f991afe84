#include "orchestrator/serve/api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <future>

#include "common/protocol.h"
#include "common/table.h"
#include "orchestrator/monitor/snapshot.h"
#include "orchestrator/query/run_details.h"
#include "orchestrator/query/run_query.h"
#include "orchestrator/serve/curves_json.h"
#include "orchestrator/serve/importance.h"
#include "orchestrator/serve/log_tail.h"
#include "orchestrator/serve/report_json.h"
#include "orchestrator/store/run_names.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;

// Lines of output /logs answers without ?tail, and the most it answers; the
// bytes read from the end of each file, so that a huge log costs no more.
constexpr int64_t kDefaultTailLines = 200;
constexpr int64_t kMostTailLines = 10000;
constexpr size_t kTailBytes = 1 << 20;
// Runs /api/curves answers at once: a bound on one answer's size (1,000 runs
// of 2,000 points are about 25 MB of JSON); the page asks in batches.
constexpr size_t kMostCurveRuns = 1000;
// /api/curves reads with one thread per this many runs, at most kMostCurveThreads.
constexpr size_t kRunsPerThread = 25;
constexpr size_t kMostCurveThreads = 4;

ApiResponse failure(int status, const std::string& message) {
  return {status, {{"error", message}}};
}

// The user's question is wrong (an unknown sweep or column, a bad filter): 400; else the server's: 500.
ApiResponse from_error(const Error& error) {
  return failure(error.kind == ErrorKind::invalid_input ? 400 : 500, error.to_string());
}

// A comma-separated list; an item asked twice is answered once, where first asked.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

std::optional<int64_t> whole_number(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string parameter(const ApiRequest& request, const std::string& name) {
  auto found = request.query.find(name);
  return found == request.query.end() ? std::string() : found->second;
}

ApiResponse sweeps(Store& store) {
  auto all = store.sweeps();
  if (!all) return from_error(all.error());
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& sweep : all.value()) {
    auto snapshot = take_snapshot(store, sweep);
    if (!snapshot) return from_error(snapshot.error());
    list.push_back(nlohmann::ordered_json(snapshot_json(snapshot.value())));
  }
  return {200, list};
}

ApiResponse sweep(Store& store, const std::string& name) {
  auto found = store.find_sweep(name);
  if (!found) return from_error(found.error());
  if (!found.value()) return failure(404, "no sweep named '" + name + "'");
  auto snapshot = take_snapshot(store, *found.value());
  if (!snapshot) return from_error(snapshot.error());
  nlohmann::ordered_json body = nlohmann::ordered_json(snapshot_json(snapshot.value()));
  auto notes = store.notes(found.value()->id, std::nullopt);
  if (!notes) return from_error(notes.error());
  body["notes"] = nlohmann::ordered_json::array();
  for (const auto& note : notes.value()) body["notes"].push_back({{"time", note.created_at}, {"text", note.text}});
  // What the page's charts choose from: the swept parameters and the logged metrics.
  const SweepRecord& record = *found.value();
  body["metric"] = record.metric ? nlohmann::ordered_json(*record.metric) : nlohmann::ordered_json();
  body["goal"] = record.goal ? nlohmann::ordered_json(*record.goal) : nlohmann::ordered_json();
  auto parameters = store.parameter_names(record.id);
  if (!parameters) return from_error(parameters.error());
  body["parameters"] = parameters.value();
  auto metrics = store.metric_names(record.id);
  if (!metrics) return from_error(metrics.error());
  body["metrics"] = metrics.value();
  return {200, body};
}

// The main effects of the sweep's parameters on a metric over its succeeded
// runs (importance.h), narrowed by ?where like /api/runs.
ApiResponse importance(Store& store, const std::string& name, const ApiRequest& request) {
  auto found = store.find_sweep(name);
  if (!found) return from_error(found.error());
  if (!found.value()) return failure(404, "no sweep named '" + name + "'");
  const SweepRecord& sweep = *found.value();
  std::string metric = parameter(request, "metric");
  if (metric.empty()) metric = sweep.metric.value_or("");
  if (metric.empty()) return failure(400, "sweep '" + name + "' names no metric: ask for one with ?metric=NAME");
  auto names = store.parameter_names(sweep.id);
  if (!names) return from_error(names.error());
  // A parameter named like a built-in column is reachable only through SQL (wide_view.h).
  const auto& builtins = wide_view_builtin_columns();
  std::vector<std::string> parameters;
  for (const auto& parameter_name : names.value()) {
    if (std::find(builtins.begin(), builtins.end(), parameter_name) == builtins.end() && parameter_name != metric) {
      parameters.push_back(parameter_name);
    }
  }
  RunQuery query;
  query.sweeps = {name};
  query.where = parameter(request, "where");
  query.columns = {"state", metric};
  query.columns.insert(query.columns.end(), parameters.begin(), parameters.end());
  auto table = query_runs(store, query);
  if (!table) return from_error(table.error());
  std::vector<ImportanceSample> samples;
  const std::string succeeded(to_string(RunState::succeeded));
  for (const auto& row : table->rows) {
    if (row[0] != succeeded || !row[1].is_number() || !std::isfinite(row[1].get<double>())) continue;
    ImportanceSample sample{nlohmann::json::object(), row[1].get<double>()};
    for (size_t i = 0; i < parameters.size(); ++i) sample.parameters[parameters[i]] = row[2 + i];
    samples.push_back(std::move(sample));
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& item : main_effects(samples, parameters)) {
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (const auto& level : item.levels) {
      levels.push_back({{"value", level.label}, {"mean", level.mean}, {"runs", level.runs}});
    }
    const auto share = item.importance ? nlohmann::ordered_json(*item.importance) : nlohmann::ordered_json();
    list.push_back({{"name", item.parameter}, {"importance", share}, {"binned", item.binned}, {"levels", std::move(levels)}});
  }
  return {200,
          {{"metric", metric}, {"runs", samples.size()}, {"method", "main effects (eta squared)"}, {"parameters", list}}};
}

// The last lines of the run's stdout and stderr. The files are the run
// folder's, as the database records it, and the protocol's names: nothing
// in the request names a path.
ApiResponse logs(const RunRecord& run, const ApiRequest& request) {
  int64_t lines = kDefaultTailLines;
  if (const std::string tail = parameter(request, "tail"); !tail.empty()) {
    auto number = whole_number(tail);
    if (!number) return failure(400, "tail must be a whole number of lines, not '" + tail + "'");
    lines = std::min(*number, kMostTailLines);
  }
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  const fs::path folder = run.run_dir;
  for (const auto& [stream, file] :
       {std::pair{"stdout", protocol::kStdoutFile}, std::pair{"stderr", protocol::kStderrFile}}) {
    LogTail tail;
    // A relative folder would be read from wherever the server runs: never.
    if (folder.is_absolute()) {
      auto read = read_log_tail(folder / file, size_t(lines), kTailBytes);
      if (!read) return from_error(read.error());
      tail = std::move(read.value());
    }
    body[stream] = {{"exists", tail.exists}, {"bytes", tail.bytes}, {"truncated", tail.truncated}, {"text", tail.text}};
  }
  return {200, body};
}

ApiResponse runs(Store& store, const ApiRequest& request) {
  RunQuery query;
  query.sweeps = split_list(parameter(request, "sweep"));
  query.where = parameter(request, "where");
  query.sort = split_list(parameter(request, "sort"));
  query.columns = split_list(parameter(request, "columns"));
  if (const std::string limit = parameter(request, "limit"); !limit.empty()) {
    auto number = whole_number(limit);
    if (!number) return failure(400, "limit must be a whole number, not '" + limit + "'");
    query.limit = *number;
  }
  auto table = query_runs(store, query);
  if (!table) return from_error(table.error());
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : table->rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t i = 0; i < table->columns.size(); ++i) object[table->columns[i]] = row[i];
    rows.push_back(std::move(object));
  }
  return {200, rows};
}

// Appends the named curves of one run, or every curve of it when `names` is
// empty, as a JSON object to `out`.
Status append_curves_of_run(Store& store, int64_t id, const std::vector<std::string>& names, std::string& out) {
  if (names.empty()) {
    HEADROOM_ASSIGN_OR_RETURN(auto all, store.curves(id));
    append_curves_json(out, all);
    return Ok{};
  }
  std::vector<std::pair<std::string, std::vector<MetricPoint>>> curves;
  for (const auto& name : names) {
    HEADROOM_ASSIGN_OR_RETURN(auto points, store.curve(id, name));
    curves.emplace_back(name, std::move(points));
  }
  append_curves_json(out, curves);
  return Ok{};
}

ApiResponse run(Store& store, int64_t id, const std::string& rest, const ApiRequest& request) {
  auto record = store.run(id);
  if (!record) return failure(404, "no run " + std::to_string(id));
  if (rest.empty()) {
    auto details = run_details(store, record.value());
    if (!details) return from_error(details.error());
    return {200, details.value()};
  }
  if (rest == "/logs") return logs(record.value(), request);
  if (rest != "/metrics") return failure(404, "no such path");
  ApiResponse answer;
  if (auto written = append_curves_of_run(store, id, split_list(parameter(request, "names")), answer.text); !written) {
    return from_error(written.error());
  }
  return answer;
}

// Appends "ID":{curves},... for runs [begin, end) of `ids` to `out`.
Status append_curves_of_runs(Store& store, const std::vector<int64_t>& ids, size_t begin, size_t end,
                             const std::vector<std::string>& names, std::string& out) {
  for (size_t i = begin; i < end; ++i) {
    out += (i > begin ? ",\"" : "\"") + std::to_string(ids[i]) + "\":";
    HEADROOM_RETURN_IF_ERROR(append_curves_of_run(store, ids[i], names, out));
  }
  return Ok{};
}

// The named curves of many runs in one answer: the page draws 50 runs at
// once, which as 50 requests cost 50 round trips. Many runs are read by a
// few threads, each over its own read-only connection: reading 100 runs'
// 200,000 points costs about 75 ms of CPU, mostly SQLite's.
ApiResponse curves(Store& store, const ApiRequest& request) {
  const auto names = split_list(parameter(request, "names"));
  if (names.empty()) return failure(400, "name the metrics: ?names=A,B");
  const auto runs = split_list(parameter(request, "runs"));
  if (runs.size() > kMostCurveRuns) {
    return failure(400, "at most " + std::to_string(kMostCurveRuns) + " runs at once, not " + std::to_string(runs.size()));
  }
  std::vector<int64_t> ids;
  for (const auto& text : runs) {
    auto id = whole_number(text);
    if (!id) return failure(400, "runs must be run ids, not '" + text + "'");
    if (!store.run(*id)) return failure(404, "no run " + text);
    // Once each: a JSON object's keys are distinct.
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  const size_t threads = std::clamp<size_t>(ids.size() / kRunsPerThread, 1, kMostCurveThreads);
  std::vector<std::string> parts(threads);
  std::vector<std::future<Status>> read;
  for (size_t t = 0; t < threads; ++t) {
    const size_t begin = ids.size() * t / threads, end = ids.size() * (t + 1) / threads;
    if (t == 0) continue;  // this thread's share, below
    read.push_back(std::async(std::launch::async, [&, t, begin, end]() -> Status {
      HEADROOM_ASSIGN_OR_RETURN(auto connection, Store::open_read_only(store.path()));
      return append_curves_of_runs(*connection, ids, begin, end, names, parts[t]);
    }));
  }
  Status first = append_curves_of_runs(store, ids, 0, ids.size() / threads, names, parts[0]);
  for (auto& part : read) {
    Status status = part.get();
    if (first && !status) first = status;
  }
  if (!first) return from_error(first.error());
  ApiResponse answer;
  answer.text = "{";
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (answer.text.size() > 1) answer.text += ',';
    answer.text += part;
  }
  answer.text += "}";
  return answer;
}

ApiResponse report(Store& store, const ApiRequest& request) {
  ReportRequest question;
  question.sweeps = split_list(parameter(request, "sweep"));
  question.metric = parameter(request, "metric");
  auto body = report_json(store, question);
  if (!body) return from_error(body.error());
  return {200, std::move(body.value())};
}

}  // namespace

ApiResponse answer_api(Store& store, const ApiRequest& request) {
  const std::string& path = request.path;
  if (path == "/api/sweeps") return sweeps(store);
  if (path.rfind("/api/sweeps/", 0) == 0) {
    const std::string rest = path.substr(12);
    const std::string suffix = "/importance";
    if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return importance(store, rest.substr(0, rest.size() - suffix.size()), request);
    }
    return sweep(store, rest);
  }
  if (path == "/api/runs") return runs(store, request);
  if (path == "/api/curves") return curves(store, request);
  if (path == "/api/report") return report(store, request);
  if (path.rfind("/api/runs/", 0) == 0) {
    const std::string rest = path.substr(10);
    const size_t slash = rest.find('/');
    auto id = whole_number(rest.substr(0, slash));
    if (!id) return failure(404, "no such path: a run is named by its id");
    return run(store, *id, slash == std::string::npos ? "" : rest.substr(slash), request);
  }
  return failure(404, "no such path: see docs/api.md");
}

}  // namespace headroom
