#include "trainer/events.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace headroom::trainer {

EventLog::EventLog(const std::string& path) : file_(std::fopen(path.c_str(), "ae")) {
  if (!file_) {
    throw std::runtime_error("cannot open events file '" + path + "': " + std::strerror(errno));
  }
}

EventLog::~EventLog() { std::fclose(file_); }

void EventLog::write(protocol::EventKind kind, nlohmann::json fields, bool durable) {
  using namespace std::chrono;
  fields["event"] = protocol::to_string(kind);
  fields["v"] = protocol::kVersion;
  fields["time"] = duration<double>(system_clock::now().time_since_epoch()).count();
  std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    throw std::runtime_error(std::string("cannot write events: ") + std::strerror(errno));
  }
  if (durable) ::fsync(::fileno(file_));
}

int EventLog::end(protocol::EndStatus status, nlohmann::json fields, const std::optional<std::string>& error) {
  fields["status"] = protocol::to_string(status);
  if (error) fields["error"] = *error;
  write(protocol::EventKind::end, std::move(fields), true);
  return protocol::exit_code(status);
}

}  // namespace headroom::trainer
