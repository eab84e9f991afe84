#include "orchestrator/monitor/render.h"

#include "common/number_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace headroom {
namespace {

const char* kGreen = "\x1b[32m";
const char* kRed = "\x1b[31m";
const char* kYellow = "\x1b[33m";
const char* kBold = "\x1b[1m";
const char* kReset = "\x1b[0m";

std::string parameters_text(const nlohmann::json& parameters) {
  std::string text;
  for (const auto& [name, value] : parameters.items()) {
    text += (text.empty() ? "" : " ") + name + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

std::string paint(const std::string& text, const char* color, bool enabled) {
  return enabled ? color + text + kReset : text;
}

// Cuts a line to `width` visible columns, skipping ANSI escapes when counting.
std::string truncate(const std::string& line, size_t width) {
  if (width == 0) return line;
  std::string out;
  size_t visible = 0;
  bool escaped = false;
  for (char c : line) {
    if (c == '\x1b') escaped = true;
    if (!escaped) {
      if (visible == width) break;
      ++visible;
    }
    out += c;
    if (escaped && c == 'm') escaped = false;
  }
  if (out.size() < line.size() && out.find('\x1b') != std::string::npos) out += kReset;
  return out;
}

}  // namespace

std::string progress_bar(double fraction, size_t width) {
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  size_t filled = size_t(std::floor(fraction * double(width) + 1e-9));
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

std::vector<std::string> render_snapshot(const SweepSnapshot& snapshot, const RenderOptions& options) {
  const bool color = options.color;
  std::vector<std::string> lines;
  const auto& sweep = snapshot.sweep;
  std::string state(to_string(sweep.state));
  if (sweep.state == SweepState::running && !snapshot.orchestrator_alive) {
    state = "stopped (its orchestrator is gone: 'headroom resume " + sweep.name + "' continues it)";
  } else if (sweep.state == SweepState::running) {
    state = "running (pid " + std::to_string(sweep.orchestrator_pid.value_or(0)) + " on " +
            sweep.orchestrator_host.value_or("?") + ")";
  }
  lines.push_back(paint(sweep.name, kBold, color) + ": " + state);

  const int64_t done = snapshot.count(CellState::succeeded), failed = snapshot.count(CellState::failed);
  const double fraction = snapshot.total ? double(done + failed) / double(snapshot.total) : 0;
  std::string totals = "  " + progress_bar(fraction, options.bar_width) + " " +
                       std::to_string(done + failed) + "/" + std::to_string(snapshot.total) + " cells: " +
                       paint(std::to_string(done) + " succeeded", kGreen, color && done) + ", " +
                       paint(std::to_string(failed) + " failed", kRed, color && failed) + ", " +
                       std::to_string(snapshot.count(CellState::running)) + " running, " +
                       std::to_string(snapshot.count(CellState::pending)) + " pending";
  if (snapshot.count(CellState::cancelled)) totals += ", " + std::to_string(snapshot.count(CellState::cancelled)) + " cancelled";
  if (snapshot.elapsed_seconds > 0) totals += "; elapsed " + compact_duration(snapshot.elapsed_seconds);
  if (snapshot.eta_seconds && (snapshot.count(CellState::pending) + snapshot.count(CellState::running)) > 0) {
    totals += ", ETA " + compact_duration(*snapshot.eta_seconds);
  }
  lines.push_back(totals);

  const std::string metric = sweep.metric.value_or(kDefaultProgressMetric);
  for (const auto& run : snapshot.running) {
    std::string line = "  " + paint("run " + std::to_string(run.run), kYellow, color) + " " +
                       progress_bar(run.steps ? double(run.step) / double(run.steps) : 0, options.bar_width / 2) +
                       " step " + std::to_string(run.step) + "/" + std::to_string(run.steps);
    if (run.loss) line += "  loss " + fixed(*run.loss, 4);
    if (run.accuracy) line += "  " + metric + " " + fixed(*run.accuracy, 4);
    if (run.tokens_per_second) line += "  " + fixed(*run.tokens_per_second, 0) + " tok/s";
    line += "  " + (run.device.empty() ? std::string("-") : run.device) + "  " + compact_duration(run.seconds) +
            "  " + parameters_text(run.parameters);
    lines.push_back(line);
  }
  for (const auto& cell : snapshot.failed) {
    lines.push_back("  " + paint(std::string(to_string(cell.state)), kRed, color) + " run " + std::to_string(cell.run) + " " +
                    parameters_text(cell.parameters) + ": " + cell.error);
  }
  for (auto& line : lines) line = truncate(line, options.width);
  return lines;
}

}  // namespace headroom
