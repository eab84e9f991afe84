// A stop the early_terminate rule decided is recorded in the attempt's folder
// before the worker is signalled (scheduler/early_termination.h), so that an
// orchestrator killed -9 between the two still ends the attempt stopped early:
// the attempt is ended here as a restarted orchestrator ends it, knowing
// nothing but the store and the run folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/protocol.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/scheduler/attempt.h"
#include "orchestrator/scheduler/early_termination.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;

TEST(EarlyStopRecord, ReadsBackWhatWasRecordedAndNothingElse) {
  testing::TemporaryFolder folder;
  EXPECT_EQ(recorded_early_stop(folder.path().string()), "");
  ASSERT_TRUE(record_early_stop(folder.path().string(), "band 3: 0.41 behind 0.52").ok());
  EXPECT_EQ(recorded_early_stop(folder.path().string()), "band 3: 0.41 behind 0.52");
  EXPECT_FALSE(fs::exists(folder.path() / (std::string(protocol::kEarlyStopFile) + ".partial")));
  EXPECT_FALSE(record_early_stop((folder.path() / "missing").string(), "x").ok()) << "an error, not silence";
}

// The worker got SIGTERM, checkpointed and ended "preempted"; the
// orchestrator that sent it was killed before it recorded the end. The next
// one finds the worker gone: with the record the attempt is stopped early,
// without it lost (and its cell runs again).
struct DecisionState {
  RunState run;
  CellState cell;
  std::string error;
};

DecisionState end_as_a_restarted_orchestrator(bool recorded) {
  testing::TemporaryFolder folder;
  auto spec = parse_sweep("name: s\nbase: {task: mlm, steps: 30}\nparameters:\n  seed: {values: [1]}\n", "s.yaml");
  EXPECT_TRUE(spec.ok());
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  EXPECT_TRUE(store.ok());
  auto sweep = store.value()->register_sweep(spec.value(), expand(spec.value()).value(), (folder.path() / "runs").string(), false);
  EXPECT_TRUE(sweep.ok());
  auto cells = store.value()->cells(sweep->id);
  EXPECT_TRUE(cells.ok());
  auto run = store.value()->begin_attempt(sweep.value(), cells->front());
  EXPECT_TRUE(run.ok());
  EXPECT_TRUE(store.value()->mark_running(run->id, 4242, "host").ok());
  fs::create_directories(run->run_dir);
  std::ofstream(fs::path(run->run_dir) / protocol::kEventsFile)
      << R"({"event":"start","v":1,"time":1000.0})" << "\n"
      << R"({"event":"metric","v":1,"step":10,"time":1001.0,"values":{"train/loss":2.5}})" << "\n"
      << R"({"event":"end","v":1,"status":"preempted","error":"stopped by SIGTERM","time":1002.0})" << "\n";
  if (recorded) {
    EXPECT_TRUE(record_early_stop(run->run_dir, "hyperband: behind at band 1").ok());
  }
  AttemptFacts facts;
  facts.vanished = true;  // what a restarted orchestrator knows of the worker
  auto decision = end_attempt(*store.value(), run->id, facts, LifecyclePolicy{});
  EXPECT_TRUE(decision.ok()) << decision.error().to_string();
  auto ended = store.value()->run(run->id);
  EXPECT_TRUE(ended.ok());
  auto points = store.value()->curve(run->id, "train/loss");
  EXPECT_TRUE(points.ok() && points->size() == 1) << "its metrics stay";
  return {decision.value().end.state, decision.value().cell, ended.value().error.value_or("")};
}

TEST(EarlyStopRecord, AStopRecordedBeforeTheOrchestratorDiedEndsTheAttemptStoppedEarly) {
  const auto stopped = end_as_a_restarted_orchestrator(true);
  EXPECT_EQ(stopped.run, RunState::stopped_early);
  EXPECT_EQ(stopped.cell, CellState::stopped_early);
  EXPECT_EQ(stopped.error, "hyperband: behind at band 1");
  const auto unrecorded = end_as_a_restarted_orchestrator(false);
  EXPECT_NE(unrecorded.run, RunState::stopped_early);
  EXPECT_NE(unrecorded.cell, CellState::stopped_early);
}

}  // namespace
}  // namespace headroom
