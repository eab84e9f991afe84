#include "orchestrator/store/store.h"

#include <gtest/gtest.h>

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "tests/support/results_fixture.h"
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

TEST(Store, RefusesAnotherProgramsDatabaseWithoutAnIdAndLeavesItAsItWas) {
  TemporaryFolder folder;
  std::string path = (folder.path() / "theirs.db").string();
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    connection.execute("CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('ada')");
  }
  auto store = Store::open_for_writing(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(store.error().to_string().find("is not a Headroom database: it holds 1 table of another program (such "
                                           "as 'customers')"),
            std::string::npos)
      << store.error().to_string();
  EXPECT_EQ(pragma(path, "user_version"), 0);
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_only);
  sqlite::Statement tables(connection.handle(), "SELECT count(*) FROM sqlite_master");
  tables.step();
  EXPECT_EQ(tables.integer(0), 1);  // nothing of ours was added
  // An empty file is a new database.
  EXPECT_TRUE(Store::open_for_writing(folder.write("empty.db", "")).ok());
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
  ASSERT_TRUE(store.value()->finish_run(run->id, testing::recorded(RunState::succeeded, CellState::succeeded)).ok());

  auto new_spec = sweep_of("parameters:\n  heads: {values: [1, 2, 4]}\n");
  auto refused = store.value()->register_sweep(new_spec.spec, new_spec.expansion, "/runs", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(refused.error().to_string().find("--extend"), std::string::npos);

  auto extended = store.value()->register_sweep(new_spec.spec, new_spec.expansion, "/runs", true);
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 3u);
  EXPECT_EQ(store.value()->cells(sweep->id, CellState::succeeded)->size(), 1u);
  EXPECT_EQ(store.value()->cells(sweep->id, CellState::pending)->size(), 2u);
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

// Cells stored before the trainer had test_split: the stored config lacks it,
// and the stored hash (which names the run folders) was made without it.
void make_cells_older_than_test_split(const std::string& path) {
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
  connection.execute(
      "UPDATE cells SET config = json_remove(config, '$.test_split'), hash = 'made-before-test-split-' || id");
}

TEST(Store, CellsStoredBeforeASettingExistedAreFoundAgainNotAddedTwice) {
  TemporaryFolder folder;
  const std::string path = (folder.path() / "h.db").string();
  auto store = Store::open_for_writing(path);
  ASSERT_TRUE(store.ok());
  auto old_spec = sweep_of("parameters:\n  heads: {values: [1, 2]}\n");
  auto sweep = store.value()->register_sweep(old_spec.spec, old_spec.expansion, "/runs", false);
  ASSERT_TRUE(sweep.ok());
  make_cells_older_than_test_split(path);
  auto cell = store.value()->cells(sweep->id)->front();
  ASSERT_NE(cell.hash, old_spec.expansion.cells[0].hash);
  auto run = store.value()->begin_attempt(sweep.value(), cell);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(store.value()->finish_run(run->id, testing::recorded(RunState::succeeded, CellState::succeeded)).ok());

  // The same file again, and extended by one value: only the new value's cell is added.
  ASSERT_TRUE(store.value()->register_sweep(old_spec.spec, old_spec.expansion, "/runs", false).ok());
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 2u);
  auto new_spec = sweep_of("parameters:\n  heads: {values: [1, 2, 4]}\n");
  ASSERT_TRUE(store.value()->register_sweep(new_spec.spec, new_spec.expansion, "/runs", true).ok());
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 3u);
  EXPECT_EQ(store.value()->cells(sweep->id, CellState::succeeded)->size(), 1u);
  EXPECT_EQ(store.value()->cells(sweep->id)->front().hash, cell.hash);  // its run folders keep their name
  // Read with the setting at its default, so a report sees one configuration, not two.
  EXPECT_EQ(store.value()->cells(sweep->id)->front().config, new_spec.expansion.cells[0].config);

  // A search proposing that cell again finds the stored one.
  ProposalRecord proposal;
  proposal.parameters = {{"heads", 1}};
  auto added = store.value()->add_proposal(sweep->id, proposal, &new_spec.expansion.cells[0]);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_EQ(added->first, cell.id);
  EXPECT_FALSE(added->second);
  EXPECT_EQ(store.value()->cells(sweep->id)->size(), 3u);
}

