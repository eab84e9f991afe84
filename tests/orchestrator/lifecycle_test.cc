// decide(): one row per rule of orchestrator/scheduler/lifecycle.h, for local
// workers and SLURM tasks alike.
#include "orchestrator/scheduler/lifecycle.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

using namespace std::chrono_literals;
using slurm::State;

AttemptFacts exited(int code, std::string end_status = "") {
  AttemptFacts facts;
  facts.exit_code = code;
  facts.end_status = std::move(end_status);
  return facts;
}

AttemptFacts killed(int signal, std::string end_status = "") {
  AttemptFacts facts;
  facts.signal = signal;
  facts.end_status = std::move(end_status);
  return facts;
}

AttemptFacts in_slurm(State state, int code, std::string end_status = "") {
  AttemptFacts facts = exited(code, std::move(end_status));
  facts.slurm_state = state;
  facts.where = "SLURM task 4711_3";
  return facts;
}

template <typename Change>
AttemptFacts with(AttemptFacts facts, Change change) {
  change(facts);
  return facts;
}

CellHistory cell(CellState state = CellState::running, std::vector<RunState> earlier = {}) {
  return CellHistory{state, std::move(earlier)};
}

struct Row {
  std::string name;
  AttemptFacts facts;
  CellHistory history;
  RunState run;
  CellState next;
  std::optional<std::chrono::milliseconds> retry_after;  // expected back-off
  std::string error;                                      // a part of the error; "" = none recorded
  bool hold = false;
};

LifecyclePolicy policy(int retries) {
  LifecyclePolicy p;
  p.retries = retries;
  p.retry_backoff = 2000ms;
  p.timeout_seconds = 60;
  p.hang_seconds = 1;
  return p;
}

void check(const Row& row, int retries) {
  SCOPED_TRACE(row.name);
  Decision d = decide(row.facts, row.history, policy(retries));
  EXPECT_EQ(to_string(d.end.state), to_string(row.run));
  EXPECT_EQ(to_string(d.cell), to_string(row.next));
  EXPECT_EQ(d.retry_after, row.retry_after);
  EXPECT_EQ(d.hold_until_resume, row.hold);
  if (row.error.empty()) {
    EXPECT_FALSE(d.end.error.has_value()) << *d.end.error;
  } else {
    ASSERT_TRUE(d.end.error.has_value());
    EXPECT_NE(d.end.error->find(row.error), std::string::npos) << *d.end.error;
  }
  EXPECT_EQ(d.end.exit_code, row.facts.exit_code);
  EXPECT_EQ(d.end.signal, row.facts.signal);
}

