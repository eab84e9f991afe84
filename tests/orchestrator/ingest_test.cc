#include "orchestrator/ingest/ingest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

using testing::TemporaryFolder;

class IngestTest : public ::testing::Test {
 protected:
  // Called again by a test for a fresh database and run.
  void SetUp() override {
    const auto root = folder_.path() / std::to_string(++setups_);
    std::filesystem::create_directories(root);
    database_ = (root / "h.db").string();
    auto store = Store::open_for_writing(database_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    auto spec = parse_sweep("parameters:\n  heads: {values: [1]}\n", "s.yaml");
    auto expansion = expand(spec.value());
    auto sweep = store_->register_sweep(spec.value(), expansion.value(), root.string(), false);
    auto cell = store_->cells(sweep->id)->front();
    auto run = store_->begin_attempt(sweep.value(), cell);
    run_ = run.value();
    std::filesystem::create_directories(run_.run_dir);
  }

  void append(const std::string& text) {
    std::ofstream(std::filesystem::path(run_.run_dir) / "events.jsonl", std::ios::app) << text;
  }

  int64_t count(const std::string& sql) {
    sqlite::Connection connection(database_, sqlite::Connection::Mode::read_only);
    sqlite::Statement statement(connection.handle(), sql);
    statement.step();
    return statement.integer(0);
  }

  TemporaryFolder folder_;
  int setups_ = 0;
  std::string database_;
  std::unique_ptr<Store> store_;
  RunRecord run_;
};

TEST_F(IngestTest, StoresMetricsSummariesAndTheEndStatus) {
  append(R"({"event":"start","device":"cpu","time":1})" "\n"
         R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0}})" "\n"
         R"({"event":"metric","step":20,"time":3,"values":{"train/loss":2.0}})" "\n"
         R"({"event":"eval","step":20,"time":4,"values":{"eval/accuracy":0.5}})" "\n"
         R"({"event":"end","status":"ok","step":20,"time":5})" "\n");
  auto report = ingest_run(*store_, run_.id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->events, 5u);
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 3);
  EXPECT_EQ(count("SELECT last_value * 10 FROM summaries WHERE name = 'train/loss'"), 20);
  EXPECT_EQ(count("SELECT max_value * 10 FROM summaries WHERE name = 'train/loss'"), 30);
  EXPECT_EQ(store_->run(run_.id)->end_status, "ok");
}

TEST_F(IngestTest, LeavesATornLastLineForTheNextPass) {
  append(R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0}})" "\n"
         R"({"event":"metric","step":20,"ti)");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 1);
  append(R"(me":3,"values":{"train/loss":2.0}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 2);
}

TEST_F(IngestTest, OnceTheWorkerHasEndedItsUnfinishedLastLineIsReadAsItStands) {
  // A complete event that lacks only its newline is stored...
  append(R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0}})" "\n"
         R"({"event":"end","status":"ok","step":10,"time":3})");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_FALSE(store_->run(run_.id)->end_status.has_value());  // the worker may still finish it
  auto report = ingest_run(*store_, run_.id, WorkerEnded::yes);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->events, 1u);
  EXPECT_EQ(store_->run(run_.id)->end_status, "ok");
  // ...and a torn one is refused once, counted, and never pending again.
  SetUp();
  append(R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0}})" "\n" R"({"event":"metr)");
  report = ingest_run(*store_, run_.id, WorkerEnded::yes);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->rejected_lines, 1u);
  auto run = store_->run(run_.id);
  EXPECT_EQ(run->events_offset, int64_t(std::filesystem::file_size(std::filesystem::path(run_.run_dir) / "events.jsonl")));
  EXPECT_EQ(*run->event_problem,
            "events.jsonl at byte 66: an unfinished last line (14 bytes; the worker ended before its newline): "
            "not a JSON object");
  EXPECT_EQ(ingest_run(*store_, run_.id, WorkerEnded::yes)->rejected_lines, 0u);
  EXPECT_EQ(store_->run(run_.id)->rejected_lines, 1);
}

TEST_F(IngestTest, AnEndedWorkersUnreadableEventsFileIsRecordedAsTheProblem) {
  // A folder where the file should be: unreadable even for root.
  std::filesystem::create_directories(std::filesystem::path(run_.run_dir) / "events.jsonl");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_FALSE(store_->run(run_.id)->event_problem.has_value());  // perhaps passing while the worker runs
  ASSERT_TRUE(ingest_run(*store_, run_.id, WorkerEnded::yes).ok());
  EXPECT_EQ(store_->run(run_.id)->event_problem, "events.jsonl cannot be read: not a regular file");
}

