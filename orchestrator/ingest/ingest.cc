#include "orchestrator/ingest/ingest.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "common/protocol.h"
#include "orchestrator/spec/program_spec.h"

namespace headroom {
namespace {

using protocol::EventKind;

// Why a complete line was refused; empty when it was read.
using Refusal = std::string;

Refusal version_refusal(int64_t version) {
  return "protocol version " + std::to_string(version) + ", but this headroom reads version " +
         std::to_string(protocol::kVersion) + " (docs/events.md)";
}

// A start, end or other rare event, parsed whole.
Refusal parse_rare_event(std::string_view line, EventKind kind, EventBatch& batch) {
  auto event = nlohmann::json::parse(line, nullptr, false);
  if (event.is_discarded() || !event.is_object()) return "not a JSON object";
  if (kind == EventKind::start) {
    auto device = event.find("device");
    batch.start = EventBatch::Start{std::string(line), device != event.end() && device->is_string()
                                                           ? device->get<std::string>()
                                                           : std::string()};
  } else if (kind == EventKind::end) {
    auto status = event.find("status");
    if (status == event.end() || !status->is_string()) return "an end event without a \"status\" string";
    auto error = event.find("error");
    batch.end = EventBatch::End{status->get<std::string>(), error != event.end() && error->is_string()
                                                                ? std::optional<std::string>(error->get<std::string>())
                                                                : std::nullopt};
  }
  return "";  // checkpoint: nothing to store
}

// The metric names a run may still add: protocol::kMaxMetricNamesPerRun
// less those it has, in the database and in this pass.
struct NameBudget {
  std::unordered_set<std::string> stored;  // the run's names in the database
  size_t left = 0;
};

// A step: a whole number from 0 to the largest int64 (written as 12, 12.0 or
// 1.2e1); nullopt for anything else, which must not be wrapped or truncated.
std::optional<int64_t> step_of_double(double number) {
  // 2^63 is the first double past int64; NaN fails every comparison.
  if (!(number >= 0 && number < 9223372036854775808.0) || number != std::floor(number)) return std::nullopt;
  return int64_t(number);
}

std::optional<int64_t> step_of(simdjson::simdjson_result<simdjson::ondemand::value>& value) {
  int64_t whole = 0;
  if (!value.get_int64().get(whole)) return whole >= 0 ? std::optional<int64_t>(whole) : std::nullopt;
  double number = 0;
  if (value.get_double().get(number)) return std::nullopt;
  return step_of_double(number);
}

std::optional<int64_t> step_of(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t whole = value.get<uint64_t>();
    return whole <= uint64_t(INT64_MAX) ? std::optional<int64_t>(int64_t(whole)) : std::nullopt;
  }
  if (value.is_number_integer()) return value.get<int64_t>() >= 0 ? std::optional<int64_t>(value.get<int64_t>()) : std::nullopt;
  return value.is_number_float() ? step_of_double(value.get<double>()) : std::nullopt;
}

// Parses one complete line into `batch`: metric and eval events through
// simdjson (the bulk of every file, in one pass over the fields in any
// order), the rare other kinds through nlohmann::json.
Refusal parse_line(simdjson::ondemand::parser& parser, const char* line, size_t length, size_t capacity,
                   EventBatch& batch, NameBudget& names) {
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (auto error = parser.iterate(line, length, capacity).get(document)) {
    return error == simdjson::UTF8_ERROR ? "not valid UTF-8" : "not a JSON object";
  }
  if (document.get_object().get(object)) return "not a JSON object";
  std::optional<EventKind> kind;
  std::string_view kind_text;
  int64_t step = 0;
  double time = 0;
  int64_t version = protocol::kVersion;  // a line without "v" is read as this version
  // Points go straight into the batch; their step and time are filled in
  // once the whole line is read (the fields may come in any order).
  const size_t first = batch.points.size();
  const size_t first_name = batch.names.size();
  struct DropPointsOnFailure {
    EventBatch& batch;
    size_t first, first_name;
    bool kept = false;
    ~DropPointsOnFailure() {
      if (!kept) {
        batch.points.resize(first);
        batch.drop_names_from(first_name);  // names only this line brought
      }
    }
  } drop{batch, first, first_name};
  bool rare = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return "not a JSON object";
    auto value = field.value();
    if (key == "v") {
      if (value.get_int64().get(version)) return "\"v\" is not an integer";
    } else if (key == "event") {
      if (value.get_string().get(kind_text)) return "\"event\" is not a string";
      kind = protocol::parse_event_kind(kind_text);
      if (!kind) return "unknown event kind '" + std::string(kind_text) + "'";
      if (*kind != EventKind::metric && *kind != EventKind::eval) {
        rare = true;
        break;  // parsed whole below
      }
    } else if (key == "step") {
      auto whole = step_of(value);
      if (!whole) return "\"step\" is not a whole number from 0 to 2^63-1";
      step = *whole;
    } else if (key == "time") {
      if (value.get_double().get(time)) return "\"time\" is not a number";
    } else if (key == "values") {
      simdjson::ondemand::object metrics;
      if (value.get_object().get(metrics)) return "\"values\" is not an object";
      for (auto metric : metrics) {
        std::string_view name;
        if (metric.unescaped_key().get(name)) return "\"values\" is not an object";
        if (auto problem = protocol::metric_name_problem(name); !problem.empty()) return problem;
        auto number = metric.value();
        simdjson::ondemand::json_type type;
        // NaN and Infinity are not JSON (Python's json.dumps writes them unless allow_nan=False).
        if (number.type().get(type)) return "the value of '" + std::string(name) + "' is not JSON (NaN? write null)";
        if (type == simdjson::ondemand::json_type::number) {
          double parsed = 0;
          if (number.get_double().get(parsed)) return "the value of '" + std::string(name) + "' is not a number";
          batch.points.push_back({0, 0, batch.name_index(name), parsed});
        } else if (type == simdjson::ondemand::json_type::null) {
          batch.points.push_back({0, 0, batch.name_index(name), std::nullopt});
        }  // strings and other kinds of values are not metrics
      }
    }
  }
  if (!kind) return "no \"event\" field";
  if (rare) {
    // "v" may come after "event": read it from the whole line too.
    auto whole = nlohmann::json::parse(std::string_view(line, length), nullptr, false);
    if (whole.is_object() && whole.contains("v")) {
      if (!whole["v"].is_number_integer()) return "\"v\" is not an integer";
      version = whole["v"].get<int64_t>();
    }
    if (version != protocol::kVersion) return version_refusal(version);
    return parse_rare_event(std::string_view(line, length), *kind, batch);
  }
  if (version != protocol::kVersion) return version_refusal(version);
  size_t new_names = 0;
  for (size_t i = first_name; i < batch.names.size(); ++i) new_names += !names.stored.count(batch.names[i]);
  if (new_names > names.left) {
    return "more than " + std::to_string(protocol::kMaxMetricNamesPerRun) + " distinct metric names in one run";
  }
  names.left -= new_names;
  for (size_t i = first; i < batch.points.size(); ++i) {
    batch.points[i].step = step;
    batch.points[i].time = time;
  }
  drop.kept = true;
  return "";
}