TEST(Lifecycle, EveryRuleWithOneRetryLeft) {
  const std::vector<Row> rows = {
      {"a clean end", exited(0, "ok"), cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"an orphan that ended ok while no orchestrator watched", with(AttemptFacts{}, [](auto& f) {
         f.end_status = "ok";
         f.vanished = true;
       }), cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"killed after a durable ok end", killed(9, "ok"), cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"the retry of a crashed cell succeeds", exited(0, "ok"), cell(CellState::running, {RunState::failed}),
       RunState::succeeded, CellState::succeeded, {}, ""},
      {"a program that speaks no protocol and exits 0", exited(0), cell(), RunState::succeeded, CellState::succeeded,
       {}, ""},
      {"a program without end event stopped by Ctrl-C that exits 0",
       with(exited(0), [](auto& f) { f.stopped_by_orchestrator = true; }), cell(), RunState::cancelled,
       CellState::pending, {}, ""},
      {"stopped early: the trainer checkpoints and ends preempted",
       with(exited(0, "preempted"), [](auto& f) { f.stopped_early = "at 9 values: 0.41, below the threshold 0.45"; }),
       cell(), RunState::stopped_early, CellState::stopped_early, {}, "below the threshold 0.45"},
      {"stopped early: a program without end event that exits 0",
       with(exited(0), [](auto& f) { f.stopped_early = "at 3 values"; }), cell(), RunState::stopped_early,
       CellState::stopped_early, {}, "at 3 values"},
      {"stopped early, but it had ended ok first", with(exited(0, "ok"), [](auto& f) { f.stopped_early = "late"; }),
       cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"stopped early while `headroom cancel` took the cell",
       with(killed(15), [](auto& f) { f.stopped_early = "at 3 values"; }), cell(CellState::cancelled),
       RunState::stopped_early, CellState::cancelled, {}, "at 3 values"},
      {"a crash", with(exited(1, "failed"), [](auto& f) { f.stderr_tail = "boom"; }), cell(), RunState::failed,
       CellState::pending, 2000ms, "boom"},
      {"a crash without an end event", exited(1), cell(), RunState::failed, CellState::pending, 2000ms,
       "exited with status 1 without an end event"},
      {"a crash whose worker recorded its error", with(exited(1, "failed"), [](auto& f) { f.error_recorded = true; }),
       cell(), RunState::failed, CellState::pending, 2000ms, ""},
      {"signal 9 from outside", killed(9), cell(), RunState::failed, CellState::pending, 2000ms,
       "killed by signal 9"},
      {"ok written, but exit status 1", exited(1, "ok"), cell(), RunState::failed, CellState::pending, 2000ms,
       "wrote end 'ok' but exited with status 1"},
      {"an end status this headroom does not know", exited(0, "weird"), cell(), RunState::failed,
       CellState::pending, 2000ms, "ended with status 'weird'"},
      {"events refused by ingestion", with(exited(0), [](auto& f) { f.event_problem = "protocol version 2"; }),
       cell(), RunState::failed, CellState::pending, 2000ms, "protocol version 2"},
      {"diverged, by its end event", exited(3, "diverged"), cell(), RunState::diverged, CellState::failed, {}, ""},
      {"diverged, by exit status alone", exited(3), cell(), RunState::diverged, CellState::failed, {},
       "without an end event"},
      {"an invalid config", exited(2, "invalid_config"), cell(), RunState::invalid, CellState::failed, {}, ""},
      {"the sweep's timeout", with(killed(15, "preempted"), [](auto& f) { f.stopped_at_timeout = true; }), cell(),
       RunState::timeout, CellState::failed, {}, "stopped after the sweep's timeout of 60 s"},
      {"a hang", with(killed(15), [](auto& f) { f.stopped_as_hung = true; }), cell(), RunState::failed,
       CellState::pending, 2000ms, "hung: no event for 1 s; stopped"},
      {"stopped by Ctrl-C", with(exited(4, "preempted"), [](auto& f) { f.stopped_by_orchestrator = true; }), cell(),
       RunState::cancelled, CellState::pending, {}, ""},
      {"finished just as Ctrl-C came", with(exited(0, "ok"), [](auto& f) { f.stopped_by_orchestrator = true; }),
       cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"headroom cancel stopped it", exited(4, "preempted"), cell(CellState::cancelled), RunState::cancelled,
       CellState::cancelled, {}, ""},
      {"headroom cancel took it as it crashed", exited(1), cell(CellState::cancelled), RunState::failed,
       CellState::cancelled, {}, "exited with status 1"},
      {"headroom cancel came after it succeeded", exited(0, "ok"), cell(CellState::cancelled), RunState::succeeded,
       CellState::succeeded, {}, ""},
      {"a SIGTERM nobody here sent", exited(4, "preempted"), cell(), RunState::lost, CellState::pending, {},
       "a SIGTERM headroom did not send"},
      {"a program without end event that exits 0 after a stop nobody here sent (its orchestrator was killed)",
       with(exited(0), [](auto& f) { f.stop_signal = 15; }), cell(), RunState::lost, CellState::pending, {},
       "stop signal (15) that no running headroom accounts for"},
      {"a program without end event killed by a stop nobody here sent: a failure, as any signal",
       with(killed(15), [](auto& f) { f.stop_signal = 15; }), cell(), RunState::failed, CellState::pending, 2000ms,
       "killed by signal 15"},
      // Every stop of a program's worker reaches its supervisor from outside
      // the group, so the stops this orchestrator made decide first.
      {"a program stopped at the timeout that exits 0", with(exited(0), [](auto& f) {
         f.stop_signal = 15;
         f.stopped_at_timeout = true;
       }),
       cell(), RunState::timeout, CellState::failed, {}, "timeout of 60 s"},
      {"a program stopped as hung that exits 0", with(exited(0), [](auto& f) {
         f.stop_signal = 15;
         f.stopped_as_hung = true;
       }),
       cell(), RunState::failed, CellState::pending, 2000ms, "hung"},
      {"a program stopped by Ctrl-C that exits 0", with(exited(0), [](auto& f) {
         f.stop_signal = 15;
         f.stopped_by_orchestrator = true;
       }),
       cell(), RunState::cancelled, CellState::pending, {}, ""},
      {"a program stopped early that exits 0", with(exited(0), [](auto& f) {
         f.stop_signal = 15;
         f.stopped_early = "at 3 values";
       }),
       cell(), RunState::stopped_early, CellState::stopped_early, {}, "at 3 values"},
      {"a program stopped so after headroom cancel took the cell", with(exited(0), [](auto& f) { f.stop_signal = 15; }),
       cell(CellState::cancelled), RunState::cancelled, CellState::cancelled, {}, ""},
      {"a program that wrote its end event ok, then got a stop", with(exited(0, "ok"), [](auto& f) {
         f.stop_signal = 15;
       }),
       cell(), RunState::succeeded, CellState::succeeded, {}, ""},
      {"a lost worker", with(AttemptFacts{}, [](auto& f) { f.vanished = true; }), cell(), RunState::lost,
       CellState::pending, {}, "gone when the orchestrator restarted"},
      {"a worker that could not be started", with(AttemptFacts{}, [](auto& f) { f.start_failure = "no such file"; }),
       cell(), RunState::lost, CellState::pending, {}, "no such file"},
      {"SLURM: completed", in_slurm(State::completed, 0, "ok"), cell(), RunState::succeeded, CellState::succeeded, {},
       ""},
      {"SLURM: failed", in_slurm(State::failed, 1, "failed"), cell(), RunState::failed, CellState::pending, 2000ms,
       "SLURM task 4711_3 ended failed"},
      {"SLURM: time limit", in_slurm(State::timeout, 0, "preempted"), cell(), RunState::timeout, CellState::failed, {},
       "SLURM task 4711_3 reached its time limit"},
      {"SLURM: cancelled in SLURM itself", in_slurm(State::cancelled, 0, "preempted"), cell(), RunState::cancelled,
       CellState::pending, {}, "", true},
      {"SLURM: cancelled by headroom cancel", in_slurm(State::cancelled, 0, "preempted"), cell(CellState::cancelled),
       RunState::cancelled, CellState::cancelled, {}, ""},
      {"SLURM: cancelled after the worker ended ok", in_slurm(State::cancelled, 0, "ok"), cell(),
       RunState::succeeded, CellState::succeeded, {}, ""},
      {"SLURM: preempted (requeue refused)", in_slurm(State::preempted, 0, "preempted"), cell(), RunState::lost,
       CellState::pending, {}, "ended preempted; the cell runs again"},
      {"SLURM: node failure", in_slurm(State::node_fail, 0), cell(), RunState::lost, CellState::pending, {},
       "ended node_fail"},
      {"SLURM: stopped worker, task not requeued", in_slurm(State::failed, 0, "preempted"), cell(), RunState::lost,
       CellState::pending, {}, "stopped its worker, which checkpointed, and ended failed without requeueing it"},
      {"SLURM: task no longer known", with(AttemptFacts{}, [](auto& f) {
         f.vanished = true;
         f.where = "SLURM task 4711_3";
       }), cell(), RunState::lost, CellState::pending, {}, "no longer known to SLURM and left no end event"},
      {"SLURM: out of memory", in_slurm(State::out_of_memory, 0), cell(), RunState::failed, CellState::pending,
       2000ms, "ran out of memory (OUT_OF_MEMORY)"},
  };
  for (const auto& row : rows) check(row, 1);
}

