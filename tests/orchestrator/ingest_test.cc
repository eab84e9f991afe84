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
  void SetUp() override {
    database_ = (folder_.path() / "h.db").string();
    auto store = Store::open_for_writing(database_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    auto spec = parse_sweep("parameters:\n  heads: {values: [1]}\n", "s.yaml");
    auto expansion = expand(spec.value());
    auto sweep = store_->register_sweep(spec.value(), expansion.value(), folder_.path().string(), false);
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

TEST_F(IngestTest, ANewMetricNameBecomesAColumnOfTheWideView) {
  append(R"({"event":"eval","step":10,"time":2,"values":{"eval/brand_new":0.75}})" "\n");
  ASSERT_TRUE(ingest_run(*store_, run_.id).ok());
  EXPECT_EQ(count("SELECT \"eval/brand_new\" * 100 FROM runs_wide"), 75);
}

}  // namespace
}  // namespace headroom