TEST_F(IngestTest, ReplayingTheWholeLogAddsNothingTwice) {
  append(R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0,"train/lr":0.1}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  // A crash between writing rows and remembering the offset cannot happen (one
  // transaction); force the worst case anyway by rewinding the offset.
  ASSERT_TRUE(store_->apply_events(run_.id, EventBatch{}, 0).ok());
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM summaries"), 2);
}

TEST_F(IngestTest, EventsOfAnUnknownRunAreRefusedAndForeignKeysStayOn) {
  // Ingestion skips SQLite's per-row foreign-key checks for speed: it must
  // check the run itself and switch the checks back on.
  EventBatch batch;
  batch.points.push_back({1, 0, batch.name_index("x"), 1.0});
  auto refused = store_->apply_events(run_.id + 100, batch, 1);
  EXPECT_FALSE(refused.ok());
  append(R"({"event":"metric","step":10,"time":2,"values":{"train/loss":3.0}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
  auto enforced = store_->select("SELECT foreign_keys FROM pragma_foreign_keys");  // per connection: the store's
  ASSERT_TRUE(enforced.ok()) << enforced.error().to_string();
  EXPECT_EQ(enforced->rows.at(0).at(0), 1);
}

TEST_F(IngestTest, RefusesMalformedCompleteLinesCountsThemAndRecordsTheFirstProblem) {
  append("not json\n" R"({"event":"metric","step":1,"time":2,"values":{"train/loss":1.0}})" "\n"
         R"({"event":"progress","v":1,"time":3})" "\n");
  auto report = ingest_run(*store_, run_.id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->rejected_lines, 2u);
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 1);
  auto run = store_->run(run_.id);
  EXPECT_EQ(run->rejected_lines, 2);
  EXPECT_EQ(run->event_problem, "events.jsonl at byte 0: not a JSON object");
  append(R"({"event":"end","v":1,"time":4})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(store_->run(run_.id)->rejected_lines, 3);  // counted across passes; the first problem stays
  EXPECT_EQ(store_->run(run_.id)->event_problem, "events.jsonl at byte 0: not a JSON object");
  EXPECT_FALSE(store_->run(run_.id)->end_status.has_value());  // an end without a status is no end
}

TEST_F(IngestTest, LinesOfAnotherProtocolVersionAreRefusedWithTheVersionNamed) {
  append(R"({"v":2,"event":"metric","step":1,"time":2,"values":{"train/loss":1.0}})" "\n"
         R"({"event":"end","status":"ok","v":2,"time":3})" "\n"
         R"({"event":"metric","v":1,"step":2,"time":4,"values":{"train/loss":0.5}})" "\n");
  auto report = ingest_run(*store_, run_.id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->events, 1u);
  EXPECT_EQ(report->rejected_lines, 2u);
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 1);  // only the version-1 point
  auto run = store_->run(run_.id);
  EXPECT_FALSE(run->end_status.has_value());
  ASSERT_TRUE(run->event_problem.has_value());
  EXPECT_EQ(*run->event_problem,
            "events.jsonl at byte 0: protocol version 2, but this headroom reads version 1 (docs/events.md)");
}

