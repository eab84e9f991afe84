#include "orchestrator/executors/exit_status.h"

#include <signal.h>
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
  const std::string stopped = exit.stop_signal ? " after signal " + std::to_string(*exit.stop_signal) : "";
  if (exit.signal) return "signal " + std::to_string(*exit.signal) + stopped + "\n";
  return "exit " + std::to_string(exit.exit_code.value_or(0)) + stopped + "\n";
}

namespace {

// `text` as exit_status_text writes a number (decimal, no sign, no leading
// zero); nullopt when it is anything else.
std::optional<int> number_of(std::string_view text) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  return value;
}

}  // namespace

bool is_stop_signal(int signal) { return signal == SIGHUP || signal == SIGINT || signal == SIGQUIT || signal == SIGTERM; }

std::optional<ProcessExit> parse_exit_status(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.remove_suffix(1);
  ProcessExit exit;
  constexpr std::string_view kAfter = " after signal ";
  if (const auto after = text.find(kAfter); after != std::string_view::npos) {
    const std::optional<int> stop = number_of(text.substr(after + kAfter.size()));
    if (!stop || !is_stop_signal(*stop)) return std::nullopt;
    exit.stop_signal = stop;
    text = text.substr(0, after);
  }
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view kind = text.substr(0, space);
  const std::optional<int> number = number_of(text.substr(space + 1));
  if (!number || (kind == "unstarted" && exit.stop_signal)) return std::nullopt;
  const int value = *number;
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
