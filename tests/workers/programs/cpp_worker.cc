// An example C++ worker built on workers/cpp/headroom/worker.h, and the
// program the orchestrator's end-to-end tests run as a user's C++ worker.
//
// It "trains" a deterministic toy: gradient descent on (w - x)^2 from w = 0
// with learning rate lr. Flags (W&B style, as Headroom's ${args} passes them;
// flags it does not know are ignored):
//   --x=NUMBER      the target (default: config.json's "x", else 3)
//   --steps=N       steps to train, N >= 1 (default: config.json's "steps", else 20)
//   --lr=NUMBER     learning rate (default 0.1; above 1 the loss diverges)
//   --fail=1        end "failed" ("asked to fail") after half the steps
//   --step_ms=N     sleep N ms per step (to be stopped with SIGTERM)
// Each step logs train/loss (the loss after the step); the last step also logs
// eval/loss. Every 5 steps (and on SIGTERM) it writes "STEP W" to
// checkpoint_dir()/state.txt and a checkpoint event; with HEADROOM_RESUME=1 it
// continues from there. SIGTERM: checkpoint, end "preempted", exit 4. A bad
// flag ends "invalid_config" (exit 2); a non-finite loss ends "diverged".
// Outside Headroom it trains the same way and prints the final loss.

#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "headroom/worker.h"

namespace {

using headroom_worker::Run;
using headroom_worker::Status;

constexpr int64_t kCheckpointEvery = 5;

// The value of --name=VALUE, or nullptr.
const char* flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() >= name.size() + 3 && arg.substr(0, 2) == "--" && arg.substr(2, name.size()) == name &&
        arg[2 + name.size()] == '=') {
      return argv[i] + 3 + name.size();
    }
  }
  return nullptr;
}

bool parse_number(const char* text, double& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtod(text, &end);
  return end != text && *end == '\0' && errno == 0 && std::isfinite(value);
}

bool parse_integer(const char* text, int64_t& value) {
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(text, &end, 10);
  value = parsed;
  return end != text && *end == '\0' && errno == 0;
}

// Writes "STEP W" atomically: a temporary file, fsync'ed, renamed over state.txt.
bool save_state(const std::string& dir, int64_t step, double w) {
  const std::string path = dir + "/state.txt", temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (!file) return false;
  bool ok = std::fprintf(file, "%lld %.17g\n", static_cast<long long>(step), w) > 0;
  ok = std::fflush(file) == 0 && ok;
  ok = ::fsync(::fileno(file)) == 0 && ok;
  ok = std::fclose(file) == 0 && ok;
  return ok && std::rename(temporary.c_str(), path.c_str()) == 0;
}

bool load_state(const std::string& dir, int64_t& step, double& w) {
  std::FILE* file = std::fopen((dir + "/state.txt").c_str(), "r");
  if (!file) return false;
  long long saved_step = 0;
  const bool ok = std::fscanf(file, "%lld %lf", &saved_step, &w) == 2 && saved_step >= 0;
  std::fclose(file);
  step = saved_step;
  return ok;
}

void sleep_ms(int64_t ms) {
  timespec delay{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  ::nanosleep(&delay, nullptr);  // SIGTERM cuts it short
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  Run::handle_sigterm();

  double x = 3.0, lr = 0.1;
  int64_t steps = 20, step_ms = 0, fail = 0;
  try {
    x = run.number("x", x);
    steps = run.integer("steps", steps);
  } catch (const headroom_worker::ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    run.finish(Status::invalid_config, error.what());
  }
  struct {
    const char* name;
    double* number;
    int64_t* integer;
  } flags[] = {{"x", &x, nullptr}, {"lr", &lr, nullptr}, {"steps", nullptr, &steps},
               {"step_ms", nullptr, &step_ms}, {"fail", nullptr, &fail}};
  for (const auto& f : flags) {
    const char* text = flag(argc, argv, f.name);
    if (!text) continue;
    if (f.number ? !parse_number(text, *f.number) : !parse_integer(text, *f.integer)) {
      const std::string error = std::string("--") + f.name + "=" + text + " is not " +
                                (f.number ? "a finite number" : "a whole number");
      std::fprintf(stderr, "%s\n", error.c_str());
      run.finish(Status::invalid_config, error);
    }
  }
  if (steps < 1) run.finish(Status::invalid_config, "--steps must be at least 1");
  if (step_ms < 0) run.finish(Status::invalid_config, "--step_ms must not be negative");

  const std::string checkpoint_dir = run.checkpoint_dir();  // "" standalone: no checkpoints
  int64_t step = 0;  // steps completed
  double w = 0;
  if (run.resuming() && !checkpoint_dir.empty() && !load_state(checkpoint_dir, step, w)) {
    std::fprintf(stderr, "no usable checkpoint in %s: starting afresh\n", checkpoint_dir.c_str());
    step = 0;
    w = 0;
  }
  run.start(step);

  auto checkpoint = [&] {
    if (checkpoint_dir.empty()) return;
    if (!save_state(checkpoint_dir, step, w)) {
      run.finish(Status::failed, "cannot write " + checkpoint_dir + "/state.txt: " + std::strerror(errno));
    }
    run.checkpoint(step);
  };

  double loss = (w - x) * (w - x);
  while (step < steps) {
    if (Run::stop_requested()) {
      checkpoint();
      std::printf("stopped by SIGTERM at step %lld\n", static_cast<long long>(step));
      run.finish(Status::preempted, "stopped by SIGTERM at step " + std::to_string(step));
    }
    if (fail == 1 && step >= steps / 2) run.finish(Status::failed, "asked to fail");
    w -= lr * 2 * (w - x);
    loss = (w - x) * (w - x);
    ++step;
    run.log(step, {{"train/loss", loss}});
    if (!std::isfinite(loss)) {
      run.finish(Status::diverged, "train/loss is " + std::to_string(loss) + " at step " + std::to_string(step));
    }
    if (step % kCheckpointEvery == 0) checkpoint();
    if (step_ms > 0) sleep_ms(step_ms);
  }
  run.eval(step, {{"eval/loss", loss}});
  std::printf("final loss %.17g\n", loss);
  run.finish(Status::ok);
}
