// headroom run SWEEP.yaml: record the sweep and run every pending cell.
// headroom resume SWEEP: the same for a sweep already in the database, from
// its stored spec (no file needed).
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "orchestrator/cli/commands.h"
#include "common/text_file.h"
#include "common/spelling.h"
#include "orchestrator/grid/preflight.h"
#include "orchestrator/devices/devices.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/monitor/render.h"
#include "orchestrator/scheduler/reopen.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/scheduler/slurm_scheduler.h"
#include "orchestrator/scheduler/stop_signals.h"
#include "orchestrator/scheduler/sweep_lock.h"
#include "orchestrator/scheduler/bayes_search.h"
#include "orchestrator/scheduler/nested_search.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct RunOptions {
  std::string sweep;      // run: the YAML file; resume: the sweep's name
  int64_t count = 0;      // random and bayes search: overrides run_cap
  int64_t max_cells = kDefaultMaxCells;
  std::string runs_root = "runs";
  std::string trainer;
  PlacementFlags placement;  // -j, --threads, --per-gpu
  bool extend = false;
  bool quiet = false;
  std::string format;  // text | jsonl (progress and the summary as JSON lines)
  bool json() const { return format == "jsonl"; }
  bool include_cancelled = false;  // resume: cancelled cells become pending again
  RetryFailed retry_failed;        // failed cells to run again with fresh retries
  bool detach = false;             // continue in the background, output to a log file
  std::string gpus = "all";
  double hang_seconds = 0;
  double stop_grace_seconds = 10;
  std::string executor;  // local | slurm; empty: the sweep's `executor`, else local
  SlurmSpec slurm;       // flags that override the sweep's `slurm:` block
  bool slurm_gpus = false;
};

// The sweep's retries and timeout, and the hang timeout of the command line.
LifecyclePolicy lifecycle_policy(const SweepSpec& spec, const RunOptions& options) {
  LifecyclePolicy lifecycle;
  lifecycle.retries = spec.retries;
  lifecycle.timeout_seconds = spec.timeout_seconds;
  lifecycle.hang_seconds = options.hang_seconds;
  return lifecycle;
}

// The sweep's `slurm:` block with the command line's flags on top.
SlurmSpec slurm_settings(const SweepSpec& spec, const RunOptions& options) {
  SlurmSpec slurm = spec.slurm;
  for (auto [flag, field] : {std::pair{&options.slurm.partition, &slurm.partition},
                             std::pair{&options.slurm.account, &slurm.account}, std::pair{&options.slurm.qos, &slurm.qos},
                             std::pair{&options.slurm.time, &slurm.time}, std::pair{&options.slurm.memory, &slurm.memory}}) {
    if (!flag->empty()) *field = *flag;
  }
  if (options.placement.jobs > 0) slurm.throttle = options.placement.jobs;
  if (options.slurm_gpus) slurm.gpus = true;
  slurm.sbatch_arguments.insert(slurm.sbatch_arguments.end(), options.slurm.sbatch_arguments.begin(),
                                options.slurm.sbatch_arguments.end());
  return slurm;
}


void print_progress(const SweepRecord& sweep, const SweepProgress& progress, bool json) {
  if (json) {
    nlohmann::json line = {{"event", "progress"},       {"sweep", sweep.name},
                           {"total", progress.total},     {"succeeded", progress.succeeded},
                           {"failed", progress.failed},   {"running", progress.running},
                           {"pending", progress.pending}, {"cancelled", progress.cancelled},
                           {"stopped_early", progress.stopped_early},
                           {"eta_seconds", progress.eta_seconds ? nlohmann::json(*progress.eta_seconds)
                                                                : nlohmann::json()}};
    std::printf("%s\n", json_text(line).c_str());
    std::fflush(stdout);
    return;
  }
  // As status shows it: # for succeeded cells, - stopped early, x failed.
  const int64_t done = progress.succeeded + progress.stopped_early + progress.failed;
  std::string text = sweep.name + ": " +
                     cells_bar(progress.succeeded, progress.stopped_early, progress.failed, progress.total, 20) + " " +
                     std::to_string(done) + "/" + std::to_string(progress.total) + " cells: " +
                     std::to_string(progress.succeeded) + " succeeded, " +
                     (progress.stopped_early ? std::to_string(progress.stopped_early) + " stopped early, " : "") +
                     std::to_string(progress.failed) +
                     " failed, " + std::to_string(progress.running) + " running, " +
                     std::to_string(progress.pending) + " pending";
  if (progress.eta_seconds && progress.pending + progress.running > 0) {
    text += ", ETA " + compact_duration(*progress.eta_seconds);
  }
  std::fprintf(stderr, "%s\n", text.c_str());
}

