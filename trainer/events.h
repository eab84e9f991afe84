#pragma once
// Appends the run's events to RUN/events.jsonl, one JSON object per line, the
// only channel from a worker to the orchestrator. Format: docs/events.md.

#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace headroom::trainer {

inline constexpr int kEventsFormatVersion = 1;

class EventLog {
 public:
  // Opens (creating or appending to) the file; throws std::runtime_error naming it.
  explicit EventLog(const std::string& path);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Writes one line: `event` plus "v" and "time" (Unix seconds). Each line is
  // flushed whole so a reader sees complete lines or a torn last line only;
  // `durable` also fsyncs (used for `end`).
  void write(nlohmann::json event, bool durable = false);

 private:
  std::FILE* file_;
};

}  // namespace headroom::trainer
