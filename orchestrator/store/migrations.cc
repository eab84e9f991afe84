#include "orchestrator/store/migrations.h"

namespace headroom {
namespace {

int pragma_integer(sqlite::Connection& connection, const std::string& name) {
  sqlite::Statement statement(connection.handle(), "PRAGMA " + name);
  return statement.step() ? int(statement.integer(0)) : 0;
}

}  // namespace

int latest_schema_version() { return migrations().empty() ? 0 : migrations().back().version; }

int check_schema(sqlite::Connection& connection, const std::string& path) {
  int application = pragma_integer(connection, "application_id");
  int version = pragma_integer(connection, "user_version");
  if (application != 0 && application != kApplicationId) {
    throw SchemaRefusal("'" + path + "' is not a Headroom database (application_id " +
                             std::to_string(application) + ")");
  }
  if (application == 0 && version != 0) {
    throw SchemaRefusal("'" + path + "' is not a Headroom database");
  }
  if (application == 0) {
    // A file of ours always has our application_id once it has tables: a
    // file with tables but no id belongs to another program, and adding ours
    // to it would change a file that is not ours.
    sqlite::Statement tables(connection.handle(),
                             "SELECT count(*), min(name) FROM sqlite_master WHERE type = 'table'");
    tables.step();
    if (tables.integer(0) > 0) {
      throw SchemaRefusal("'" + path + "' is not a Headroom database: it holds " +
                               std::to_string(tables.integer(0)) + (tables.integer(0) == 1 ? " table" : " tables") +
                               " of another program (such as '" +
                               tables.text(1) + "'); pass --db with a new or a Headroom file");
    }
  }
  if (version > latest_schema_version()) {
    throw SchemaRefusal("'" + path + "' has schema version " + std::to_string(version) +
                             " but this headroom only knows up to version " +
                             std::to_string(latest_schema_version()) + ": upgrade headroom");
  }
  return version;
}

int migrate(sqlite::Connection& connection, const std::string& path, int target) {
  int version = check_schema(connection, path);
  int applied = 0;
  // A migration may rebuild a table that others reference (SQLite cannot
  // change a CHECK constraint in place): foreign keys are off while it runs,
  // as SQLite's documented rebuild asks, and checked before it commits. (The
  // pragma is a no-op inside a transaction: it is set around them.)
  const bool foreign_keys = pragma_integer(connection, "foreign_keys") != 0;
  connection.execute("PRAGMA foreign_keys = OFF");
  struct RestoreForeignKeys {
    sqlite::Connection& connection;
    bool on;
    ~RestoreForeignKeys() {
      if (on) sqlite3_exec(connection.handle(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
    }
  } restore{connection, foreign_keys};
  for (const auto& migration : migrations()) {
    if (migration.version <= version || migration.version > target) continue;
    ++applied;
    sqlite::Transaction transaction(connection);
    connection.execute(migration.sql);
    sqlite::Statement violations(connection.handle(), "PRAGMA foreign_key_check");
    if (violations.step()) {
      throw SchemaRefusal("'" + path + "': migration " + migration.name + " would leave a row of table '" +
                          violations.text(0) + "' pointing at a missing row of '" + violations.text(2) +
                          "'; the database is unchanged");
    }
    connection.execute("PRAGMA application_id = " + std::to_string(kApplicationId));
    connection.execute("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
  }
  return applied;
}

}  // namespace headroom