// Forks; the parent prints where the child logs and exits, the child leaves
// the terminal's session and writes its output to `log`. Returns in the child.
Status detach_to(const std::string& log) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) return Error::io("cannot fork to detach");
  if (child > 0) {
    std::printf("headroom: running in the background as pid %d; log: %s\n", int(child), log.c_str());
    std::fflush(stdout);
    std::_Exit(0);  // no destructors: the child owns the lock and the sweep now
  }
  ::setsid();  // no controlling terminal: a closed terminal sends no SIGHUP
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || null < 0) return Error::io("cannot open '" + log + "'");
  ::dup2(null, STDIN_FILENO);
  ::dup2(fd, STDOUT_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  ::close(null);
  return Ok{};
}

// The terminal reads one key at a time, without echo, while this lives (a
// question answered by one keypress); restored as it was on the way out.
class SingleKeyInput {
 public:
  SingleKeyInput() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios keys = saved_;
    keys.c_lflag &= ~tcflag_t(ICANON | ECHO);
    keys.c_cc[VMIN] = 1;
    keys.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &keys) == 0;
  }
  ~SingleKeyInput() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  SingleKeyInput(const SingleKeyInput&) = delete;
  SingleKeyInput& operator=(const SingleKeyInput&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// The Ctrl-C question, on the terminal: stop the workers (they checkpoint)
// or leave them running for a later run to adopt: one key, s or l (Enter
// stops). A second Ctrl-C, end of input or an unclear key twice stops them.
InterruptChoice ask_about_workers(const std::string& sweep, size_t running,
                                  const std::function<bool()>& interrupted_again) {
  std::fprintf(stderr,
               "\nheadroom: %zu worker%s running. [s]top %s (%s checkpoint; 'headroom resume %s' continues) or "
               "[l]eave %s running ('headroom resume %s' adopts %s)? Ctrl-C again stops. ",
               running, running == 1 ? " is" : "s are", running == 1 ? "it" : "them",
               running == 1 ? "it will" : "they will", sweep.c_str(), running == 1 ? "it" : "them", sweep.c_str(),
               running == 1 ? "it" : "them");
  SingleKeyInput one_key;
  int unclear = 0;
  while (!interrupted_again()) {
    pollfd input = {STDIN_FILENO, POLLIN, 0};
    if (::poll(&input, 1, 100) <= 0) continue;  // a timeout, or a signal interrupting the wait
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 1) break;  // end of input
    const char key = char(std::tolower(static_cast<unsigned char>(c)));
    if (key == 'l') {
      std::fprintf(stderr, "l\n");
      return InterruptChoice::leave_workers;
    }
    if (key == 's' || key == '\n' || key == '\r') {
      std::fprintf(stderr, "s\n");
      break;
    }
    if (++unclear == 2) {
      std::fprintf(stderr, "\n");
      break;
    }
    std::fprintf(stderr, "\nheadroom: press s (stop) or l (leave): ");
  }
  std::fprintf(stderr, "headroom: stopping the workers\n");
  return InterruptChoice::stop_workers;
}

