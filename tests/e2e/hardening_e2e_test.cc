// What a hostile user or a misbehaving worker can send, through the real CLI
// with headroom-test-worker: each class of input that once broke Headroom
// (issue #17) stays closed at the level a user meets it.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using testing::TemporaryFolder;

class Hardening : public ::testing::Test {
 protected:
  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path(), environment_);
  }

  // Runs a sweep `name` of the test worker over these seeds.
  testing::CommandResult run_sweep(const std::string& name, const std::string& seeds,
                                   std::vector<std::string> extra = {}, const std::string& settings = "") {
    const std::string file = folder_.write(name + ".yaml", "name: " + name + "\n" + settings +
                                                           "base: {steps: 5}\n"
                                                           "parameters:\n  seed: {values: [" + seeds + "]}\n");
    std::vector<std::string> arguments = {"run", file, "--trainer", testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return headroom(arguments);
  }

  // The one number a query answers.
  int64_t scalar(const std::string& sql) {
    auto result = headroom({"query", sql, "-f", "csv"});
    EXPECT_EQ(result.exit_status, 0) << sql << ": " << result.err;
    return std::stoll(result.out.substr(result.out.find('\n') + 1));
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

// A cell that failed with its retries spent could never run again. Now
// --retry-failed runs it (all failed cells, or those named), raising
// `retries` with --extend applies, and each retried cell runs once more.
TEST_F(Hardening, AFailedCellRunsAgainWhenTheUserAsks) {
  environment_["HEADROOM_TEST_WORKER"] = "2=crash,3=crash";
  ASSERT_EQ(run_sweep("s", "1, 2, 3").exit_status, 1);
  // Running or resuming again changes nothing: retries: 0 means no retry.
  EXPECT_EQ(run_sweep("s", "1, 2, 3").exit_status, 1);
  EXPECT_EQ(headroom({"resume", "s", "--trainer", testing::test_worker_binary(), "--quiet"}).exit_status, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 3);

  // Named cells must exist and have failed.
  auto cells = headroom({"runs", "s", "-c", "seed,cell,state", "-f", "csv"});
  auto cell_of = [&](const std::string& seed) {
    const auto at = cells.out.find("\n" + seed + ",");
    return cells.out.substr(at + 3, 12);
  };
  auto unknown = run_sweep("s", "1, 2, 3", {"--retry-failed", "ffffffffffff"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("--retry-failed: no cell 'ffffffffffff' in sweep 's'"), std::string::npos) << unknown.err;
  auto succeeded = run_sweep("s", "1, 2, 3", {"--retry-failed", cell_of("1")});
  EXPECT_EQ(succeeded.exit_status, 2);
  EXPECT_NE(succeeded.err.find("is succeeded, not failed"), std::string::npos) << succeeded.err;

  // The worker is fixed: retry one named cell, then the rest.
  environment_["HEADROOM_TEST_WORKER"] = "";
  auto one = run_sweep("s", "1, 2, 3", {"--retry-failed", cell_of("2").substr(0, 6)});
  EXPECT_EQ(one.exit_status, 1) << one.err;  // seed 3 is still failed
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
  auto rest = headroom({"resume", "s", "--retry-failed", "--trainer", testing::test_worker_binary(), "--quiet"});
  EXPECT_EQ(rest.exit_status, 0) << rest.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 5);  // each retried cell ran once more
  EXPECT_EQ(scalar("SELECT max(attempt) FROM runs"), 2);
}

TEST_F(Hardening, RaisingRetriesWithExtendRunsTheCellsTheyNowAllow) {
  environment_["HEADROOM_TEST_WORKER"] = "1=crash_once,2=diverge";
  ASSERT_EQ(run_sweep("s", "1, 2", {}, "retries: 0\n").exit_status, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'failed'"), 2);
  auto raised = run_sweep("s", "1, 2", {"--extend"}, "retries: 1\n");
  // The crashed cell gets its second attempt (and succeeds); a diverged one
  // is never retried by the rules, only when asked.
  EXPECT_EQ(raised.exit_status, 1) << raised.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 1);
  EXPECT_EQ(run_sweep("s", "1, 2", {}, "retries: 1\n").exit_status, 1);  // nothing more to run
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 3);
}

TEST_F(Hardening, DeletingASweepOrARunAsksFirstAndNeverTouchesOtherSweeps) {
  ASSERT_EQ(run_sweep("a", "1, 2").exit_status, 0);
  ASSERT_EQ(run_sweep("b", "3, 4").exit_status, 0);
  const int64_t points_of_b = scalar("SELECT count(*) FROM metrics WHERE run_id IN (SELECT run FROM runs_wide "
                                     "WHERE sweep = 'b')");
  // No terminal to ask on, no --yes: nothing happens.
  auto unasked = headroom({"delete", "sweep", "a"});
  EXPECT_EQ(unasked.exit_status, 2);
  EXPECT_NE(unasked.err.find("Delete sweep 'a' (2 cells, 2 runs and 22 metric points)"), std::string::npos)
      << unasked.err;
  EXPECT_NE(unasked.err.find("pass --yes to delete without asking"), std::string::npos) << unasked.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM sweeps"), 2);

  auto deleted = headroom({"delete", "sweep", "a", "--yes"});
  ASSERT_EQ(deleted.exit_status, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deleted sweep 'a': 2 cells, 2 runs and 22 metric points\n");
  EXPECT_EQ(scalar("SELECT count(*) FROM sweeps"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM metrics"), points_of_b);
  EXPECT_TRUE(fs::exists(folder_.path() / "runs" / "a"));  // folders stay unless --files
  EXPECT_EQ(headroom({"db", "check"}).exit_status, 0);

  // A deleted run's cell runs again; the sweep's other cell does not.
  auto run = headroom({"delete", "run", "3", "--yes", "--files"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'pending'"), 1);
  ASSERT_EQ(run_sweep("b", "3, 4").exit_status, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
  EXPECT_EQ(headroom({"delete", "sweep", "nope", "--yes"}).exit_status, 2);
}

// Bytes that are not UTF-8, from a sweep file or a worker's stderr, once
// made the JSON output throw and the process abort.
TEST_F(Hardening, TextThatIsNotUtf8IsRefusedInSweepFilesAndReplacedInJsonOutput) {
  auto latin1 = headroom({"plan", folder_.write("latin1.yaml", "name: s\nbase: {corpus: caf\xe9.txt}\n"
                                                                "parameters:\n  seed: {values: [1]}\n")});
  EXPECT_EQ(latin1.exit_status, 2);
  EXPECT_NE(latin1.err.find("latin1.yaml:2:19: not UTF-8 text: byte 0xe9"), std::string::npos) << latin1.err;

  environment_["HEADROOM_TEST_WORKER"] = "1=crash_binary";
  ASSERT_EQ(run_sweep("s", "1").exit_status, 1);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"show", "1", "-f", "json"}, {"runs", "-f", "json"}, {"runs", "-f", "jsonl"},
        {"status", "--format", "json"}, {"export", "s", "-f", "json"}, {"show", "1"}}) {
    auto shown = headroom(command);
    EXPECT_EQ(shown.exit_status, 0) << command[0] << ": " << shown.err;
    EXPECT_EQ(shown.out.find('\xff'), std::string::npos) << command[0];
  }
  auto json = nlohmann::json::parse(headroom({"show", "1", "-f", "json"}).out);
  EXPECT_NE(json["error"].get<std::string>().find("test worker: \xef\xbf\xbd\xef\xbf\xbd"), std::string::npos)
      << json["error"];
}

TEST_F(Hardening, AFilterNestedTenThousandDeepIsRefusedNotACrash) {
  ASSERT_EQ(run_sweep("s", "1").exit_status, 0);
  const std::string parentheses = std::string(10000, '(') + "seed = 1" + std::string(10000, ')');
  for (const std::string& filter : {parentheses, [] {
         std::string nots;
         for (int i = 0; i < 20000; ++i) nots += "not ";
         return nots + "seed = 1";
       }()}) {
    auto refused = headroom({"runs", "--where", filter});
    EXPECT_EQ(refused.exit_status, 2) << refused.err.substr(0, 300);
    EXPECT_NE(refused.err.find("--where"), std::string::npos) << refused.err.substr(0, 300);
  }
  auto nested = headroom({"runs", "--where", std::string(50, '(') + "seed = 1" + std::string(50, ')'), "-c", "seed",
                          "-f", "csv"});
  EXPECT_EQ(nested.out, "seed\n1\n") << nested.err;
}

TEST_F(Hardening, AnotherProgramsDatabaseIsRefusedAndLeftAsItWas) {
  const fs::path other = folder_.path() / "other.db";
  {
    sqlite::Connection connection(other.string(), sqlite::Connection::Mode::read_write_create);
    connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos VALUES (1, 'a.jpg')");
  }
  const std::string before = testing::read_file(other);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"--db", other.string(), "runs"}, {"--db", other.string(), "db", "migrate"}}) {
    auto refused = headroom(command);
    EXPECT_EQ(refused.exit_status, 2) << refused.err;
    EXPECT_NE(refused.err.find("not a Headroom database"), std::string::npos) << refused.err;
  }
  const std::string file = folder_.write("s.yaml", "name: s\nbase: {steps: 5}\nparameters:\n  seed: {values: [1]}\n");
  auto run = headroom({"--db", other.string(), "run", file, "--trainer", testing::test_worker_binary(), "--quiet"});
  EXPECT_EQ(run.exit_status, 2) << run.err;
  EXPECT_TRUE(testing::read_file(other) == before) << "the file changed";
}

// SIGHUP (the terminal closed) stops a sweep as SIGTERM does: workers stop
// after a checkpoint, the sweep is recorded interrupted, resume finishes it.
TEST_F(Hardening, SighupInterruptsTheSweepCleanlyAndResumeFinishesIt) {
  const std::string file = folder_.write("s.yaml", "name: s\nbase: {steps: 400}\nparameters:\n  seed: {values: [1, 2]}\n");
  const fs::path log = folder_.path() / "workers.log";
  bp::child orchestrator(bp::search_path("env"),
                         std::vector<std::string>{"HEADROOM_TEST_WORKER_STEP_MS=20", "HEADROOM_TEST_WORKER_LOG=" + log.string(),
                                                  testing::headroom_binary(), "run", file, "--trainer",
                                                  testing::test_worker_binary(), "--quiet", "-j", "2"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  for (int i = 0; i < 200 && !fs::exists(log); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(log)) << "no worker started";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(orchestrator.id(), SIGHUP), 0);
  orchestrator.wait();
  EXPECT_EQ(orchestrator.exit_code(), 130);
  auto status = nlohmann::json::parse(headroom({"status", "s", "--format", "json"}).out);
  EXPECT_EQ(status[0]["state"], "interrupted") << status.dump();
  EXPECT_EQ(scalar("SELECT count(*) FROM runs WHERE state = 'cancelled'"), 2);
  auto resumed = headroom({"resume", "s", "--trainer", testing::test_worker_binary(), "--quiet"});
  EXPECT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM cells WHERE state = 'succeeded'"), 2);
}

}  // namespace
}  // namespace headroom
