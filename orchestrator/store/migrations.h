#pragma once
// The numbered schema migrations in schema/, embedded at build time, and how
// a database is brought up to date.

#include <stdexcept>
#include <string>
#include <vector>

#include "orchestrator/store/sqlite.h"

namespace headroom {

struct Migration {
  int version;       // NNN of schema/NNN_name.sql; the database's user_version after it
  const char* name;  // file name
  const char* sql;
};

// All migrations in version order (generated file).
const std::vector<Migration>& migrations();

// The version the running binary writes.
int latest_schema_version();

// SQLite's application_id for Headroom files ("HRM1").
inline constexpr int kApplicationId = 0x48524D31;

// Applies each missing migration in its own transaction together with the
// user_version write. Throws SqliteError; refuses (std::runtime_error) a file
// that is another application's or from a newer Headroom, naming both versions.
// Stops at `target` (tests build databases of every earlier version this way).
// Returns the number of migrations applied.
int migrate(sqlite::Connection& connection, const std::string& path, int target = latest_schema_version());

// A file Headroom must not touch: another program's database, or one from a
// newer Headroom. The message names the file and the reason.
class SchemaRefusal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database's schema version; throws SchemaRefusal for foreign or newer files.
int check_schema(sqlite::Connection& connection, const std::string& path);

}  // namespace headroom
