// What a hostile user or a misbehaving worker can send, through the real CLI
// with headroom-test-worker: each class of input that once broke Headroom
// (issue #17) stays closed at the level a user meets it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::TemporaryFolder;

class Hardening : public ::testing::Test {
 protected:
  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path(), environment_);
  }

  // Runs a sweep `name` of the test worker over these seeds.
  testing::CommandResult run_sweep(const std::string& name, const std::string& seeds,
                                   std::vector<std::string> extra = {}) {
    const std::string file = folder_.write(name + ".yaml", "name: " + name + "\nbase: {steps: 5}\n"
                                                           "parameters:\n  seed: {values: [" + seeds + "]}\n");
    std::vector<std::string> arguments = {"run", file, "--trainer", testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return headroom(arguments);
  }

  TemporaryFolder folder_;
  std::map<std::string, std::string> environment_;
};

// One worker logging thousands of metric names once made every query of the
// database fail (a stored view past SQLite's column limit). Now its own runs
// keep at most 1,000 names each, and questions about other sweeps never see it.
TEST_F(Hardening, AWorkerLoggingThousandsOfMetricNamesBreaksNoOtherSweep) {
  environment_["HEADROOM_TEST_WORKER"] = "1=many_metrics,2=many_metrics,3=many_metrics";
  ASSERT_EQ(run_sweep("wide", "1, 2, 3").exit_status, 0);
  ASSERT_EQ(run_sweep("small", "4, 5").exit_status, 0);

  // Each wide run kept 1,000 names and refused the line with the 1,001st
  // and the 6 after it that brought names of their own.
  auto shown = headroom({"show", "1"});
  EXPECT_NE(shown.out.find("7 line(s) of events.jsonl refused (docs/events.md); the first: events.jsonl at byte"),
            std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("more than 1000 distinct metric names in one run"), std::string::npos) << shown.out;
  auto json = nlohmann::json::parse(headroom({"show", "1", "-f", "json"}).out);
  EXPECT_EQ(json["rejected_event_lines"], 7);
  EXPECT_EQ(json["state"], "succeeded");
  EXPECT_EQ(json["final_metrics"].size(), 1000u);

  // The other sweep answers every question.
  auto runs = headroom({"runs", "small", "-f", "csv"});
  ASSERT_EQ(runs.exit_status, 0) << runs.err;
  EXPECT_EQ(std::count(runs.out.begin(), runs.out.end(), '\n'), 3);
  EXPECT_EQ(headroom({"export", "small", "-o", "small.csv"}).exit_status, 0);
  auto query = headroom({"query", "--sweep", "small", "SELECT count(*) AS n FROM runs_wide", "-f", "csv"});
  EXPECT_EQ(query.out, "n\n2\n") << query.err;
  // So does the whole database, through the columns a statement names.
  query = headroom({"query", "SELECT count(*) AS n, max(\"probe/2/999\") AS p FROM runs_wide", "-f", "csv"});
  EXPECT_EQ(query.out, "n,p\n5,999.0\n") << query.err;
  // The wide sweep's own questions work when they choose their columns...
  auto wide = headroom({"runs", "wide", "-c", "run,seed,probe/3/7", "-f", "csv"});
  EXPECT_EQ(wide.exit_status, 0) << wide.err;
  EXPECT_NE(wide.out.find("3,3,7"), std::string::npos) << wide.out;
  // ...and asking for all 3,000 of its metrics at once says what to do.
  auto everything = headroom({"runs", "wide"});
  EXPECT_EQ(everything.exit_status, 2);
  EXPECT_NE(everything.err.find("columns, more than SQLite's limit of 2000: choose them with --columns or --metrics"),
            std::string::npos) << everything.err;
  EXPECT_EQ(headroom({"db", "check"}).exit_status, 0);
}

}  // namespace
}  // namespace headroom
