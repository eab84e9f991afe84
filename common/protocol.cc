#include "common/protocol.h"

#include <array>
#include <utility>

namespace headroom::protocol {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 5> kKinds = {{
    {EventKind::start, "start"},
    {EventKind::metric, "metric"},
    {EventKind::eval, "eval"},
    {EventKind::checkpoint, "checkpoint"},
    {EventKind::end, "end"},
}};

struct StatusRow {
  EndStatus status;
  std::string_view name;
  int exit_code;
};
constexpr std::array<StatusRow, 5> kStatuses = {{
    {EndStatus::ok, "ok", 0},
    {EndStatus::failed, "failed", 1},
    {EndStatus::invalid_config, "invalid_config", 2},
    {EndStatus::diverged, "diverged", 3},
    {EndStatus::preempted, "preempted", 4},
}};

}  // namespace

std::string metric_name_problem(std::string_view name) {
  if (name.empty()) return "a metric name is empty";
  if (name.size() > kMaxMetricNameBytes) {
    return "a metric name of " + std::to_string(name.size()) + " bytes (at most " +
           std::to_string(kMaxMetricNameBytes) + ")";
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "a metric name with a control character";
  }
  return "";
}

std::string_view to_string(EventKind kind) {
  for (const auto& [value, name] : kKinds) {
    if (value == kind) return name;
  }
  return "unknown";
}

std::string_view to_string(EndStatus status) {
  for (const auto& row : kStatuses) {
    if (row.status == status) return row.name;
  }
  return "unknown";
}

std::optional<EventKind> parse_event_kind(std::string_view text) {
  for (const auto& [value, name] : kKinds) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::optional<EndStatus> parse_end_status(std::string_view text) {
  for (const auto& row : kStatuses) {
    if (row.name == text) return row.status;
  }
  return std::nullopt;
}

int exit_code(EndStatus status) {
  for (const auto& row : kStatuses) {
    if (row.status == status) return row.exit_code;
  }
  return 1;
}

std::optional<EndStatus> end_status_of_exit_code(int code) {
  for (const auto& row : kStatuses) {
    if (row.exit_code == code) return row.status;
  }
  return std::nullopt;
}

}  // namespace headroom::protocol
