// headroom-test-worker: a stand-in for headroom-train that behaves as a test
// tells it, so scheduler tests can crash, hang or ignore SIGTERM on purpose
// and the orchestrator benchmark can run trivial trials.
//
// Same command line as headroom-train (--config FILE --run-dir DIR
// [--resume]). It writes a start event, one metric line per configured step
// (config "steps"), and an end event. The environment steers it:
//   HEADROOM_TEST_WORKER="SEED=BEHAVIOUR,..."  behaviour of the cell with that
//       config seed: ok (default), crash (exit 1 halfway), crash_once (crash on
//       attempt 1 only), hang (start, then silence), ignore_term (no events,
//       ignores SIGTERM), diverge (end "diverged", exit 3), many_metrics
//       (first logs 1,001 distinct metric names probe/SEED/N, one line each,
//       which is one more than a run may have), crash_binary (writes bytes
//       that are not UTF-8 to stderr, then exits 1), invalid_config (ends
//       "invalid_config" naming the corpus, as headroom-train does when its
//       corpus vanished after the orchestrator checked it)
//   HEADROOM_TEST_WORKER_STEP_MS  sleep per step (default 0)
//   HEADROOM_TEST_WORKER_LOG      a file to append "start|end <time> <run-dir>
//       <CUDA_VISIBLE_DEVICES> <OMP_NUM_THREADS>" lines to (O_APPEND, so
//       concurrent workers never interleave within a line)
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/protocol.h"

namespace {

namespace fs = std::filesystem;
using headroom::protocol::EndStatus;
using headroom::protocol::EventKind;

volatile sig_atomic_t terminated = 0;
extern "C" void on_term(int) { terminated = 1; }

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

void log_line(const std::string& what, const std::string& run_dir) {
  std::string path = env("HEADROOM_TEST_WORKER_LOG");
  if (path.empty()) return;
  std::ostringstream line;
  line.precision(17);
  line << what << " " << now() << " " << run_dir << " [" << env("CUDA_VISIBLE_DEVICES", "unset") << "] "
       << env("OMP_NUM_THREADS", "unset") << "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  std::string text = line.str();
  if (::write(fd, text.data(), text.size()) < 0) std::perror("test worker log");
  ::close(fd);
}

std::string behaviour_for(int64_t seed) {
  std::istringstream plan(env("HEADROOM_TEST_WORKER"));
  for (std::string entry; std::getline(plan, entry, ',');) {
    auto equals = entry.find('=');
    if (equals != std::string::npos && entry.substr(0, equals) == std::to_string(seed)) return entry.substr(equals + 1);
  }
  return "ok";
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, run_dir;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument == "--config" && i + 1 < argc) config_path = argv[++i];
    if (argument == "--run-dir" && i + 1 < argc) run_dir = argv[++i];
  }
  std::ifstream config_file(config_path);
  auto config = nlohmann::json::parse(config_file, nullptr, false);
  if (config.is_discarded() || run_dir.empty()) {
    std::fprintf(stderr, "test worker: usage: --config FILE --run-dir DIR\n");
    return 2;
  }
  const std::string behaviour = behaviour_for(config.value("seed", int64_t(0)));
  const int64_t steps = config.value("steps", int64_t(10));
  const int step_ms = std::atoi(env("HEADROOM_TEST_WORKER_STEP_MS", "0").c_str());
  const bool first_attempt = fs::path(run_dir).filename() == "1";

  if (behaviour == "ignore_term") {
    ::signal(SIGTERM, SIG_IGN);
  } else {
    ::signal(SIGTERM, on_term);
  }
  std::ofstream events(fs::path(run_dir) / headroom::protocol::kEventsFile, std::ios::app);
  auto emit = [&](EventKind kind, nlohmann::json event) {
    event["event"] = headroom::protocol::to_string(kind);
    event["v"] = headroom::protocol::kVersion;
    event["time"] = now();
    events << event.dump() << "\n" << std::flush;
  };
  // Writes the end event and returns the exit status the protocol gives it.
  auto end = [&](EndStatus status, nlohmann::json event) {
    event["status"] = headroom::protocol::to_string(status);
    emit(EventKind::end, std::move(event));
    log_line("end", run_dir);
    return headroom::protocol::exit_code(status);
  };
  log_line("start", run_dir);
  const std::string visible = env("CUDA_VISIBLE_DEVICES");
  emit(EventKind::start, {{"pid", ::getpid()}, {"device", visible.empty() ? "cpu" : "cuda:0"},
                          {"cuda_visible_devices", visible}, {"threads", env("OMP_NUM_THREADS")}});
  if (behaviour == "hang" || behaviour == "ignore_term") {
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (behaviour == "invalid_config") {
    return end(EndStatus::invalid_config, {{"error", "corpus '" + config.value("corpus", std::string()) + "' does not exist"}});
  }
  if (behaviour == "crash_binary") {
    std::fprintf(stderr, "test worker: \xff\xfe\x1b[31m not text\n");
    return 1;
  }
  if (behaviour == "many_metrics") {
    const std::string prefix = "probe/" + std::to_string(config.value("seed", int64_t(0))) + "/";
    for (int i = 0; i <= 1000; ++i) emit(EventKind::metric, {{"step", 0}, {"values", {{prefix + std::to_string(i), i}}}});
  }
  for (int64_t step = 1; step <= steps; ++step) {
    if (terminated) return end(EndStatus::preempted, {{"step", step - 1}});
    if ((behaviour == "crash" || (behaviour == "crash_once" && first_attempt)) && step > steps / 2) {
      std::fprintf(stderr, "test worker: crashing at step %lld as told\n", static_cast<long long>(step));
      log_line("end", run_dir);
      return 1;
    }
    emit(EventKind::metric,
         {{"step", step}, {"values", {{"train/loss", 1.0 / double(step)}, {"train/tokens_per_s", 1000.0}}}});
    if (step_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
  if (behaviour == "diverge") return end(EndStatus::diverged, {{"step", steps}, {"error", "loss is NaN"}});
  emit(EventKind::eval, {{"step", steps}, {"values", {{"eval/accuracy", 0.5}}}});
  return end(EndStatus::ok, {{"step", steps}});
}