TEST_F(IngestTest, SummariesFoldBatchesInAnyOrderAndSkipNonFiniteValues) {
  // Two passes; the second replays an older step, which must not become "last".
  append(R"({"event":"metric","step":20,"time":2,"values":{"train/loss":2.0}})" "\n"
         R"({"event":"metric","step":10,"time":1,"values":{"train/loss":5.0}})" "\n"
         R"({"event":"metric","step":30,"time":3,"values":{"train/loss":null}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  append(R"({"event":"metric","step":25,"time":4,"values":{"train/loss":1.0}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT last_step FROM summaries WHERE name = 'train/loss'"), 30);
  EXPECT_EQ(count("SELECT last_value IS NULL FROM summaries WHERE name = 'train/loss'"), 1);
  EXPECT_EQ(count("SELECT min_value FROM summaries WHERE name = 'train/loss'"), 1);
  EXPECT_EQ(count("SELECT max_value FROM summaries WHERE name = 'train/loss'"), 5);
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 4);
}

TEST_F(IngestTest, ANewMetricNameBecomesAColumnOfTheWideRows) {
  append(R"({"event":"eval","step":10,"time":2,"values":{"eval/brand_new":0.75}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  ASSERT_TRUE(store_->create_wide_view({}, "").ok());  // a view of store_'s connection
  auto wide = store_->select("SELECT \"eval/brand_new\" * 100 FROM runs_wide");
  ASSERT_TRUE(wide.ok()) << wide.error().to_string();
  EXPECT_EQ(wide->rows.at(0).at(0), 75.0);
}

// Each malformed line is refused on its own, with its own reason: nothing is
// skipped silently, wrapped or truncated.
TEST_F(IngestTest, EachKindOfMalformedLineIsRefusedWithItsReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"event":"metric","step":1,"time":2,"values":{"train/loss":NaN}})", "is not JSON (NaN? write null)"},
      {R"({"event":"metric","step":1,"time":2,"values":{"train/loss":Infinity}})", "is not JSON"},
      {"{\"event\":\"metric\",\"step\":1,\"time\":2,\"values\":{\"a\xff\":1}}", "not valid UTF-8"},
      {R"({"event":"metric","step":99999999999999999999,"time":2,"values":{"x":1}})", "\"step\" is not a whole number"},
      {R"({"event":"metric","step":1e30,"time":2,"values":{"x":1}})", "\"step\" is not a whole number"},
      {R"({"event":"metric","step":-5,"time":2,"values":{"x":1}})", "\"step\" is not a whole number"},
      {R"({"event":"metric","step":1.5,"time":2,"values":{"x":1}})", "\"step\" is not a whole number"},
      {R"({"event":"metric","step":1,"time":2,"values":{"":1}})", "a metric name is empty"},
      {R"({"event":"metric","step":1,"time":2,"values":{"a\u0007b":1}})", "a metric name with a control character"},
      {R"({"event":"metric","step":1,"time":2,"values":{")" + std::string(201, 'n') + R"(":1}})",
       "a metric name of 201 bytes (at most 200)"},
  };
  for (const auto& [line, reason] : cases) {
    SetUp();  // a fresh database and run for each line
    append(line + "\n" + R"({"event":"metric","step":3e0,"time":2,"values":{"ok":1}})" "\n");
    auto report = ingest_run(*store_, run_.id);
    ASSERT_TRUE(report.ok()) << line;
    EXPECT_EQ(report->rejected_lines, 1u) << line;
    EXPECT_EQ(report->events, 1u) << line;
    auto run = store_->run(run_.id);
    ASSERT_TRUE(run->event_problem.has_value()) << line;
    EXPECT_NE(run->event_problem->find(reason), std::string::npos) << *run->event_problem;
    EXPECT_EQ(count("SELECT count(*) FROM metrics"), 1) << line;
    EXPECT_EQ(count("SELECT step FROM metrics"), 3) << line;  // 3e0 is a whole number
    EXPECT_EQ(count("SELECT count(*) FROM metric_names WHERE name != 'ok'"), 0) << line;
  }
}

TEST_F(IngestTest, ARunMayLogAtMostAThousandDistinctMetricNames) {
  auto line = [](int first, int count, int step = 1) {
    std::string values;
    for (int i = first; i < first + count; ++i) values += (values.empty() ? "\"m" : ",\"m") + std::to_string(i) + "\":1";
    return R"({"event":"metric","step":)" + std::to_string(step) + R"(,"time":2,"values":{)" + values + "}}\n";
  };
  append(line(0, 600));
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  // A later pass: 400 more fit, the next line of new names does not; the
  // names the run has can still be logged.
  append(line(600, 400) + line(1000, 1) + line(0, 1000, 2));
  auto report = ingest_run(*store_, run_.id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->rejected_lines, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM summaries"), 1000);
  EXPECT_EQ(count("SELECT count(*) FROM metrics"), 2000);
  EXPECT_NE(store_->run(run_.id)->event_problem->find("more than 1000 distinct metric names in one run"),
            std::string::npos);
  // One line of 2,500 names is refused whole, on another run too.
  SetUp();
  append(line(0, 2500));
  EXPECT_EQ(ingest_run(*store_, run_.id)->rejected_lines, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM metric_names"), 0);
}

}  // namespace
}  // namespace headroom
