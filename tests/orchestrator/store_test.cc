#include "orchestrator/store/store.h"

#include <gtest/gtest.h>

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

using testing::TemporaryFolder;

struct Fixture {
  SweepSpec spec;
  Expansion expansion;
};

Fixture sweep_of(const std::string& yaml, const std::string& file = "s.yaml") {
  auto spec = parse_sweep(yaml, file);
  EXPECT_TRUE(spec.ok());
  auto expansion = expand(spec.value());
  EXPECT_TRUE(expansion.ok());
  return {spec.value(), expansion.value()};
}

int pragma(const std::string& path, const std::string& name) {
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_only);
  sqlite::Statement statement(connection.handle(), "PRAGMA " + name);
  statement.step();
  return int(statement.integer(0));
}

TEST(Store, MigratesAFreshFileToTheLatestVersion) {
  TemporaryFolder folder;
  std::string path = (folder.path() / "h.db").string();
  ASSERT_TRUE(Store::open_for_writing(path).ok());
  EXPECT_EQ(pragma(path, "user_version"), latest_schema_version());
  EXPECT_EQ(pragma(path, "application_id"), kApplicationId);
  // Opening again applies nothing twice.
  ASSERT_TRUE(Store::open_for_writing(path).ok());
  EXPECT_TRUE(Store::open_read_only(path).ok());
}

TEST(Store, RefusesADatabaseFromANewerHeadroomNamingBothVersions) {
  TemporaryFolder folder;
  std::string path = (folder.path() / "h.db").string();
  ASSERT_TRUE(Store::open_for_writing(path).ok());
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    connection.execute("PRAGMA user_version = 999");
  }
  auto store = Store::open_for_writing(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().to_string().find("schema version 999 but this headroom only knows up to version " +
                                           std::to_string(latest_schema_version())),
            std::string::npos);
}

TEST(Store, RefusesAFileThatIsNotAHeadroomDatabase) {
  TemporaryFolder folder;
  std::string path = folder.write("other.db", "");
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    connection.execute("PRAGMA application_id = 42; CREATE TABLE t (x)");
  }
  EXPECT_FALSE(Store::open_for_writing(path).ok());
}

TEST(Store, ReadOnlyOpenOfAMissingFileIsABadInputError) {
  auto store = Store::open_read_only("/nonexistent/headroom.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::invalid_input);
}

TEST(Store, RegisteringTheSameSpecTwiceKeepsOneSweepAndItsCells) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  ASSERT_TRUE(store.ok());
  auto fixture = sweep_of("parameters:\n  heads: {values: [1, 2]}\n");
  auto first = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
  auto second = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(store.value()->cells(first->id)->size(), 2u);
}

TEST(Store, AChangedSpecIsRefusedUnlessExtendedAndExtendingKeepsFinishedCells) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  ASSERT_TRUE(store.ok());
  auto old_spec = sweep_of("parameters:\n  heads: {values: [1, 2]}\n");
  auto sweep = store.value()->register_sweep(old_spec.spec, old_spec.expansion, "/runs", false);
  ASSERT_TRUE(sweep.ok());
  auto cell = store.value()->cells(sweep->id)->front();
  auto run = store.value()->begin_attempt(sweep.value(), cell);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(store.value()->finish_run(run->id, RunEnd{"succeeded", 0, {}, {}}, "succeeded").ok());

  auto new_spec = sweep_of("parameters:\n  heads: {values: [1, 2, 4]}\n");
  auto refused = store.value()->register_sweep(new_spec.spec, new_spec.expansion, "/runs", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(refused.error().to_string().find("--extend"), std::string::npos);

  auto extended = store.value()->register_sweep(new_spec.spec, new_spec.expansion, "/runs", true);
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 3u);
  EXPECT_EQ(store.value()->cells(sweep->id, "succeeded")->size(), 1u);
  EXPECT_EQ(store.value()->cells(sweep->id, "pending")->size(), 2u);
}

TEST(Store, ASpecWhoseCommentsOrLayoutChangedIsTheSameSweep) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  ASSERT_TRUE(store.ok());
  auto old_spec = sweep_of("parameters:\n  heads: {values: [1, 2]}\n");
  auto sweep = store.value()->register_sweep(old_spec.spec, old_spec.expansion, "/runs", false);
  ASSERT_TRUE(sweep.ok());
  auto edited = sweep_of("# measured: 5 min\nparameters:\n  heads: {values: [1, 2]}  # two head counts\n");
  auto again = store.value()->register_sweep(edited.spec, edited.expansion, "/runs", false);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->id, sweep->id);
  EXPECT_EQ(again->spec_text, edited.spec.text);  // the stored text follows the file
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 2u);
}