// Validates the flags, admits the cells that will run (placement.h), takes
// the sweep's lock, registers the sweep (run) or finds it (resume), and
// drives it. `expansion` is null for resume.
int drive(const RunOptions& options, const GlobalOptions& global, const SweepSpec& spec,
          const Expansion* expansion, const std::vector<CellResources>& cells) {
  // A program's sweep does not run headroom-train.
  std::string trainer;
  if (!spec.program) {
    auto found = trainer_executable(options.trainer);
    if (!found) return report_error(found.error());
    trainer = found.value();
  }
  if (options.hang_seconds < 0) return report_error(Error::invalid("--hang-timeout must be at least 0"));
  const std::string executor = !options.executor.empty() ? options.executor : spec.executor;
  if (executor != "local" && executor != "slurm") {
    return report_error(Error::invalid("--executor must be local or slurm, not '" + executor + "'"));
  }
  const bool local = executor == "local";
  std::optional<Placement> placement;
  std::string supervisor;
  if (local && spec.program) {
    auto found = supervisor_executable();
    if (!found) return report_error(found.error());
    supervisor = found.value();
  }
  if (local) {
    auto machine = discover_machine(options.gpus);
    if (!machine) return report_error(machine.error());
    auto admitted = Placement::admit(options.placement, machine.value(), cells, spec.file);
    if (!admitted) return report_error(admitted.error());
    placement = std::move(admitted).value();
  }
  auto lock = SweepLock::acquire(global.database, spec.name);
  if (!lock) return report_error(lock.error());
  if (options.detach) {
    // The lock is taken first, so a busy sweep is reported here, in the
    // foreground; the child inherits the locked file and keeps it.
    // One log per sweep beside its lock file, appended to by every detached run.
    std::string log = lock.value()->path();
    log.replace(log.rfind(".lock-"), 6, ".log-");
    std::error_code error;
    if (auto detached = detach_to(fs::absolute(log, error).string()); !detached) {
      return report_error(detached.error());
    }
  }

  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  // --count is the sweep's total (it replaces run_cap), where W&B's agent
  // --count means this many more: a count the sweep already has makes nothing.
  if (options.count > 0 && !options.quiet && !options.json()) {
    auto existing = store.value()->find_sweep(spec.name);
    if (!existing) return report_error(existing.error());
    auto made = existing.value() ? store.value()->cells(existing.value()->id) : std::vector<CellRecord>();
    if (!made) return report_error(made.error());
    if (int64_t(made->size()) >= options.count) {
      std::fprintf(stderr,
                   "headroom: sweep '%s' has %zu cells already and --count %lld is its total, not a number "
                   "more: it makes no new cell (--count %lld would make %lld more)\n",
                   spec.name.c_str(), made->size(), static_cast<long long>(options.count),
                   static_cast<long long>(made->size() + options.count), static_cast<long long>(options.count));
    }
  }
  Result<SweepRecord> sweep = Error::internal("no sweep");
  if (expansion) {
    std::error_code error;
    fs::path runs_root = fs::absolute(options.runs_root, error);
    sweep = store.value()->register_sweep(spec, *expansion, runs_root.string(), options.extend);
  } else {
    sweep = find_sweep(*store.value(), spec.name);
  }
  if (!sweep) return report_error(sweep.error());
  if (options.include_cancelled) {
    if (auto reopened = store.value()->reopen_cancelled_cells(sweep->id); !reopened) {
      return report_error(reopened.error());
    }
  }
  const LifecyclePolicy lifecycle = lifecycle_policy(spec, options);
  auto reopening = failed_cells_to_reopen(*store.value(), sweep.value(), lifecycle, options.retry_failed);
  if (!reopening) return report_error(reopening.error());
  if (auto reopened = reopen(*store.value(), sweep.value(), reopening.value()); !reopened) {
    return report_error(reopened.error());
  }
  if (!options.quiet && !options.json() && !reopening->empty()) {
    std::fprintf(stderr, "headroom: %zu failed cell%s run%s again%s\n",
                 reopening->asked_for.size() + reopening->allowed_by_retries.size(),
                 reopening->asked_for.size() + reopening->allowed_by_retries.size() == 1 ? "" : "s",
                 reopening->asked_for.size() + reopening->allowed_by_retries.size() == 1 ? "s" : "",
                 reopening->allowed_by_retries.empty() ? "" : " (the sweep's retries allow more attempts now)");
  }
  SchedulerOptions scheduler;
  scheduler.trainer_path = trainer;
  scheduler.supervisor_path = supervisor;
  // A search makes its cells as slots free: one over the sweep, or one inside each grid cell.
  std::optional<BayesSearch> search;
  std::optional<NestedSearch> nested;
  if (spec.search) {
    auto groups = search_groups(spec);
    if (!groups) return report_error(groups.error());
    nested.emplace(spec, std::move(groups).value());
    scheduler.add_cell = [&nested, &store, &sweep]() { return nested->add_cell(*store.value(), sweep.value()); };
  } else if (spec.method == "bayes") {
    search.emplace(spec);
    scheduler.add_cell = [&search, &store, &sweep]() { return search->add_cell(*store.value(), sweep.value()); };
  }
  scheduler.lifecycle = lifecycle;
  scheduler.early_termination = early_termination_of(spec);
  scheduler.stop_grace = std::chrono::milliseconds(int64_t(options.stop_grace_seconds * 1000));
  const SweepRecord record = sweep.value();
  const SlurmSpec slurm = slurm_settings(spec, options);
  if (!options.quiet && !options.json() && local) {
    std::fprintf(stderr, "headroom: sweep '%s': %s, runs under %s\n", record.name.c_str(),
                 placement->describe().c_str(), (fs::path(record.runs_root) / record.name).c_str());
  } else if (!options.quiet && !options.json()) {
    std::fprintf(stderr, "headroom: sweep '%s': job arrays on SLURM (%s%s), runs under %s\n", record.name.c_str(),
                 slurm.partition.empty() ? "default partition" : ("partition " + slurm.partition).c_str(),
                 slurm.throttle > 0 ? (", at most " + std::to_string(slurm.throttle) + " at a time").c_str() : "",
                 (fs::path(record.runs_root) / record.name).c_str());
  }
  // A program's setting named like a built-in column of `runs` (but
  // head_size, which is its own there) is shown by `show`, not as a column.
  if (spec.program && !options.quiet && !options.json()) {
    size_t hidden = 0;
    std::string listed;
    for (const auto& column : wide_view_builtin_columns()) {
      const bool named = spec.base.count(column) ||
                         std::any_of(spec.parameters.begin(), spec.parameters.end(),
                                     [&](const ParameterSpec& parameter) { return parameter.name == column; });
      if (!named || column == "head_size") continue;
      listed += (hidden++ == 0 ? "'" : ", '") + column + "'";
    }
    if (hidden > 0) {
      std::fprintf(stderr,
                   "headroom: warning: the program's setting%s %s %s built-in column%s of `runs` and its "
                   "filters, which show the run's own; `headroom show RUN` shows the setting%s\n",
                   hidden == 1 ? "" : "s", printable(listed).c_str(),
                   hidden == 1 ? "has the name of a" : "have the names of", hidden == 1 ? "" : "s",
                   hidden == 1 ? "" : "s");
    }
  }
  // A sweep whose runs never log its metric is judged on nothing (a search
  // searches blind, hyperband never stops a run): said as soon as the first
  // run ends without it, and once.
  bool metric_checked = !spec.metric || options.json();
  Store& database = *store.value();
  const auto check_metric = [&] {
    metric_checked = true;
    auto logged = database.metric_names(record.id);
    if (logged && std::find(logged->begin(), logged->end(), spec.metric->name) == logged->end()) {
      std::fprintf(stderr, "headroom: warning: no run logged the sweep's metric '%s'%s\n",
                   printable(spec.metric->name).c_str(),
                   printable(logged->empty() ? std::string(" (they logged no metric)")
                                             : did_you_mean(spec.metric->name, logged.value())).c_str());
    }
  };
  scheduler.progress = [&](const SweepProgress& progress) {
    if (!options.quiet || options.json()) print_progress(record, progress, options.json());
    if (!metric_checked && progress.succeeded + progress.stopped_early > 0) check_metric();
  };
  // Only a person at a terminal can answer the Ctrl-C question.
  if (!options.json() && !options.detach && ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO)) {
    scheduler.on_interrupt = [&record](size_t running, const std::function<bool()>& interrupted_again) {
      return ask_about_workers(record.name, running, interrupted_again);
    };
  }
  if (auto marked = store.value()->set_sweep_state(record.id, SweepState::running); !marked) {
    return report_error(marked.error());
  }
  Result<SweepOutcome> outcome = Error::internal("no executor ran");
  if (local) {
    outcome = run_sweep(*store.value(), record, *placement, scheduler);
  } else {
    SlurmSchedulerOptions on_slurm;
    if (!trainer.empty()) on_slurm.trainer_path = fs::absolute(trainer).string();  // a program's sweep has none
    on_slurm.slurm = slurm;
    on_slurm.threads_per_run = options.placement.threads;
    on_slurm.lifecycle = lifecycle;
    on_slurm.early_termination = scheduler.early_termination;
    on_slurm.add_cell = scheduler.add_cell;
    on_slurm.progress = scheduler.progress;
    outcome = run_sweep_on_slurm(*store.value(), record, on_slurm);
  }
  // A sweep ends finished only when no cell is left to run.
  const bool finished = outcome && !outcome->interrupted && outcome->pending == 0;
  if (auto marked = store.value()->set_sweep_state(record.id, finished ? SweepState::finished : SweepState::interrupted);
      !marked) {
    return report_error(marked.error());
  }
  if (!outcome) return report_error(outcome.error());
  if (options.json()) {
    nlohmann::json summary = {{"event", "summary"},
                              {"sweep", record.name},
                              {"succeeded", outcome->succeeded},
                              {"stopped_early", outcome->stopped_early},
                              {"failed", outcome->failed},
                              {"pending", outcome->pending},
                              {"cancelled", outcome->cancelled},
                              {"interrupted", outcome->interrupted}};
    std::printf("%s\n", json_text(summary).c_str());
  } else {
    const std::string stopped_early =
        outcome->stopped_early ? std::to_string(outcome->stopped_early) + " stopped early, " : "";
    const std::string cancelled =
        outcome->cancelled ? ", " + std::to_string(outcome->cancelled) + " cancelled" : "";
    std::printf("sweep '%s': %lld succeeded, %s%lld failed, %lld pending%s\n", record.name.c_str(),
                static_cast<long long>(outcome->succeeded), stopped_early.c_str(),
                static_cast<long long>(outcome->failed), static_cast<long long>(outcome->pending), cancelled.c_str());
  }
  if (!metric_checked && outcome->succeeded + outcome->stopped_early + outcome->failed > 0) check_metric();
  if (outcome->cancelled > 0 && !options.quiet && !options.json()) {
    std::fprintf(stderr, "headroom: 'headroom resume %s --include-cancelled' runs the cancelled cells\n",
                 record.name.c_str());
  }
  if (outcome->left_running > 0) {
    std::fprintf(stderr, "headroom: left %zu %s%s running; 'headroom resume %s' adopts %s and continues\n",
                 outcome->left_running, local ? "worker" : "SLURM task", outcome->left_running == 1 ? "" : "s",
                 record.name.c_str(), outcome->left_running == 1 ? "it" : "them");
    return 130;
  }
  if (outcome->interrupted) {
    std::fprintf(stderr, "headroom: interrupted; 'headroom resume %s' continues it\n", record.name.c_str());
    return 130;
  }
  return outcome->failed > 0 ? 1 : 0;
}

