// When an attempt out in SLURM counts as ended (slurm_task_end.h): at once
// when the look is conclusive, after the settling period when a requeue may
// be going through.
#include "orchestrator/scheduler/slurm_task_end.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
constexpr milliseconds kSettle{20000};

slurm::Task task_in(slurm::State state) {
  slurm::Task task;
  task.array_job = "7";
  task.state = state;
  return task;
}

TEST(SlurmTaskEnd, AQueuedOrRunningTaskIsRunningAndEndsAnyDoubt) {
  std::optional<Clock::time_point> unsure_since = Clock::now();
  for (auto state : {slurm::State::pending, slurm::State::running, slurm::State::completing, slurm::State::unknown}) {
    EXPECT_EQ(judge_task_end(task_in(state), "preempted", unsure_since, Clock::now(), kSettle), TaskEnd::running);
  }
  EXPECT_FALSE(unsure_since);
}

TEST(SlurmTaskEnd, AFinishedTaskWhoseWorkerEndedByItselfEndsAtOnce) {
  std::optional<Clock::time_point> unsure_since;
  const auto now = Clock::now();
  EXPECT_EQ(judge_task_end(task_in(slurm::State::completed), "ok", unsure_since, now, kSettle), TaskEnd::ended);
  EXPECT_EQ(judge_task_end(task_in(slurm::State::failed), "failed", unsure_since, now, kSettle), TaskEnd::ended);
  EXPECT_EQ(judge_task_end(task_in(slurm::State::failed), "", unsure_since, now, kSettle), TaskEnd::ended)
      << "a worker killed before its end event";
  // Gone from the listings, but the worker said how it ended.
  EXPECT_EQ(judge_task_end(std::nullopt, "ok", unsure_since, now, kSettle), TaskEnd::ended);
  EXPECT_FALSE(unsure_since);
}

TEST(SlurmTaskEnd, AStoppedWorkerEndsAtOnceWhenSlurmSaysWhy) {
  for (auto state : {slurm::State::cancelled, slurm::State::timeout, slurm::State::preempted,
                     slurm::State::node_fail, slurm::State::out_of_memory}) {
    std::optional<Clock::time_point> unsure_since;
    EXPECT_EQ(judge_task_end(task_in(state), "preempted", unsure_since, Clock::now(), kSettle), TaskEnd::ended)
        << slurm::to_string(state);
  }
}

TEST(SlurmTaskEnd, AStoppedWorkerInATaskCalledCompletedSettlesFirst) {
  std::optional<Clock::time_point> unsure_since;
  const auto start = Clock::now();
  EXPECT_EQ(judge_task_end(task_in(slurm::State::completed), "preempted", unsure_since, start, kSettle),
            TaskEnd::settling);
  ASSERT_TRUE(unsure_since);
  EXPECT_EQ(*unsure_since, start);
  EXPECT_EQ(judge_task_end(task_in(slurm::State::failed), "preempted", unsure_since, start + kSettle / 2, kSettle),
            TaskEnd::settling);
  EXPECT_EQ(*unsure_since, start) << "the period runs from the first doubtful look";
  EXPECT_EQ(judge_task_end(task_in(slurm::State::completed), "preempted", unsure_since, start + kSettle, kSettle),
            TaskEnd::ended);
}

TEST(SlurmTaskEnd, ATaskMissingFromTheListingsSettlesAndARequeueEndsTheDoubt) {
  std::optional<Clock::time_point> unsure_since;
  const auto start = Clock::now();
  EXPECT_EQ(judge_task_end(std::nullopt, "", unsure_since, start, kSettle), TaskEnd::settling);
  EXPECT_EQ(judge_task_end(std::nullopt, "preempted", unsure_since, start + milliseconds(1000), kSettle),
            TaskEnd::settling);
  // The requeued task is listed again: the same attempt goes on.
  EXPECT_EQ(judge_task_end(task_in(slurm::State::pending), "preempted", unsure_since, start + milliseconds(2000),
                           kSettle),
            TaskEnd::running);
  EXPECT_FALSE(unsure_since);
  // Missing for good: ended once a whole period has passed since it went missing again.
  const auto gone = start + milliseconds(3000);
  EXPECT_EQ(judge_task_end(std::nullopt, "", unsure_since, gone, kSettle), TaskEnd::settling);
  EXPECT_EQ(judge_task_end(std::nullopt, "", unsure_since, gone + kSettle - milliseconds(1), kSettle),
            TaskEnd::settling);
  EXPECT_EQ(judge_task_end(std::nullopt, "", unsure_since, gone + kSettle, kSettle), TaskEnd::ended);
}

}  // namespace
}  // namespace headroom