TEST(Lifecycle, FailuresBeyondTheRetriesFailTheCellAndLostAttemptsDoNotCount) {
  const auto crash = exited(1);
  check({"first crash, no retries", crash, cell(), RunState::failed, CellState::failed, {}, "exited"}, 0);
  check({"second crash of two allowed", crash, cell(CellState::running, {RunState::failed}), RunState::failed,
         CellState::pending, 4000ms, "exited"},
        2);
  check({"third crash of two allowed", crash, cell(CellState::running, {RunState::failed, RunState::failed}),
         RunState::failed, CellState::failed, {}, "exited"},
        2);
  check({"lost and cancelled attempts are not failures", crash,
         cell(CellState::running, {RunState::lost, RunState::cancelled, RunState::lost}), RunState::failed,
         CellState::pending, 2000ms, "exited"},
        1);
}

TEST(Lifecycle, FailuresSetAsideByRetryFailedDoNotCount) {
  CellHistory forgiven = cell(CellState::running, {RunState::failed, RunState::failed});
  forgiven.forgiven_failures = 2;
  check({"first crash after --retry-failed, one retry", exited(1), forgiven, RunState::failed, CellState::pending,
         2000ms, "exited"},
        1);
}

TEST(Lifecycle, RaisedRetriesAllowOnlyCellsWhoseLastAttemptCrashed) {
  auto failed = [](std::vector<RunState> attempts, int64_t forgiven = 0) {
    CellHistory history{CellState::failed, std::move(attempts)};
    history.forgiven_failures = forgiven;
    return history;
  };
  EXPECT_EQ(counted_failures(failed({RunState::failed, RunState::lost, RunState::failed})), 2);
  EXPECT_EQ(counted_failures(failed({RunState::failed, RunState::failed}, 1)), 1);
  EXPECT_FALSE(retries_now_allow(failed({RunState::failed}), policy(0)));
  EXPECT_TRUE(retries_now_allow(failed({RunState::failed}), policy(1)));
  EXPECT_FALSE(retries_now_allow(failed({RunState::failed, RunState::failed}), policy(1)));
  EXPECT_TRUE(retries_now_allow(failed({RunState::failed, RunState::failed}, 1), policy(1)));
  EXPECT_FALSE(retries_now_allow(failed({RunState::diverged}), policy(5)));
  EXPECT_FALSE(retries_now_allow(failed({RunState::timeout}), policy(5)));
  EXPECT_FALSE(retries_now_allow(failed({RunState::invalid}), policy(5)));
}

TEST(Lifecycle, RetryDelayDoublesUpToFiveMinutes) {
  EXPECT_EQ(retry_delay(1, 2000ms), 2000ms);
  EXPECT_EQ(retry_delay(2, 2000ms), 4000ms);
  EXPECT_EQ(retry_delay(4, 2000ms), 16000ms);
  EXPECT_EQ(retry_delay(12, 2000ms), std::chrono::milliseconds(std::chrono::minutes(5)));
  EXPECT_EQ(retry_delay(400, 2000ms), std::chrono::milliseconds(std::chrono::minutes(5)));
}

TEST(Lifecycle, OnlyUnfinishedCellsCanBeCancelled) {
  EXPECT_EQ(cancellable_cell_states(), (std::vector<CellState>{CellState::pending, CellState::running}));
}

}  // namespace
}  // namespace headroom