// Numbers and nulls of a printed object as metric values, the fields of
// nested objects named "outer/inner"; other values are not metrics.
void flatten_metrics(const nlohmann::json& value, const std::string& name, nlohmann::json& values) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) flatten_metrics(item, name + "/" + key, values);
  } else if (value.is_number() || value.is_null()) {
    values[name] = value;
  }
}

// Python's json.dumps writes NaN, Infinity and -Infinity, which JSON has
// not: each, outside strings, becomes null (a value not measured, as the
// headroom module logs it).
std::string python_json_to_json(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) {
        out += line[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
      if (line.substr(i, token.size()) == token) {
        out += "null";
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// `metrics: stdout` (a program's sweep): a line the program printed, as an
// event line. Only JSON objects are events (Python's NaN and Infinity read
// as null); every other line is the program's ordinary output and is
// skipped (nullopt). An object with "event" is a protocol event as it
// stands; any other is a metric event of its numeric fields (nested objects
// flattened with "/"), at its "step" (or W&B's "_step") read as an events
// file's step is (a step that is not a whole number from 0 refuses the
// line), else one past the last step.
std::optional<std::string> stdout_event(std::string_view line, int64_t& last_step) {
  const size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || line[first] != '{') return std::nullopt;
  std::string text(line);
  auto object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) {
    text = python_json_to_json(line);
    object = nlohmann::json::parse(text, nullptr, false);
  }
  if (object.is_discarded() || !object.is_object()) return std::nullopt;
  if (object.contains("event")) return text;
  nlohmann::json values = nlohmann::json::object();
  std::optional<nlohmann::json> step;
  double time = 0;
  for (const auto& [key, value] : object.items()) {
    if (key == "step" || key == "_step") {
      step = value;  // refused by parse_line, as an events file's, when it is no step
      if (auto whole = step_of(value)) last_step = std::max(last_step, *whole);  // the next line follows it
    } else if (key == "time" || key == "_timestamp") {
      if (value.is_number()) time = value.get<double>();
    } else if (key != "_runtime" && key != "v") {
      flatten_metrics(value, key, values);
    }
  }
  if (!step) {
    step = last_step + 1;
    last_step = step->get<int64_t>();
  }
  nlohmann::json event = {{"v", protocol::kVersion}, {"event", "metric"}, {"step", *step}, {"values", values}};
  event["time"] = time > 0 ? time
                           : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return event.dump();
}

}  // namespace

