#include "orchestrator/ingest/ingest.h"

#include <simdjson.h>

#include <filesystem>
#include <fstream>

namespace headroom {
namespace {

// Parses one complete line into `batch`: metric and eval events through
// simdjson (the bulk of every file, in one pass over the fields in any
// order), anything else through nlohmann::json. False for a malformed line.
bool parse_line(simdjson::ondemand::parser& parser, const char* line, size_t length, size_t capacity,
                EventBatch& batch) {
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(line, length, capacity).get(document) || document.get_object().get(object)) return false;
  std::string_view kind;
  int64_t step = 0;
  double time = 0;
  // Points go straight into the batch; their step and time are filled in
  // once the whole line is read (the fields may come in any order).
  const size_t first = batch.points.size();
  struct DropPointsOnFailure {
    EventBatch& batch;
    size_t first;
    bool kept = false;
    ~DropPointsOnFailure() {
      if (!kept) batch.points.resize(first);
    }
  } drop{batch, first};
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    auto value = field.value();
    if (key == "event") {
      if (value.get_string().get(kind)) return false;
      if (kind != "metric" && kind != "eval") break;  // parsed whole below
    } else if (key == "step") {
      if (value.get_int64().get(step)) {
        double fractional = 0;
        if (value.get_double().get(fractional)) return false;
        step = int64_t(fractional);
      }
    } else if (key == "time") {
      if (value.get_double().get(time)) return false;
    } else if (key == "values") {
      simdjson::ondemand::object metrics;
      if (value.get_object().get(metrics)) return false;
      for (auto metric : metrics) {
        std::string_view name;
        if (metric.unescaped_key().get(name)) return false;
        auto number = metric.value();
        simdjson::ondemand::json_type type;
        if (number.type().get(type)) return false;
        if (type == simdjson::ondemand::json_type::number) {
          double parsed = 0;
          if (number.get_double().get(parsed)) return false;
          batch.points.push_back({0, 0, batch.name_index(name), parsed});
        } else if (type == simdjson::ondemand::json_type::null) {
          batch.points.push_back({0, 0, batch.name_index(name), std::nullopt});
        }  // strings and other kinds of values are not metrics
      }
    }
  }
  if (kind == "metric" || kind == "eval") {
    for (size_t i = first; i < batch.points.size(); ++i) {
      batch.points[i].step = step;
      batch.points[i].time = time;
    }
    drop.kept = true;
    return true;
  }
  batch.points.resize(first);
  // start, end and unknown kinds: rare, parsed whole.
  auto event = nlohmann::json::parse(std::string_view(line, length), nullptr, false);
  if (event.is_discarded() || !event.is_object()) return false;
  batch.others.push_back(std::move(event));
  return true;
}

}  // namespace

Result<IngestReport> ingest_run(Store& store, int64_t run_id) {
  HEADROOM_ASSIGN_OR_RETURN(RunRecord run, store.run(run_id));
  IngestReport report;
  std::filesystem::path path = std::filesystem::path(run.run_dir) / "events.jsonl";
  std::ifstream in(path, std::ios::binary);
  if (!in) return report;
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
  EventBatch batch;
  size_t consumed = 0, events = 0;
  std::string_view text(chunk.data(), length);
  for (size_t newline; (newline = text.find('\n', consumed)) != std::string_view::npos; consumed = newline + 1) {
    if (newline == consumed) continue;
    if (parse_line(parser, chunk.data() + consumed, newline - consumed, capacity - consumed, batch)) {
      ++events;
    } else {
      ++report.malformed_lines;
    }
  }
  if (consumed == 0) return report;
  HEADROOM_RETURN_IF_ERROR(store.apply_events(run_id, batch, run.events_offset + int64_t(consumed)));
  report.events = events;
  return report;
}

}  // namespace headroom