TEST(Store, AttemptsAreNumberedPerCellWithTheirOwnRunFolders) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  auto fixture = sweep_of("parameters:\n  heads: {values: [1]}\n", "quick.yaml");
  auto sweep = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
  auto cell = store.value()->cells(sweep->id)->front();
  auto first = store.value()->begin_attempt(sweep.value(), cell);
  ASSERT_TRUE(store.value()->finish_run(first->id, testing::recorded(RunState::failed, CellState::pending, 1, "boom")).ok());
  auto second = store.value()->begin_attempt(sweep.value(), cell);
  EXPECT_EQ(first->attempt, 1);
  EXPECT_EQ(second->attempt, 2);
  EXPECT_EQ(second->run_dir, "/runs/quick/" + cell.hash.substr(0, 12) + "/2");
  EXPECT_EQ(store.value()->active_runs(sweep->id)->size(), 1u);
}

TEST(Store, FinishRunHandsTheDecisionTheCellAsItStandsAndRecordsItsAnswer) {
  TemporaryFolder folder;
  auto store = Store::open_for_writing((folder.path() / "h.db").string());
  auto fixture = sweep_of("parameters:\n  heads: {values: [1]}\n");
  auto sweep = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
  auto cell = store.value()->cells(sweep->id)->front();
  auto first = store.value()->begin_attempt(sweep.value(), cell);
  ASSERT_TRUE(store.value()->finish_run(first->id, testing::recorded(RunState::failed, CellState::pending, 1, "boom")).ok());
  auto second = store.value()->begin_attempt(sweep.value(), cell);
  // `headroom cancel` takes the cell while its second attempt runs.
  ASSERT_TRUE(store.value()->cancel_cells(sweep->id, "", {CellState::pending, CellState::running}).ok());
  CellHistory seen;
  ASSERT_TRUE(store.value()
                  ->finish_run(second->id,
                               [&](const CellHistory& history) {
                                 seen = history;
                                 return AttemptOutcome{RunEnd{RunState::cancelled, 4, 15, std::nullopt},
                                                       CellState::cancelled};
                               })
                  .ok());
  EXPECT_EQ(seen.state, CellState::cancelled);
  EXPECT_EQ(seen.earlier_attempts, std::vector<RunState>{RunState::failed});
  auto run = store.value()->run(second->id);
  EXPECT_EQ(run->state, RunState::cancelled);
  EXPECT_EQ(run->exit_code, 4);
  EXPECT_EQ(run->signal, 15);
  EXPECT_EQ(store.value()->run(first->id)->error, "boom");
  EXPECT_EQ(store.value()->cell(cell.id)->state, CellState::cancelled);
}

TEST(Store, TheSchemaAcceptsEveryStateAndNoOther) {
  TemporaryFolder folder;
  const std::string path = (folder.path() / "h.db").string();
  {
    auto store = Store::open_for_writing(path);
    auto fixture = sweep_of("parameters:\n  heads: {values: [1]}\n");
    auto sweep = store.value()->register_sweep(fixture.spec, fixture.expansion, "/runs", false);
    ASSERT_TRUE(store.value()->begin_attempt(sweep.value(), store.value()->cells(sweep->id)->front()).ok());
  }
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
  auto accepts = [&](const std::string& table, std::string_view state) {
    try {
      sqlite::Statement update(connection.handle(), "UPDATE " + table + " SET state = ?");
      update.bind(1, std::string(state));
      update.run();
      return true;
    } catch (const sqlite::SqliteError&) {
      return false;
    }
  };
  for (SweepState state : all_sweep_states()) EXPECT_TRUE(accepts("sweeps", to_string(state))) << to_string(state);
  for (CellState state : all_cell_states()) EXPECT_TRUE(accepts("cells", to_string(state))) << to_string(state);
  for (RunState state : all_run_states()) EXPECT_TRUE(accepts("runs", to_string(state))) << to_string(state);
  for (const std::string table : {"sweeps", "cells", "runs"}) EXPECT_FALSE(accepts(table, "bogus")) << table;
  for (SweepState state : all_sweep_states()) EXPECT_EQ(parse_sweep_state(to_string(state)), state);
  for (CellState state : all_cell_states()) EXPECT_EQ(parse_cell_state(to_string(state)), state);
  for (RunState state : all_run_states()) EXPECT_EQ(parse_run_state(to_string(state)), state);
}

