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

}  // namespace
}  // namespace headroom
