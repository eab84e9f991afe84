#include "orchestrator/serve/api.h"

#include <charconv>

#include "common/table.h"
#include "orchestrator/monitor/snapshot.h"
#include "orchestrator/query/run_details.h"
#include "orchestrator/query/run_query.h"
#include "orchestrator/store/run_names.h"

namespace headroom {
namespace {

ApiResponse failure(int status, const std::string& message) {
  return {status, {{"error", message}}};
}

// The user's question is wrong (an unknown sweep or column, a bad filter): 400; else the server's: 500.
ApiResponse from_error(const Error& error) {
  return failure(error.kind == ErrorKind::invalid_input ? 400 : 500, error.to_string());
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
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

ApiResponse run(Store& store, int64_t id, const std::string& rest, const ApiRequest& request) {
  auto record = store.run(id);
  if (!record) return failure(404, "no run " + std::to_string(id));
  if (rest.empty()) {
    auto details = run_details(store, record.value());
    if (!details) return from_error(details.error());
    return {200, details.value()};
  }
  if (rest != "/metrics") return failure(404, "no such path");
  nlohmann::ordered_json curves = nlohmann::ordered_json::object();
  const auto names = split_list(parameter(request, "names"));
  auto add = [&](const std::string& name, const std::vector<MetricPoint>& points) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& point : points) {
      list.push_back({point.step, point.value ? nlohmann::json(*point.value) : nlohmann::json()});
    }
    curves[name] = std::move(list);
  };
  if (names.empty()) {
    auto all = store.curves(id);
    if (!all) return from_error(all.error());
    for (const auto& [name, points] : all.value()) add(name, points);
  } else {
    for (const auto& name : names) {
      auto points = store.curve(id, name);
      if (!points) return from_error(points.error());
      add(name, points.value());
    }
  }
  return {200, curves};
}

}  // namespace

ApiResponse answer_api(Store& store, const ApiRequest& request) {
  const std::string& path = request.path;
  if (path == "/api/sweeps") return sweeps(store);
  if (path.rfind("/api/sweeps/", 0) == 0) return sweep(store, path.substr(12));
  if (path == "/api/runs") return runs(store, request);
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
