#pragma once
// Appends the run's events to RUN/events.jsonl, one JSON object per line, the
// only channel from a worker to the orchestrator. The protocol is
// common/protocol.h's; docs/events.md documents it.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/protocol.h"

namespace headroom::trainer {

class EventLog {
 public:
  // Opens (creating or appending to) the file; throws std::runtime_error naming it.
  explicit EventLog(const std::string& path);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Writes one line: `fields` plus "event", "v" and "time" (Unix seconds).
  // Each line is flushed whole so a reader sees complete lines or a torn last
  // line only; `durable` also fsyncs.
  void write(protocol::EventKind kind, nlohmann::json fields, bool durable = false);

  // Writes the durable end event (`status`, and `error` unless it is ok) and
  // returns the process exit status the protocol gives that status.
  int end(protocol::EndStatus status, nlohmann::json fields = nlohmann::json::object(),
          const std::optional<std::string>& error = std::nullopt);

 private:
  std::FILE* file_;
};

}  // namespace headroom::trainer
