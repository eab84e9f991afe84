#include "orchestrator/monitor/render.h"

#include "common/number_format.h"
#include "common/text_file.h"

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

std::string cells_bar(int64_t succeeded, int64_t stopped_early, int64_t failed, int64_t total, size_t width) {
  if (total <= 0) return progress_bar(0, width);
  const auto chars = [&](int64_t cells) {
    return std::min(width, size_t(std::floor(double(cells) / double(total) * double(width) + 1e-9)));
  };
  const size_t good = chars(succeeded), stopped = chars(succeeded + stopped_early),
               ended = chars(succeeded + stopped_early + failed);
  return "[" + std::string(good, '#') + std::string(stopped - good, '-') + std::string(ended - stopped, 'x') +
         std::string(width - ended, '.') + "]";
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

  const int64_t done = snapshot.count(CellState::succeeded), failed = snapshot.count(CellState::failed),
                stopped_early = snapshot.count(CellState::stopped_early);
  std::string bar = cells_bar(done, stopped_early, failed, snapshot.total, options.bar_width);
  if (color) {
    const size_t first_x = bar.find('x'), last_x = bar.rfind('x');
    if (first_x != std::string::npos) {
      bar = bar.substr(0, first_x) + paint(bar.substr(first_x, last_x - first_x + 1), kRed, true) + bar.substr(last_x + 1);
    }
  }
  std::string totals = "  " + bar + " " +
                       std::to_string(done + stopped_early + failed) + "/" + std::to_string(snapshot.total) + " cells: " +
                       paint(std::to_string(done) + " succeeded", kGreen, color && done) + ", " +
                       (stopped_early ? std::to_string(stopped_early) + " stopped early, " : std::string()) +
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
  // Running runs as a table under a header row; the last column (the
  // cell's parameters) is left ragged.
  // The "loss" column is train/loss; named so in full when the sweep's own
  // metric is called "loss" (a program's), which has the next column.
  std::vector<std::vector<std::string>> rows = {{"run", "progress", "step", metric == "loss" ? "train/loss" : "loss",
                                                 metric, "tok/s", "device", "time", "parameters"}};
  for (const auto& run : snapshot.running) {
    const auto or_dash = [](const std::optional<double>& value, int decimals) {
      return value ? fixed(*value, decimals) : std::string("-");
    };
    rows.push_back({std::to_string(run.run),
                    // A program that never said its step count: its step, no bar.
                    run.steps ? progress_bar(double(run.step) / double(run.steps), options.bar_width / 2)
                              : std::string("-"),
                    std::to_string(run.step) + (run.steps ? "/" + std::to_string(run.steps) : std::string()),
                    or_dash(run.loss, 4),
                    or_dash(run.accuracy, 4), or_dash(run.tokens_per_second, 0),
                    run.device.empty() ? std::string("-") : run.device, compact_duration(run.seconds),
                    parameters_text(run.parameters)});
  }
  if (rows.size() > 1) {
    std::vector<size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string line = "";
      for (size_t i = 0; i < rows[r].size(); ++i) {
        std::string cell = rows[r][i];
        if (i + 1 < rows[r].size()) cell += std::string(widths[i] - cell.size(), ' ');
        if (r == 0) cell = paint(cell, kBold, color);
        if (r > 0 && i == 0) cell = paint(cell, kYellow, color);
        line += "  " + cell;
      }
      lines.push_back(line);
    }
  }
  for (const auto& cell : snapshot.failed) {
    // A worker's stderr (tqdm's \r, a colour code) cannot move the cursor or repaint the screen.
    lines.push_back("  " + paint(std::string(to_string(cell.state)), kRed, color) + " run " + std::to_string(cell.run) + " " +
                    printable(parameters_text(cell.parameters) + ": " + cell.error));
  }
  for (auto& line : lines) line = truncate(line, options.width);
  return lines;
}

}  // namespace headroom
