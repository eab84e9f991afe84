// headroom watch [SWEEP]: a live view of running sweeps, refreshed from the
// database (read-only). On a terminal it repaints in place and 'q' quits;
// without one it prints plain frames and ends when no watched sweep is running
// any more. NO_COLOR (no-color.org) takes the colour away, nothing else.
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "orchestrator/cli/commands.h"
#include "orchestrator/monitor/render.h"
#include "orchestrator/monitor/snapshot.h"

namespace headroom::cli {
namespace {

struct WatchOptions {
  std::string sweep;
  double interval = 1.0;
  bool once = false;
};

std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) { stop_requested = true; }

// Raw keyboard input and the alternate screen for the live view, undone on
// every way out (the destructor runs on 'q', Ctrl-C and errors alike).
class LiveTerminal {
 public:
  LiveTerminal() {
    ::tcgetattr(STDIN_FILENO, &saved_);
    termios raw = saved_;
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO);  // keys arrive at once, unechoed; ISIG keeps Ctrl-C
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // alternate screen, hidden cursor
    std::fflush(stdout);
  }
  ~LiveTerminal() {
    std::fputs("\x1b[?25h\x1b[?1049l", stdout);
    std::fflush(stdout);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

  size_t width() const {
    winsize size{};
    return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 100;
  }

  // Waits up to `seconds` for a key; true when it was 'q' or 'Q'.
  bool quit_pressed(double seconds) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    if (::poll(&input, 1, int(seconds * 1000)) <= 0) return false;
    char key = 0;
    while (::read(STDIN_FILENO, &key, 1) == 1) {
      if (key == 'q' || key == 'Q') return true;
    }
    return false;
  }

 private:
  termios saved_{};
};

Result<std::vector<SweepRecord>> watched_sweeps(Store& store, const std::string& name) {
  if (!name.empty()) {
    HEADROOM_ASSIGN_OR_RETURN(SweepRecord sweep, find_sweep(store, name));
    return std::vector<SweepRecord>{sweep};
  }
  HEADROOM_ASSIGN_OR_RETURN(auto all, store.sweeps());
  std::vector<SweepRecord> running;
  for (const auto& sweep : all) {
    if (sweep.state == SweepState::running) running.push_back(sweep);
  }
  // Nothing running: show the newest sweep rather than an empty screen.
  if (running.empty() && !all.empty()) running.push_back(all.back());
  return running;
}

struct Frame {
  std::vector<std::string> lines;
  bool any_running = false;
};

Result<Frame> frame(Store& store, const WatchOptions& options, const RenderOptions& render) {
  // Sweeps are looked up again each time: their state changes while we watch.
  HEADROOM_ASSIGN_OR_RETURN(auto sweeps, watched_sweeps(store, options.sweep));
  Frame frame;
  char clock[32];
  std::time_t now = std::time(nullptr);
  std::strftime(clock, sizeof(clock), "%H:%M:%S", std::localtime(&now));
  frame.lines.push_back(std::string("headroom watch  ") + clock + "  " + store.path());
  if (sweeps.empty()) frame.lines.push_back("no sweeps yet");
  for (const auto& sweep : sweeps) {
    HEADROOM_ASSIGN_OR_RETURN(SweepSnapshot snapshot, take_snapshot(store, sweep));
    frame.any_running = frame.any_running || (sweep.state == SweepState::running && snapshot.orchestrator_alive);
    auto lines = render_snapshot(snapshot, render);
    frame.lines.insert(frame.lines.end(), lines.begin(), lines.end());
  }
  return frame;
}

int watch(const WatchOptions& options, const GlobalOptions& global) {
  if (options.interval <= 0) return report_error(Error::invalid("--interval must be positive"));
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  const bool live = !options.once && ::isatty(STDOUT_FILENO) && ::isatty(STDIN_FILENO);
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = no_color == nullptr || no_color[0] == '\0';  // no-color.org: set and not empty

  stop_requested = false;
  struct sigaction action = {}, previous_int = {}, previous_term = {};
  action.sa_handler = request_stop;
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  int status = 0;
  if (live) {
    LiveTerminal terminal;
    while (!stop_requested) {
      auto current = frame(*store.value(), options, RenderOptions{color, terminal.width(), 20});
      if (!current) {
        status = -1;
        break;
      }
      std::string screen = "\x1b[H\x1b[2J";
      for (const auto& line : current->lines) screen += line + "\r\n";
      screen += "\r\npress q to quit";
      std::fputs(screen.c_str(), stdout);
      std::fflush(stdout);
      if (terminal.quit_pressed(options.interval)) break;
    }
  }
  if (status == -1 || !live) {
    while (!stop_requested) {
      auto current = frame(*store.value(), options, RenderOptions{});
      if (!current) return report_error(current.error());
      for (const auto& line : current->lines) std::printf("%s\n", line.c_str());
      std::printf("\n");
      std::fflush(stdout);
      if (options.once || !current->any_running) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(options.interval));
    }
  }
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  return 0;
}

}  // namespace

void add_watch_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<WatchOptions>();
  auto* command = app.add_subcommand(
      "watch", "Live view of running sweeps: progress per run, loss, metric, tokens/s, ETA ('q' quits)");
  command->add_option("sweep", options->sweep, "only this sweep (default: every running sweep)");
  command->add_option("--interval", options->interval, "seconds between refreshes")->capture_default_str();
  command->add_flag("--once", options->once, "print one frame and exit");
  command->callback([options, &global, &exit_status] { exit_status = watch(*options, global); });
}

}  // namespace headroom::cli