TEST(Store, AttemptsAreNumberedPerCellWithTheirOwnRunFolders) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  auto fixture = sweep_of("parameters:\n  heads: {values: [1]}\n", "quick.yaml");
  auto sweep = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
  auto cell = store.value()->cells(sweep->id)->front();
  auto first = store.value()->begin_attempt(sweep.value(), cell);
  ASSERT_TRUE(store.value()->finish_run(first->id, RunEnd{"failed", 1, {}, "boom"}, "pending").ok());
  auto second = store.value()->begin_attempt(sweep.value(), cell);
  EXPECT_EQ(first->attempt, 1);
  EXPECT_EQ(second->attempt, 2);
  EXPECT_EQ(second->run_dir, "/runs/quick/" + cell.hash.substr(0, 12) + "/2");
  EXPECT_EQ(store.value()->active_runs(sweep->id)->size(), 1u);
}

// A database at `version`, built by the real migrations up to it.
std::string database_at_version(const TemporaryFolder& folder, int version) {
  std::string path = (folder.path() / ("v" + std::to_string(version) + ".db")).string();
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
  migrate(connection, path, version);
  return path;
}

TEST(Store, MigratesFromEveryEarlierVersionToACleanLatestSchema) {
  TemporaryFolder folder;
  for (int version = 0; version < latest_schema_version(); ++version) {
    std::string path = database_at_version(folder, version);
    EXPECT_EQ(pragma(path, "user_version"), version);
    ASSERT_TRUE(Store::open_for_writing(path).ok()) << "from version " << version;
    EXPECT_EQ(pragma(path, "user_version"), latest_schema_version());
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_only);
    sqlite::Statement check(connection.handle(), "PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.text(0), "ok") << "from version " << version;
    sqlite::Statement view(connection.handle(), "SELECT count(*) FROM runs_wide");
    EXPECT_TRUE(view.step());
  }
}

TEST(Store, VersionOneDataSurvivesTheMoveToInternedMetricNames) {
  TemporaryFolder folder;
  std::string path = database_at_version(folder, 1);
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    connection.execute(R"sql(
      INSERT INTO sweeps VALUES (1, 'old', 'parameters: {}', 'h', 's.yaml', '/runs', 0, NULL, NULL);
      INSERT INTO cells (id, sweep_id, ordinal, hash, parameters, config, parameter_count,
                         non_embedding_parameters, flops_per_token, estimated_flops, state)
        VALUES (1, 1, 0, 'abc', '{"heads": 4}', '{"heads": 4, "head_size": 16}', 10, 5, 1, 1, 'succeeded');
      INSERT INTO cell_parameters VALUES (1, 'heads', 4);
      INSERT INTO runs (id, cell_id, attempt, state, run_dir) VALUES (1, 1, 1, 'succeeded', '/r');
      INSERT INTO metrics VALUES (1, 'train/loss', 10, 2.5, 100), (1, 'train/loss', 20, 2.0, 101),
                                 (1, 'eval/accuracy', 20, 0.25, 101);
      INSERT INTO summaries VALUES (1, 'train/loss', 20, 2.0, 2.0, 2.5), (1, 'eval/accuracy', 20, 0.25, 0.25, 0.25);
    )sql");
  }
  auto store = Store::open_for_writing(path);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  auto curve = store.value()->curve(1, "train/loss");
  ASSERT_TRUE(curve.ok());
  ASSERT_EQ(curve->size(), 2u);
  EXPECT_EQ(curve.value()[1].step, 20);
  EXPECT_EQ(curve.value()[1].value, 2.0);
  auto wide = store.value()->select("SELECT heads, head_size, \"eval/accuracy\" FROM runs_wide");
  ASSERT_TRUE(wide.ok()) << wide.error().to_string();
  ASSERT_EQ(wide->rows.size(), 1u);
  EXPECT_EQ(wide->rows[0], (std::vector<nlohmann::json>{4, 16, 0.25}));
  auto sweep = store.value()->find_sweep("old");
  EXPECT_EQ(sweep->value().state, "finished");
}

TEST(Store, SelectRefusesStatementsThatWriteAndTrailingStatements) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  ASSERT_TRUE(store.ok());
  for (const char* sql : {"DELETE FROM runs", "SELECT 1; DROP TABLE runs", "ATTACH 'x.db' AS x",
                          "PRAGMA user_version = 5", "SELECT 1; SELECT 2"}) {
    auto result = store.value()->select(sql);
    EXPECT_FALSE(result.ok()) << sql;
  }
  auto comment = store.value()->select("SELECT 1 AS one; -- the answer");
  ASSERT_TRUE(comment.ok());
  EXPECT_EQ(comment->rows[0][0], 1);
}

TEST(Store, ReadOnlyStoresCannotWriteEvenThroughPragmas) {
  TemporaryFolder folder;
  std::string path = (folder.path() / "h.db").string();
  ASSERT_TRUE(Store::open_for_writing(path).ok());
  auto reader = Store::open_read_only(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader.value()->add_tag(1, "x").ok());
}

}  // namespace
}  // namespace headroom
