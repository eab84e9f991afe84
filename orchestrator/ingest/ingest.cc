#include "orchestrator/ingest/ingest.h"

#include <filesystem>
#include <fstream>

namespace headroom {

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
  std::string chunk(size_t(size - run.events_offset), '\0');
  in.read(chunk.data(), std::streamsize(chunk.size()));
  chunk.resize(size_t(in.gcount()));

  std::vector<nlohmann::json> events;
  size_t consumed = 0;
  for (size_t newline; (newline = chunk.find('\n', consumed)) != std::string::npos;
       consumed = newline + 1) {
    std::string_view line(chunk.data() + consumed, newline - consumed);
    if (line.empty()) continue;
    auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) {
      ++report.malformed_lines;
      continue;
    }
    events.push_back(std::move(event));
  }
  if (consumed == 0) return report;
  HEADROOM_RETURN_IF_ERROR(store.apply_events(run_id, events, run.events_offset + int64_t(consumed)));
  report.events = events.size();
  return report;
}

}  // namespace headroom