// W&B's random search without run_cap (or --count): draws cells in rounds
// (grid.h) until stopped with Ctrl-C, or until a round draws nothing new.
int run_until_stopped(const RunOptions& options, const GlobalOptions& global, SweepSpec spec) {
  size_t drawn = 0;
  for (int64_t cap = kRandomDrawsPerRound;; cap += kRandomDrawsPerRound) {
    spec.run_cap = cap;
    auto expansion = expand(spec, options.max_cells);
    if (!expansion) return report_error(expansion.error());
    if (expansion->cells.size() == drawn) {
      std::fprintf(stderr, "headroom: sweep '%s' drew no new cell: its space is exhausted\n", spec.name.c_str());
      return 0;
    }
    drawn = expansion->cells.size();
    if (auto data = check_cells_data(spec, expansion.value()); !data) return report_error(data.error());
    const int status = drive(options, global, spec, &expansion.value(), cell_resources(expansion.value()));
    // 1: some cell failed, which does not end a search; anything else does.
    if (StopSignals::requested() || (status != 0 && status != 1)) return status;
  }
}

// A bayes sweep starts with no cells: its search makes them as slots free.
// Its first proposals (random draws, whatever the results) are checked as
// plan checks cells: their data, and that they fit the machine.
int run_search(const RunOptions& options, const GlobalOptions& global, const SweepSpec& spec) {
  // No cells, but its expressions checked as a grid's are.
  if (auto none = expand(spec, options.max_cells); !none) return report_error(none.error());
  const Expansion first = BayesSearch(spec).first_proposals(kPlannedProposals);
  if (auto data = check_cells_data(spec, first); !data) return report_error(data.error());
  const Expansion none;  // registered without cells
  return drive(options, global, spec, &none, cell_resources(first));
}