TEST(Store, VersionThreeCellsKeepTheirResourcesApartFromTheTrainerConfig) {
  TemporaryFolder folder;
  std::string path = (folder.path() / "v3.db").string();
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    migrate(connection, path, 3);
    connection.execute(
        "INSERT INTO sweeps (id, name, spec_text, spec_hash, spec_path, runs_root, created_at) "
        "VALUES (1, 'a', 'base: {threads: 2}', 'h', 'a.yaml', '/r', 0), (2, 'b', 'x', 'h', 'b.yaml', '/r', 0);"
        "INSERT INTO cells (sweep_id, ordinal, hash, parameters, config, parameter_count, "
        "non_embedding_parameters, flops_per_token, estimated_flops) VALUES "
        "(1, 0, 'c1', '{}', '{\"threads\": 2, \"device\": \"cpu\", \"gpus\": 2, \"gpu_memory_gb\": 3.5, "
        "\"priority\": 4, \"d_model\": 64}', 0, 0, 0, 0),"
        "(2, 0, 'c2', '{}', '{\"threads\": 1, \"device\": \"auto\", \"gpus\": 1, \"gpu_memory_gb\": 0, "
        "\"priority\": 0, \"d_model\": 64}', 0, 0, 0, 0)");
  }
  auto store = Store::open_for_writing(path);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  auto a = store.value()->cells(1)->front();
  EXPECT_EQ(a.resources.threads, 2);  // its sweep set threads
  EXPECT_EQ(a.resources.device, "cpu");
  EXPECT_EQ(a.resources.gpus, 2);
  EXPECT_EQ(a.resources.gpu_memory_gb, 3.5);
  EXPECT_EQ(a.resources.priority, 4);
  // The resource keys left the config; every setting it lacks reads at its default.
  EXPECT_EQ(a.config,
            with_trainer_defaults({{"threads", 2}, {"device", "cpu"}, {"d_model", 64}, {"kernels", "auto"}}));
  EXPECT_FALSE(a.config.contains("gpus"));
  auto b = store.value()->cells(2)->front();
  EXPECT_FALSE(b.resources.threads.has_value());  // its sweep did not: --threads decides
  EXPECT_EQ(b.resources, CellResources{});
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
    // The stored view of versions 1 to 4 is gone: wide rows are built per query.
    sqlite::Statement view(connection.handle(), "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_wide'");
    ASSERT_TRUE(view.step());
    EXPECT_EQ(view.integer(0), 0) << "from version " << version;
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
  ASSERT_TRUE(store.value()->create_wide_view({}, "").ok());
  auto wide = store.value()->select("SELECT heads, head_size, \"eval/accuracy\" FROM runs_wide");
  ASSERT_TRUE(wide.ok()) << wide.error().to_string();
  ASSERT_EQ(wide->rows.size(), 1u);
  EXPECT_EQ(wide->rows[0], (std::vector<nlohmann::json>{4, 16, 0.25}));
  auto sweep = store.value()->find_sweep("old");
  EXPECT_EQ(sweep->value().state, SweepState::finished);
}

