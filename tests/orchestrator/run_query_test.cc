#include "orchestrator/query/run_query.h"

#include "orchestrator/monitor/render.h"
#include "orchestrator/monitor/snapshot.h"

#include <gtest/gtest.h>

#include "orchestrator/store/sqlite.h"
#include "tests/support/results_fixture.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

using testing::TemporaryFolder;

class RunQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = (folder_.path() / "h.db").string();
    testing::build_results_fixture(database_, (folder_.path() / "runs").string());
    auto store = Store::open_read_only(database_);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    store_ = std::move(store).value();
  }

  Table query(RunQuery q) {
    auto table = query_runs(*store_, q);
    EXPECT_TRUE(table.ok()) << table.error().to_string();
    return table.ok() ? table.value() : Table{};
  }

  TemporaryFolder folder_;
  std::string database_;
  std::unique_ptr<Store> store_;
};

TEST_F(RunQueryTest, DefaultLayoutHasEveryRunWithParametersAndFinalMetrics) {
  Table table = query({});
  EXPECT_EQ(table.rows.size(), 13u);
  EXPECT_EQ(table.columns,
            (std::vector<std::string>{"run", "sweep", "cell", "attempt", "state", "attention", "d_model", "heads",
                                      "head_size", "eval/accuracy", "train/loss", "parameter_count", "seconds",
                                      "error"}));
}

TEST_F(RunQueryTest, FiltersSortsAndPicksColumns) {
  RunQuery q;
  q.where = "d_model >= 64 and (heads = 4 or heads = 16) and attention = 'fixed'";
  q.sort = {"-eval/accuracy"};
  q.columns = {"d_model", "heads", "head_size", "eval/accuracy"};
  Table table = query(q);
  ASSERT_EQ(table.rows.size(), 4u);
  const std::vector<std::pair<int, int>> expected = {{128, 16}, {64, 16}, {128, 4}, {64, 4}};
  for (size_t i = 0; i < expected.size(); ++i) {
    auto [d_model, heads] = expected[i];
    EXPECT_EQ(table.rows[i][0], d_model);
    EXPECT_EQ(table.rows[i][1], heads);
    EXPECT_EQ(table.rows[i][2], 32);
    EXPECT_DOUBLE_EQ(table.rows[i][3].get<double>(), testing::expected_accuracy(d_model, heads, "fixed"));
  }
}

TEST_F(RunQueryTest, DerivedHeadSizeAndStateAreFilterable) {
  RunQuery q;
  q.where = "head_size < 32 and state = 'succeeded'";
  q.columns = {"d_model", "heads", "head_size"};
  q.sort = {"head_size", "d_model"};
  Table table = query(q);
  // Standard attention: 64/4=16, 64/16=4, 128/16=8, 128/4=32 (excluded), 64/1, 128/1 excluded.
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0][2], 4);
  EXPECT_EQ(table.rows[1][2], 8);
  EXPECT_EQ(table.rows[2][2], 16);
}

TEST_F(RunQueryTest, ASettingACellWasStoredWithoutReadsAtItsDefault) {
  // Cells stored before test_split existed lack it; runs filter on it as on the others.
  {
    sqlite::Connection connection(database_, sqlite::Connection::Mode::read_write_create);
    connection.execute("UPDATE cells SET config = json_remove(config, '$.test_split') WHERE id % 2 = 0;"
                       "DELETE FROM setting_names WHERE name = 'test_split'");  // as no sweep here named it
  }
  RunQuery q;
  q.where = "test_split = false";
  q.columns = {"run", "test_split"};
  Table table = query(q);
  EXPECT_EQ(table.rows.size(), 13u);
  for (const auto& row : table.rows) EXPECT_EQ(row[1], 0) << row[0];
}

TEST_F(RunQueryTest, MissingValuesSortLastInBothDirections) {
  RunQuery q;
  q.columns = {"run", "eval/accuracy"};
  for (const auto& key : {"eval/accuracy", "-eval/accuracy"}) {
    q.sort = {key};
    Table table = query(q);
    ASSERT_EQ(table.rows.size(), 13u);
    EXPECT_TRUE(table.rows.back()[1].is_null()) << key;  // the failed attempt
    EXPECT_FALSE(table.rows.front()[1].is_null()) << key;
  }
}

TEST_F(RunQueryTest, UnknownSweepsAndColumnsAreErrorsWithSuggestions) {
  RunQuery q;
  q.sweeps = {"scael"};
  auto result = query_runs(*store_, q);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().to_string().find("no sweep named 'scael'"), std::string::npos);
  EXPECT_NE(result.error().to_string().find("did you mean 'scale'?"), std::string::npos);
  q = {};
  q.columns = {"eval/acuracy"};
  result = query_runs(*store_, q);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().to_string().find("unknown column 'eval/acuracy' in --columns (did you mean 'eval/accuracy'?)"),
            std::string::npos);
  q = {};
  q.sort = {"-hedas"};
  EXPECT_FALSE(query_runs(*store_, q).ok());
}