// The outer cells of a sweep with a search inside each: what its searches'
// cells are like (resources, data), checked as plan checks cells.
Result<Expansion> outer_cells(const SweepSpec& spec, int64_t max_cells) {
  HEADROOM_ASSIGN_OR_RETURN(auto groups, search_groups(spec, max_cells));
  Expansion outer;
  for (auto& group : groups) outer.cells.push_back(std::move(group.outer));
  return outer;
}

// A sweep with a search inside each grid cell starts with no cells either.
int run_nested(const RunOptions& options, const GlobalOptions& global, const SweepSpec& spec) {
  auto outer = outer_cells(spec, options.max_cells);
  if (!outer) return report_error(outer.error());
  if (auto data = check_cells_data(spec, outer.value()); !data) return report_error(data.error());
  const Expansion none;  // registered without cells
  return drive(options, global, spec, &none, cell_resources(outer.value()));
}

int run(const RunOptions& options, const GlobalOptions& global) {
  // Everything is validated before the database is opened: bad input writes nothing.
  auto spec = load_sweep(options.sweep, options.count);
  if (!spec) return report_error(spec.error());
  if (spec->search) return run_nested(options, global, spec.value());
  if (spec->method == "bayes") return run_search(options, global, spec.value());
  if (spec->method == "random" && spec->run_cap == 0) return run_until_stopped(options, global, spec.value());
  auto expansion = expand(spec.value(), options.max_cells);
  if (!expansion) return report_error(expansion.error());
  if (auto data = check_cells_data(spec.value(), expansion.value()); !data) return report_error(data.error());
  return drive(options, global, spec.value(), &expansion.value(), cell_resources(expansion.value()));
}

