// The results commands through the real CLI, on a database with known values
// (tests/support/results_fixture.h): runs, query, show, export, note, tag,
// status and db check / migrate.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "tests/support/results_fixture.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::TemporaryFolder;

class ResultsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = (folder_.path() / "headroom.db").string();
    testing::build_results_fixture(database_, (folder_.path() / "runs").string());
  }

  testing::CommandResult headroom(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path());
  }

  static size_t lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

  TemporaryFolder folder_;
  std::string database_;
};

TEST_F(ResultsCli, RunsFiltersSortsAndFormats) {
  auto csv = headroom({"runs", "scale", "--where",
                       "d_model >= 64 and (heads = 4 or heads = 16) and attention = 'fixed'", "--sort",
                       "-eval/accuracy", "--columns", "d_model,heads,attention,eval/accuracy", "--format", "csv"});
  ASSERT_EQ(csv.exit_status, 0) << csv.err;
  std::istringstream rows(csv.out);
  std::string header, first;
  std::getline(rows, header);
  std::getline(rows, first);
  EXPECT_EQ(header, "d_model,heads,attention,eval/accuracy");
  EXPECT_EQ(first, "128,16,fixed,0.488");
  EXPECT_EQ(lines(csv.out), 5u);

  auto json = headroom({"runs", "--where", "state = 'failed'", "--format", "json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["error"], "boom\nlast line");
  EXPECT_EQ(parsed[0]["heads"], 16);

  auto markdown = headroom({"runs", "-n", "2", "-c", "run,state", "--format", "markdown"});
  ASSERT_EQ(markdown.exit_status, 0) << markdown.err;
  EXPECT_EQ(markdown.out, "| run | state     |\n| --- | --------- |\n| 1   | succeeded |\n| 2   | succeeded |\n");

  auto help = headroom({"runs", "--columns", "help"});
  EXPECT_NE(help.out.find("  eval/accuracy\n"), std::string::npos) << help.out;
}

TEST_F(ResultsCli, AMalformedFilterExitsTwoPointingAtTheColumn) {
  auto bad = headroom({"runs", "--where", "heads >= and d_model = 64"});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err,
            "headroom: --where, column 10: expected a value after '>=', found 'and'\n"
            "  heads >= and d_model = 64\n"
            "           ^\n");
  auto unknown = headroom({"runs", "--where", "head = 4"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("unknown column 'head' (did you mean 'heads'?)"), std::string::npos) << unknown.err;
}

TEST_F(ResultsCli, QueryIsReadOnlyWhateverTheStatementSays) {
  auto count = headroom({"query", "SELECT count(*) AS n FROM runs_wide WHERE heads = 16", "--format", "csv"});
  ASSERT_EQ(count.exit_status, 0) << count.err;
  EXPECT_EQ(count.out, "n\n5\n");  // 4 cells, one with two attempts
  const std::string before = testing::read_file(database_);
  for (const char* sql : {"DELETE FROM runs", "UPDATE runs SET state = 'x'", "DROP TABLE metrics",
                          "SELECT 1; DELETE FROM runs", "PRAGMA user_version = 9", "ATTACH 'other.db' AS o",
                          "CREATE TABLE t (x)", "VACUUM"}) {
    auto write = headroom({"query", sql});
    EXPECT_EQ(write.exit_status, 2) << sql;
    EXPECT_FALSE(write.err.empty()) << sql;
  }
  EXPECT_EQ(testing::read_file(database_), before);
  EXPECT_FALSE(fs::exists(folder_.path() / "other.db"));
  auto syntax = headroom({"query", "SELEC 1"});
  EXPECT_EQ(syntax.exit_status, 2);
  EXPECT_NE(syntax.err.find("SQL error: near \"SELEC\": syntax error"), std::string::npos) << syntax.err;
}

TEST_F(ResultsCli, ShowDescribesARunWithItsAttemptsNotesAndTags) {
  ASSERT_EQ(headroom({"tag", "6", "baseline", "checked"}).exit_status, 0);
  ASSERT_EQ(headroom({"tag", "6", "checked", "--remove"}).exit_status, 0);
  ASSERT_EQ(headroom({"note", "6", "the retried cell"}).exit_status, 0);
  auto json = headroom({"show", "6", "--format", "json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  auto run = nlohmann::json::parse(json.out);
  EXPECT_EQ(run["state"], "succeeded");
  EXPECT_EQ(run["attempt"], 2);
  EXPECT_EQ(run["attempts"].size(), 2u);
  EXPECT_EQ(run["attempts"][0]["state"], "failed");
  EXPECT_EQ(run["parameters"]["heads"], 16);
  EXPECT_EQ(run["head_size"], 4);
  EXPECT_EQ(run["tags"], nlohmann::json::array({"baseline"}));
  EXPECT_EQ(run["notes"][0]["text"], "the retried cell");
  EXPECT_DOUBLE_EQ(run["final_metrics"]["eval/accuracy"]["last"].get<double>(),
                   testing::expected_accuracy(64, 16, "standard"));
  EXPECT_DOUBLE_EQ(run["final_metrics"]["train/loss"]["max"].get<double>(), 3.0);

  auto text = headroom({"show", "6"});
  ASSERT_EQ(text.exit_status, 0) << text.err;
  for (const char* expected : {"run 6 of sweep 'scale'", "attempt 2 of 2", "tags        baseline",
                               "the retried cell", "eval/accuracy", "boom"}) {
    EXPECT_NE(text.out.find(expected), std::string::npos) << expected << "\n" << text.out;
  }
  EXPECT_EQ(headroom({"show", "999"}).exit_status, 2);
  EXPECT_EQ(headroom({"show", "six"}).exit_status, 2);
}

TEST_F(ResultsCli, ExportWritesRunsAndCurvesForEveryFormat) {
  auto csv = headroom({"export", "scale", "--curves", "--columns", "heads,attention", "-o", "curves.csv"});
  ASSERT_EQ(csv.exit_status, 0) << csv.err;
  std::string text = testing::read_file(folder_.path() / "curves.csv");
  std::istringstream rows(text);
  std::string header;
  std::getline(rows, header);
  EXPECT_EQ(header, "run,heads,attention,metric,step,value,time");
  // 12 succeeded runs x (3 losses + 1 accuracy) + the failed attempt's 1 loss.
  EXPECT_EQ(lines(text), 1u + 12 * 4 + 1);
  EXPECT_FALSE(fs::exists(folder_.path() / "curves.csv.partial"));

  auto jsonl = headroom({"export", "--curves", "--format", "jsonl", "--where", "heads = 1 and d_model = 64"});
  ASSERT_EQ(jsonl.exit_status, 0) << jsonl.err;
  ASSERT_EQ(lines(jsonl.out), 2u);
  auto first = nlohmann::json::parse(jsonl.out.substr(0, jsonl.out.find('\n')));
  EXPECT_EQ(first["curves"]["train/loss"]["step"], nlohmann::json::array({10, 20, 30}));
  EXPECT_EQ(first["curves"]["train/loss"]["value"], nlohmann::json::array({3.0, 2.0, 1.01}));

  auto json = headroom({"export", "--format", "json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out).size(), 13u);
  EXPECT_EQ(headroom({"export", "--format", "xml"}).exit_status, 2);
}

TEST_F(ResultsCli, StatusShowsProgressAndNotes) {
  ASSERT_EQ(headroom({"note", "--sweep", "scale", "all twelve cells"}).exit_status, 0);
  auto status = headroom({"status", "scale"});
  ASSERT_EQ(status.exit_status, 0) << status.err;
  EXPECT_NE(status.out.find("scale: finished"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("12/12 cells: 12 succeeded, 0 failed, 0 running, 0 pending"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("note: all twelve cells"), std::string::npos) << status.out;
  auto json = headroom({"status", "--format", "json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)[0]["cells"]["succeeded"], 12);
  auto missing = headroom({"status", "scal"});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("did you mean 'scale'?"), std::string::npos);
}

TEST_F(ResultsCli, DbCheckFindsOrphansAndLagAndIsCleanOtherwise) {
  auto clean = headroom({"db", "check"});
  EXPECT_EQ(clean.exit_status, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("0 problems"), std::string::npos) << clean.out;
  {
    sqlite::Connection connection(database_, sqlite::Connection::Mode::read_write_create);
    connection.execute("INSERT INTO metrics VALUES (999, 1, 1, 0.5, 0)");
    connection.execute("UPDATE summaries SET last_step = 7 WHERE run_id = 1 AND name = 'train/loss'");
  }
  // Events files with bytes the database has not seen: of an active run
  // whose orchestrator is gone (resume ingests them), of an ended run (a
  // note: nothing will read them), and an ended run's refused lines.
  auto append_events = [&](const std::string& run, const std::string& text) {
    auto run_dir = nlohmann::json::parse(headroom({"show", run, "-f", "json"}).out)["paths"]["run_dir"];
    fs::create_directories(run_dir.get<std::string>());
    std::ofstream(fs::path(run_dir.get<std::string>()) / "events.jsonl", std::ios::app) << text;
  };
  append_events("2", "{\"event\":\"metric\"}\n");
  append_events("3", "{\"event\":\"metric\"}\n");
  append_events("4", "{\"event\":\"met");
  {
    sqlite::Connection connection(database_, sqlite::Connection::Mode::read_write_create);
    connection.execute("UPDATE runs SET state = 'running' WHERE id = 2");
    connection.execute("UPDATE runs SET rejected_lines = 3, event_problem = 'events.jsonl at byte 0: not a JSON "
                       "object' WHERE id = 5");
  }
  auto dirty = headroom({"db", "check"});
  EXPECT_EQ(dirty.exit_status, 1);
  EXPECT_NE(dirty.out.find("PROBLEM orphan rows: 1 in metrics"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("PROBLEM summary of run 1 'train/loss' disagrees"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("PROBLEM ingestion lag: run 2 has 19 bytes of events not yet ingested; 'headroom "
                           "resume' of its sweep ingests them"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("note    run 3 has 19 bytes of events.jsonl written after its attempt ended"),
            std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("note    run 4 has 13 bytes of events.jsonl in an unfinished last line its worker left"),
            std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("note    run 5: 3 event line(s) refused; the first: events.jsonl at byte 0: not a JSON "
                           "object"), std::string::npos) << dirty.out;
  EXPECT_NE(dirty.out.find("problems, 3 notes"), std::string::npos) << dirty.out;
}

TEST_F(ResultsCli, DbCheckOfADamagedFileListsWhatTheIntegrityCheckFinds) {
  // Overwrite pages in the middle of the file (past the schema on page 1).
  {
    std::fstream file(database_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(3 * 4096);
    const std::string garbage(2 * 4096, '\x5a');
    file.write(garbage.data(), std::streamsize(garbage.size()));
  }
  auto damaged = headroom({"db", "check"});
  EXPECT_EQ(damaged.exit_status, 1) << damaged.out << damaged.err;
  EXPECT_NE(damaged.out.find("PROBLEM integrity: "), std::string::npos) << damaged.out << damaged.err;
  EXPECT_NE(damaged.out.find("problems"), std::string::npos) << damaged.out;
  // A file that is not a database at all says so.
  { std::ofstream(database_, std::ios::trunc) << std::string(8192, 'x'); }
  auto garbage = headroom({"db", "check"});
  EXPECT_EQ(garbage.exit_status, 1) << garbage.out << garbage.err;
  EXPECT_NE(garbage.out.find("PROBLEM cannot open: "), std::string::npos) << garbage.out << garbage.err;
}

TEST_F(ResultsCli, DbExportKeepsTheNamedSweepsOnlyWithoutMachineDetails) {
  testing::add_finished_sweep(database_, (folder_.path() / "runs").string(),
                              "name: other\nbase: {d_model: 32, layers: 1, steps: 30}\nparameters:\n  heads: {values: [1, 2]}\n",
                              [](const CellRecord&) { return nlohmann::json{{"eval/accuracy", 0.3}}; });
  auto exported = headroom({"db", "export", "scale", "-o", "shared.db"});
  ASSERT_EQ(exported.exit_status, 0) << exported.err;
  const std::string shared = (folder_.path() / "shared.db").string();
  auto count = [&](const std::string& sql) {
    sqlite::Connection connection(shared, sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    statement.step();
    return statement.text(0);
  };
  EXPECT_EQ(count("SELECT group_concat(name) FROM sweeps"), "scale");
  EXPECT_EQ(count("SELECT count(*) FROM runs"), "13");
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE host IS NOT NULL OR pid IS NOT NULL"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE run_dir NOT LIKE 'runs/scale/%'"), "0");
  EXPECT_EQ(count("SELECT runs_root FROM sweeps"), "runs");
  EXPECT_EQ(count("SELECT count(*) FROM metrics WHERE run_id NOT IN (SELECT id FROM runs)"), "0");
  EXPECT_EQ(count("SELECT journal_mode FROM pragma_journal_mode"), "delete");
  // It reads like the original, and the same report comes out of both.
  auto original = headroom({"runs", "scale", "--format", "csv", "--columns", "run,heads,attention,eval/accuracy"});
  auto copy = headroom({"--db", "shared.db", "runs", "scale", "--format", "csv", "--columns",
                        "run,heads,attention,eval/accuracy"});
  ASSERT_EQ(copy.exit_status, 0) << copy.err;
  EXPECT_EQ(copy.out, original.out);
  EXPECT_EQ(headroom({"--db", "shared.db", "report", "scale", "--out", "report"}).exit_status, 0);

  auto again = headroom({"db", "export", "scale", "-o", "shared.db"});
  EXPECT_EQ(again.exit_status, 2);
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
  auto unknown = headroom({"db", "export", "scale", "nope", "-o", "other.db"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("no sweep 'nope'"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "other.db"));
}

TEST_F(ResultsCli, AQueryThatWouldNotEndIsStoppedByTimeOrSize) {
  auto endless = headroom({"query", "--timeout", "0.5",
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x > 0) "
                           "SELECT count(*) FROM c"});
  EXPECT_EQ(endless.exit_status, 2);
  EXPECT_NE(endless.err.find("the query ran longer than 0.5 s and was stopped"), std::string::npos) << endless.err;
  auto huge = headroom({"query", "--max-rows", "1000",
                        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"});
  EXPECT_EQ(huge.exit_status, 2);
  EXPECT_NE(huge.err.find("more than 1000 rows"), std::string::npos) << huge.err;
  EXPECT_EQ(headroom({"query", "SELECT count(*) FROM runs"}).exit_status, 0);
}

TEST_F(ResultsCli, DbMigrateUpgradesAVersionOneFileAfterABackup) {
  std::string old = (folder_.path() / "old.db").string();
  {
    sqlite::Connection connection(old, sqlite::Connection::Mode::read_write_create);
    migrate(connection, old, 1);
  }
  auto refused = headroom({"--db", "old.db", "runs"});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("run 'headroom db migrate'"), std::string::npos) << refused.err;
  auto migrated = headroom({"--db", "old.db", "db", "migrate"});
  ASSERT_EQ(migrated.exit_status, 0) << migrated.err;
  EXPECT_NE(migrated.out.find("migrated from schema version 1 to " + std::to_string(latest_schema_version())),
            std::string::npos);
  EXPECT_TRUE(fs::exists(folder_.path() / "old.db.v1.bak"));
  EXPECT_EQ(headroom({"--db", "old.db", "runs"}).exit_status, 0);
  auto again = headroom({"--db", "old.db", "db", "migrate"});
  EXPECT_NE(again.out.find("at schema version " + std::to_string(latest_schema_version()) + " already"),
            std::string::npos);
}

}  // namespace
}  // namespace headroom
