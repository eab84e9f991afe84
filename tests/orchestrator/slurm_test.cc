// SLURM's commands as the executor uses them: parsing what squeue and
// scontrol print (recorded from SLURM 22.05), and a real one-node cluster
// (scripts/slurm-local, started by scripts/test) running job arrays.
#include "orchestrator/executors/slurm.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/test_support.h"

namespace headroom::slurm {
namespace {

namespace fs = std::filesystem;

TEST(SlurmParsing, SqueueExpandsPendingRangesAndKeepsReasons) {
  auto tasks = parse_squeue("7_[2-3,5%2]|PENDING|JobArrayTaskLimit\n7_0|RUNNING|None\n7_1|COMPLETED|None\n"
                            "8|RUNNING|None\n");
  ASSERT_EQ(tasks.size(), 5u);  // job 8 is not an array task
  EXPECT_EQ(tasks[0].array_job, "7");
  EXPECT_EQ(tasks[0].index, 2);
  EXPECT_EQ(tasks[2].index, 5);
  EXPECT_EQ(tasks[2].state, State::pending);
  EXPECT_EQ(tasks[2].reason, "JobArrayTaskLimit");
  EXPECT_EQ(tasks[3].index, 0);
  EXPECT_EQ(tasks[3].state, State::running);
  EXPECT_EQ(tasks[4].state, State::completed);
}

TEST(SlurmParsing, ScontrolGivesStatesAndExitCodes) {
  auto tasks = parse_scontrol(
      "JobId=2 ArrayJobId=1 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=wrap UserId=root(0) JobState=COMPLETED "
      "Reason=None ExitCode=0:0 RunTime=00:00:02\n"
      "JobId=1 ArrayJobId=1 ArrayTaskId=3 ArrayTaskThrottle=2 JobName=wrap JobState=FAILED Reason=NonZeroExitCode "
      "DerivedExitCode=0:0 ExitCode=3:0\n"
      "JobId=5 ArrayJobId=1 ArrayTaskId=4 JobState=CANCELLED Reason=None ExitCode=0:15\n"
      "JobId=9 JobName=plain JobState=RUNNING ExitCode=0:0\n");
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].state, State::completed);
  EXPECT_EQ(tasks[0].exit_code, 0);
  EXPECT_EQ(tasks[1].index, 3);
  EXPECT_EQ(tasks[1].state, State::failed);
  EXPECT_EQ(tasks[1].exit_code, 3);  // not DerivedExitCode
  EXPECT_EQ(tasks[2].state, State::cancelled);
  EXPECT_EQ(tasks[2].signal, 15);
  // A running job's ExitCode=0:0 is not an exit code yet.
  EXPECT_FALSE(parse_scontrol("JobId=6 ArrayJobId=1 ArrayTaskId=5 JobState=RUNNING ExitCode=0:0\n")[0].exit_code);
}

TEST(SlurmParsing, StatesMapOntoWhatTheSchedulerActsOn) {
  EXPECT_EQ(parse_state("CANCELLED by 0"), State::cancelled);
  EXPECT_EQ(parse_state("NODE_FAIL"), State::node_fail);
  EXPECT_EQ(parse_state("PREEMPTED"), State::preempted);
  EXPECT_EQ(parse_state("OUT_OF_MEMORY"), State::out_of_memory);
  EXPECT_EQ(parse_state("SOMETHING_NEW"), State::unknown);
  EXPECT_FALSE(is_final(State::pending));
  EXPECT_FALSE(is_final(State::unknown));
  EXPECT_TRUE(is_final(State::timeout));
}

TEST(SlurmParsing, SbatchArgumentsCarryTheThrottleAndResources) {
  ArrayRequest request;
  request.script = "/runs/s/job.sh";
  request.tasks = 10;
  request.throttle = 3;
  request.job_name = "headroom-s";
  request.cpus_per_task = 2;
  request.gpus_per_task = 1;
  request.memory = "8G";
  request.time_limit = "01:00:00";
  request.partition = "gpu";
  request.extra_arguments = {"--exclusive"};
  EXPECT_EQ(sbatch_arguments(request),
            (std::vector<std::string>{"--parsable", "--array=0-9%3", "--cpus-per-task=2", "--job-name=headroom-s",
                                      "--gpus-per-task=1", "--mem=8G", "--time=01:00:00", "--partition=gpu",
                                      "--exclusive", "/runs/s/job.sh"}));
}