Result<IngestReport> ingest_run(Store& store, int64_t run_id, WorkerEnded ended) {
  HEADROOM_ASSIGN_OR_RETURN(RunRecord run, store.run(run_id));
  HEADROOM_ASSIGN_OR_RETURN(CellRecord cell, store.cell(run.cell_id));
  const bool from_stdout = cell.worker.is_object() && program_from_json(cell.worker).metrics == "stdout";
  IngestReport report;
  std::filesystem::path path =
      std::filesystem::path(run.run_dir) / (from_stdout ? protocol::kStdoutFile : protocol::kEventsFile);
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (!std::filesystem::exists(status)) return report;  // the worker has not written yet
  std::ifstream in;
  if (std::filesystem::is_regular_file(status)) in.open(path, std::ios::binary);
  if (!in.is_open()) {
    if (ended == WorkerEnded::no) return report;  // perhaps passing while the worker runs
    // There but unreadable when the worker is done: say so on the run, whose
    // failure would otherwise have no reason.
    EventBatch batch;
    batch.problem = path.filename().string() + " cannot be read: " +
                    (std::filesystem::is_regular_file(status) ? std::strerror(errno) : "not a regular file");
    HEADROOM_RETURN_IF_ERROR(store.apply_events(run_id, batch, run.events_offset));
    return report;
  }
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  if (size <= run.events_offset) return report;
  in.seekg(run.events_offset);
  // simdjson reads a little past each line: the buffer carries its padding.
  simdjson::padded_string chunk(size_t(size - run.events_offset));
  in.read(chunk.data(), std::streamsize(chunk.size()));
  const size_t length = size_t(in.gcount());
  const size_t capacity = chunk.size() + simdjson::SIMDJSON_PADDING;

  thread_local simdjson::ondemand::parser parser;
  NameBudget names;
  HEADROOM_ASSIGN_OR_RETURN(auto stored, store.run_metric_names(run_id));
  names.stored.insert(stored.begin(), stored.end());
  names.left = protocol::kMaxMetricNamesPerRun - std::min(protocol::kMaxMetricNamesPerRun, stored.size());
  EventBatch batch;
  size_t consumed = 0, events = 0;
  int64_t last_step = -1;
  if (from_stdout) {
    HEADROOM_ASSIGN_OR_RETURN(last_step, store.run_last_step(run_id));
  }
  auto read_line = [&](size_t end, const std::string& what) {
    Refusal refusal;
    if (from_stdout) {
      auto event = stdout_event(std::string_view(chunk.data() + consumed, end - consumed), last_step);
      if (!event) return;  // the program's own output
      simdjson::padded_string padded(*event);
      refusal = parse_line(parser, padded.data(), padded.size(), padded.size() + simdjson::SIMDJSON_PADDING, batch, names);
    } else {
      refusal = parse_line(parser, chunk.data() + consumed, end - consumed, capacity - consumed, batch, names);
    }
    if (refusal.empty()) {
      ++events;
      return;
    }
    ++batch.rejected_lines;
    if (!batch.problem) {
      batch.problem = std::string(from_stdout ? protocol::kStdoutFile : protocol::kEventsFile) + " at byte " +
                      std::to_string(run.events_offset + int64_t(consumed)) + ": " + what + refusal;
    }
  };
  std::string_view text(chunk.data(), length);
  for (size_t newline; (newline = text.find('\n', consumed)) != std::string_view::npos; consumed = newline + 1) {
    if (newline > consumed) read_line(newline, "");
  }
  if (ended == WorkerEnded::yes && consumed < length) {
    read_line(length, "an unfinished last line (" + std::to_string(length - consumed) +
                          " bytes; the worker ended before its newline): ");
    consumed = length;
  }
  if (consumed == 0) return report;
  HEADROOM_RETURN_IF_ERROR(store.apply_events(run_id, batch, run.events_offset + int64_t(consumed)));
  report.events = events;
  report.rejected_lines = size_t(batch.rejected_lines);
  return report;
}

}  // namespace headroom