// Version 9 rebuilds cells and runs (a new state in their CHECK lists):
// every column, every key and every reference survives.
TEST(Store, VersionEightCellsAndRunsSurviveTheRebuildForStoppedEarly) {
  TemporaryFolder folder;
  std::string path = database_at_version(folder, 8);
  {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
    connection.execute(R"sql(
      INSERT INTO sweeps (id, name, spec_text, spec_hash, spec_path, runs_root, created_at, state)
        VALUES (1, 's', 'parameters: {}', 'h', 's.yaml', '/runs', 0, 'finished');
      INSERT INTO cells (id, sweep_id, ordinal, hash, parameters, config, parameter_count, non_embedding_parameters,
                         flops_per_token, estimated_flops, state, head_size, resources, forgiven_failures, worker)
        VALUES (7, 1, 0, 'abc', '{"lr": 0.1}', '{"lr": 0.1}', 0, 0, 0, 0, 'succeeded', NULL, '{"threads": 2}', 1,
                '{"program": "train.py"}');
      INSERT INTO cell_parameters VALUES (7, 'lr', 0.1);
      INSERT INTO runs (id, cell_id, attempt, state, run_dir, pid, host, exit_code, error, end_status, events_offset,
                        slurm_job, rejected_lines, event_problem)
        VALUES (3, 7, 1, 'failed', '/r/1', 11, 'node', 1, 'boom', 'failed', 120, '4711_0', 2, NULL),
               (4, 7, 2, 'succeeded', '/r/2', 12, 'node', 0, NULL, 'ok', 240, '4711_1', 0, NULL);
      INSERT INTO metric_names (id, name) VALUES (1, 'eval/accuracy');
      INSERT INTO metrics VALUES (4, 1, 10, 0.5, 100), (4, 1, 20, 0.75, 101);
      INSERT INTO summaries VALUES (4, 'eval/accuracy', 20, 0.75, 0.5, 0.75);
    )sql");
  }
  auto store = Store::open_for_writing(path);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  auto cell = store.value()->cell(7);
  ASSERT_TRUE(cell.ok());
  EXPECT_EQ(cell->hash, "abc");
  EXPECT_EQ(cell->state, CellState::succeeded);
  EXPECT_EQ(cell->resources.threads, 2);
  EXPECT_EQ(cell->worker, (nlohmann::json{{"program", "train.py"}}));
  auto runs = store.value()->runs_of_cell(7);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs.value()[0].state, RunState::failed);
  EXPECT_EQ(runs.value()[0].error, "boom");
  EXPECT_EQ(runs.value()[1].slurm_job, "4711_1");
  auto histories = store.value()->metric_histories(1, "eval/accuracy");
  ASSERT_TRUE(histories.ok());
  ASSERT_EQ(histories->size(), 1u);
  EXPECT_EQ(histories->front().run_id, 4);
  EXPECT_EQ(histories->front().cell_id, 7);
  EXPECT_EQ(histories->front().values, (std::vector<double>{0.5, 0.75}));
  store.value().reset();
  sqlite::Connection connection(path, sqlite::Connection::Mode::read_write_create);
  sqlite::Statement keys(connection.handle(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(keys.step());
  sqlite::Statement indexes(connection.handle(),
                            "SELECT count(*) FROM sqlite_schema WHERE name IN "
                            "('cells_by_state', 'runs_by_state', 'runs_by_slurm_job')");
  ASSERT_TRUE(indexes.step());
  EXPECT_EQ(indexes.integer(0), 3);
  connection.execute("UPDATE runs SET state = 'stopped early' WHERE id = 4");
  connection.execute("UPDATE cells SET state = 'stopped early' WHERE id = 7");
  // Foreign keys still point at the rebuilt tables.
  connection.execute("PRAGMA foreign_keys = ON");
  EXPECT_THROW(connection.execute("INSERT INTO runs (cell_id, attempt, run_dir) VALUES (99, 1, '/x')"),
               sqlite::SqliteError);
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