int resume(const RunOptions& options, const GlobalOptions& global) {
  SweepSpec spec;
  std::vector<CellResources> cells;
  {
    auto store = Store::open_read_only(global.database);
    if (!store) return report_error(store.error());
    auto sweep = find_sweep(*store.value(), options.sweep);
    if (!sweep) return report_error(sweep.error());
    // The stored text is the spec as it was run: retries and timeout come from it.
    auto parsed = parse_sweep(sweep->spec_text, sweep->spec_path);
    if (!parsed) return report_error(parsed.error());
    spec = parsed.value();
    // The cells that may run: those not finished, the cancelled ones when
    // asked, and the failed ones that run again (reopen.h).
    auto reopening = failed_cells_to_reopen(*store.value(), sweep.value(), lifecycle_policy(spec, options),
                                            options.retry_failed);
    if (!reopening) return report_error(reopening.error());
    auto stored = store.value()->cells(sweep->id);
    if (!stored) return report_error(stored.error());
    auto reopened = [&](int64_t id) {
      for (const auto* ids : {&reopening->asked_for, &reopening->allowed_by_retries}) {
        if (std::find(ids->begin(), ids->end(), id) != ids->end()) return true;
      }
      return false;
    };
    for (const auto& cell : stored.value()) {
      const bool open = cell.state == CellState::pending || cell.state == CellState::running ||
                        (options.include_cancelled && cell.state == CellState::cancelled) || reopened(cell.id);
      if (open) cells.push_back(cell.resources);
    }
    // A search goes on making cells like its first ones.
    if (spec.search) {
      auto outer = outer_cells(spec, options.max_cells);
      if (!outer) return report_error(outer.error());
      for (const auto& resources : cell_resources(outer.value())) cells.push_back(resources);
    } else if (spec.method == "bayes") {
      for (const auto& resources : cell_resources(BayesSearch(spec).first_proposals(kPlannedProposals))) {
        cells.push_back(resources);
      }
    }
  }
  return drive(options, global, spec, nullptr, cells);
}