// The real cluster scripts/slurm-local starts (scripts/test brings it up and
// exports SLURM_CONF). Without it these tests fail rather than pass unseen.
class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("SLURM_CONF"), nullptr)
        << "no SLURM cluster: run `scripts/slurm-local up` and export SLURM_CONF (scripts/test does both)";
  }

  // A script whose task i sleeps `seconds`, writes its index, start and end
  // times, and exits with exit_code_of(i).
  std::string write_script(double seconds, const std::string& exit_expression) {
    return folder_.write("job.sh", "#!/bin/sh\ni=$SLURM_ARRAY_TASK_ID\necho \"$i $(date +%s.%N) start\" >> " +
                                       (folder_.path() / "log").string() + "\nsleep " + std::to_string(seconds) +
                                       "\necho \"$i $(date +%s.%N) end\" >> " + (folder_.path() / "log").string() +
                                       "\nexit $(( " + exit_expression + " ))\n");
  }

  std::map<int, Task> wait_until_final(const std::string& job, size_t tasks, int seconds = 60) {
    std::map<int, Task> states;
    for (int i = 0; i < seconds * 5; ++i) {
      auto queried = query_array(job);
      EXPECT_TRUE(queried.ok()) << queried.error().to_string();
      if (!queried.ok()) break;
      states = queried.value();
      size_t finished = 0;
      for (const auto& [index, task] : states) finished += is_final(task.state);
      if (states.size() == tasks && finished == tasks) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return states;
  }

  testing::TemporaryFolder folder_;
};

TEST_F(SlurmCluster, AnArrayLargerThanItsThrottleRunsEveryTaskAndReportsExitCodes) {
  ArrayRequest request;
  request.script = write_script(1, "i == 3 ? 3 : 0");
  request.tasks = 4;
  request.throttle = 1;
  request.job_name = "headroom-test";
  request.output = (folder_.path() / "%a.out").string();
  request.working_dir = folder_.path().string();
  auto job = submit_array(request);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  auto states = wait_until_final(job.value(), 4);
  ASSERT_EQ(states.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(states[i].state, State::completed) << i;
    EXPECT_EQ(states[i].exit_code, 0) << i;
  }
  EXPECT_EQ(states[3].state, State::failed);
  EXPECT_EQ(states[3].exit_code, 3);
  // The throttle of 1 ran the tasks one after another.
  std::ifstream log(folder_.path() / "log");
  std::map<int, std::pair<double, double>> spans;
  int index = 0;
  double time = 0;
  for (std::string kind; log >> index >> time >> kind;) (kind == "start" ? spans[index].first : spans[index].second) = time;
  ASSERT_EQ(spans.size(), 4u);
  for (const auto& [a, span_a] : spans) {
    for (const auto& [b, span_b] : spans) {
      if (a < b) {
        EXPECT_TRUE(span_a.second <= span_b.first || span_b.second <= span_a.first) << a << " and " << b;
      }
    }
  }
}

TEST_F(SlurmCluster, CancellingAnArrayEndsEveryTaskCancelled) {
  ArrayRequest request;
  request.script = write_script(60, "0");
  request.tasks = 3;
  request.throttle = 1;
  request.output = (folder_.path() / "%a.out").string();
  request.working_dir = folder_.path().string();
  auto job = submit_array(request);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  for (int i = 0; i < 100 && !fs::exists(folder_.path() / "log"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(cancel(job.value()).ok());
  auto states = wait_until_final(job.value(), 3, 30);
  ASSERT_EQ(states.size(), 3u);
  for (const auto& [index, task] : states) EXPECT_EQ(task.state, State::cancelled) << index;
}

TEST_F(SlurmCluster, SbatchErrorsAreQuoted) {
  ArrayRequest request;
  request.script = write_script(0, "0");
  request.tasks = 1;
  request.partition = "no-such-partition";
  auto job = submit_array(request);
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.error().to_string().find("sbatch failed"), std::string::npos) << job.error().to_string();
  EXPECT_NE(job.error().to_string().find("invalid partition"), std::string::npos) << job.error().to_string();
}

}  // namespace
}  // namespace headroom::slurm
