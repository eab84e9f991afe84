#include "orchestrator/executors/exit_status.h"

#include <sys/wait.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/protocol.h"

namespace headroom {

ProcessExit process_exit_of_wait_status(int status) {
  ProcessExit exit;
  if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  return exit;
}

std::string exit_status_text(const ProcessExit& exit) {
  if (exit.start_error) return "unstarted " + std::to_string(*exit.start_error) + "\n";
  if (exit.signal) return "signal " + std::to_string(*exit.signal) + "\n";
  return "exit " + std::to_string(exit.exit_code.value_or(0)) + "\n";
}

std::optional<ProcessExit> parse_exit_status(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.remove_suffix(1);
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view kind = text.substr(0, space), number = text.substr(space + 1);
  int value = -1;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size() || value < 0) return std::nullopt;
  ProcessExit exit;
  if (kind == "exit" && value <= 255) {
    exit.exit_code = value;
  } else if (kind == "signal" && value > 0 && value <= 255) {
    exit.signal = value;
  } else if (kind == "unstarted" && value > 0) {
    exit.start_error = value;
  } else {
    return std::nullopt;
  }
  return exit;
}

std::optional<ProcessExit> recorded_exit_status(const std::string& run_dir) {
  std::ifstream in(std::filesystem::path(run_dir) / protocol::kExitStatusFile, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_exit_status(text);
}

}  // namespace headroom