// Flags shared by run and resume; returns --retry-failed, whose presence
// matters apart from its values.
CLI::Option* add_execution_flags(CLI::App* command, RunOptions& options) {
  command->add_option("-j,--jobs", options.placement.jobs,
                      "workers at once (default: the GPU slots, or usable cores / --threads)");
  command->add_option("--threads", options.placement.threads,
                      "threads per worker (default 1), unless the sweep sets 'threads' per cell");
  command->add_option("--trainer", options.trainer, "the headroom-train executable (default: beside headroom)");
  command->add_flag("-q,--quiet", options.quiet, "print only the final summary");
  add_format_options(*command, options.format, {"text", "jsonl"});
  command->add_flag("--detach", options.detach,
                    "continue in the background; prints the pid and the sweep's log file (beside the database)");
  command->add_option("--gpus", options.gpus,
                      "GPUs to use: all (default; those nvidia-smi lists and CUDA_VISIBLE_DEVICES leaves), "
                      "none, or indices such as 0,2");
  command->add_option("--per-gpu", options.placement.per_gpu, "workers sharing one GPU (default 1)");
  command->add_option("--hang-timeout", options.hang_seconds,
                      "seconds without an event after which a worker counts as hung, is stopped and "
                      "retried (default 0: never)");
  command->add_option("--stop-grace", options.stop_grace_seconds,
                      "seconds between SIGTERM and SIGKILL when stopping a worker (default 10)");
  command->add_option("--executor", options.executor,
                      "local (default) or slurm: submit cells as SLURM job arrays (default: the sweep's 'executor')");
  command->add_option("--partition", options.slurm.partition, "slurm: the partition (sbatch --partition)");
  command->add_option("--account", options.slurm.account, "slurm: the account to charge (sbatch --account)");
  command->add_option("--qos", options.slurm.qos, "slurm: the quality of service (sbatch --qos)");
  command->add_option("--time", options.slurm.time,
                      "slurm: each task's time limit (sbatch --time; default: the sweep's timeout)");
  command->add_option("--mem", options.slurm.memory, "slurm: each task's memory (sbatch --mem, e.g. 16G)");
  command->add_flag("--slurm-gpus", options.slurm_gpus,
                    "slurm: ask for each cell's 'gpus' (sbatch --gpus-per-task); -j sets the array throttle");
  auto* retry_failed = command->add_option("--retry-failed", options.retry_failed.cells,
                      "run failed cells again, each with a fresh set of retries: every failed cell, or only these "
                      "(hash prefixes from the 'cell' column, comma-separated)")
      ->expected(0, 1)
      ->allow_extra_args(false)
      ->delimiter(',');
  command->add_option("--sbatch", options.slurm.sbatch_arguments,
                      "slurm: an extra sbatch argument, as it is (repeat for several)")
      ->expected(1)
      ->allow_extra_args(false);
  return retry_failed;
}

// Reads --retry-failed after parsing: given at all, and which cells.
void read_retry_failed(const CLI::Option* flag, RetryFailed& retry) {
  retry.asked = flag->count() > 0;
  std::erase(retry.cells, std::string());
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<RunOptions>();
  auto* command = app.add_subcommand(
      "run", "Record a sweep in the database and train every pending cell; run again to resume");
  command->add_option("sweep", options->sweep, "the sweep YAML file")->required();
  command->add_option("--count", options->count, "random and bayes search: cells to make (overrides run_cap)");
  command->add_option("--max-cells", options->max_cells,
                      "refuse a sweep of more cells than this (default " + std::to_string(kDefaultMaxCells) + ")");
  command->add_option("--runs-root", options->runs_root, "where run folders go (default ./runs)");
  command->add_flag("--extend", options->extend,
                    "the sweep's file changed: add its new cells, keep the finished ones");
  auto* retry_failed = add_execution_flags(command, *options);
  command->callback([options, retry_failed, &global, &exit_status] {
    read_retry_failed(retry_failed, options->retry_failed);
    exit_status = run(*options, global);
  });

  auto resume_options = std::make_shared<RunOptions>();
  auto* resume_command = app.add_subcommand(
      "resume", "Continue a sweep already in the database (after a crash, Ctrl-C or cancel), from its stored spec");
  resume_command->add_option("sweep", resume_options->sweep, "the sweep's name")->required();
  resume_command->add_flag("--include-cancelled", resume_options->include_cancelled,
                           "run cancelled cells too");
  auto* resume_retry_failed = add_execution_flags(resume_command, *resume_options);
  resume_command->callback([resume_options, resume_retry_failed, &global, &exit_status] {
    read_retry_failed(resume_retry_failed, resume_options->retry_failed);
    exit_status = resume(*resume_options, global);
  });
}

}  // namespace headroom::cli