TEST_F(RunQueryTest, TagsAreAColumnOnceARunIsTagged) {
  {
    auto writer = Store::open_for_writing(database_);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer.value()->add_tag(1, "baseline").ok());
    ASSERT_TRUE(writer.value()->add_tag(1, "a-first").ok());
  }
  RunQuery q;
  q.where = "tags like '%baseline%'";
  q.columns = {"run", "tags"};
  Table table = query(q);
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][1], "a-first,baseline");
}

TEST(Render, ProgressBarsAndDurations) {
  EXPECT_EQ(progress_bar(0.5, 10), "[#####.....]");
  EXPECT_EQ(progress_bar(1.5, 4), "[####]");
  EXPECT_EQ(progress_bar(-1, 4), "[....]");
  // Succeeded cells #, failed x: a sweep whose cells all failed is not "full".
  EXPECT_EQ(cells_bar(2, 0, 1, 4, 8), "[####xx..]");
  EXPECT_EQ(cells_bar(1, 1, 1, 4, 8), "[##--xx..]");
  EXPECT_EQ(cells_bar(0, 0, 2, 2, 4), "[xxxx]");
  EXPECT_EQ(cells_bar(0, 0, 0, 0, 4), "[....]");
  EXPECT_EQ(compact_duration(59.6), "1m0s");
  EXPECT_EQ(compact_duration(3725), "1h2m");
  EXPECT_EQ(compact_duration(3 * 3600 + 19 * 60 + 59), "3h20m");  // nearest minute, not truncated
  EXPECT_EQ(compact_duration(3 * 3600 + 19 * 60 + 29), "3h19m");
  EXPECT_EQ(compact_duration(3569), "59m29s");
  EXPECT_EQ(compact_duration(3570), "1h0m");
  EXPECT_EQ(compact_duration(4), "4s");
}

// A program's metric called "loss" has its own column, beside train/loss
// named in full (not a header "loss loss").
TEST(Render, ASweepMetricCalledLossIsNotConfusedWithTrainLoss) {
  SweepSnapshot snapshot;
  snapshot.sweep.name = "p";
  snapshot.sweep.metric = "loss";
  RunningRun run;
  run.run = 1;
  run.accuracy = 0.25;
  snapshot.running.push_back(run);
  const auto lines = render_snapshot(snapshot, RenderOptions{false, 200, 10});
  std::string header;
  for (const auto& line : lines) {
    if (line.find("progress") != std::string::npos) header = line;
  }
  EXPECT_NE(header.find("step  train/loss  loss  "), std::string::npos) << header;
  snapshot.sweep.metric = "eval/accuracy";
  for (const auto& line : render_snapshot(snapshot, RenderOptions{false, 200, 10})) {
    if (line.find("progress") != std::string::npos) header = line;
  }
  EXPECT_NE(header.find("step  loss  eval/accuracy  "), std::string::npos) << header;
}

TEST_F(RunQueryTest, SnapshotOfAFinishedSweepCountsCellsAndHasNoEta) {
  auto sweep = store_->find_sweep("scale");
  auto snapshot = take_snapshot(*store_, *sweep.value());
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().to_string();
  EXPECT_EQ(snapshot->total, 12);
  EXPECT_EQ(snapshot->count(CellState::succeeded), 12);
  EXPECT_TRUE(snapshot->running.empty());
  EXPECT_TRUE(snapshot->failed.empty());  // the failed attempt was retried and succeeded
  EXPECT_FALSE(snapshot->orchestrator_alive);
  auto lines = render_snapshot(snapshot.value(), RenderOptions{false, 40, 10});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "scale: finished");
  EXPECT_EQ(lines[1], "  [##########] 12/12 cells: 12 succeeded");  // cut at 40 columns
}

// A setting a sweep fixes in `base` is a column like a swept one, and a
// filter on it sees the runs of a sweep that sweeps it and of one that does not.
TEST_F(RunQueryTest, EverySettingIsAColumnSweptOrNot) {
  store_.reset();
  testing::add_finished_sweep(database_, (folder_.path() / "runs").string(),
                              "name: other\nbase: {d_model: 64, layers: 1, seq_len: 32, steps: 30}\n"
                              "parameters:\n  heads: {values: [1, 2]}\n",
                              [](const CellRecord&) { return nlohmann::json{{"eval/accuracy", 0.3}}; });
  store_ = std::move(Store::open_read_only(database_)).value();
  RunQuery q;
  q.where = "d_model = 64 and layers = 1 and seq_len = 32";
  q.columns = {"sweep", "d_model", "lr"};
  Table table = query(q);
  int other = 0, scale = 0;
  for (const auto& row : table.rows) {
    EXPECT_EQ(row[1], 64);
    EXPECT_TRUE(row[2].is_number());  // the default learning rate, never set by either sweep
    (row[0] == "other" ? other : scale) += 1;
  }
  EXPECT_EQ(other, 2);
  EXPECT_EQ(scale, 7);  // d_model 64 of the swept grid: 3 heads x 2 attention kinds, one cell attempted twice
  auto columns = queryable_columns(*store_, {"other"});
  ASSERT_TRUE(columns.ok());
  EXPECT_NE(std::find(columns->begin(), columns->end(), "warmup_steps"), columns->end());
}

}  // namespace
}  // namespace headroom
