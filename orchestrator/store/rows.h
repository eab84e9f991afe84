#pragma once
// Internal to the store's implementation files: turning SQLite's exceptions
// into Error values, and reading the rows of sweeps, cells and runs.

#include <chrono>
#include <string>

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/store.h"

namespace headroom::store_rows {

inline double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// Runs `body`, turning SQLite and other exceptions into Error values.
template <typename Body>
auto guarded(const std::string& what, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const SchemaRefusal& error) {
    return Error::invalid(error.what());
  } catch (const sqlite::SqliteError& error) {
    if (error.code == SQLITE_BUSY || error.code == SQLITE_LOCKED) {
      return Error::busy(what + ": the database is busy: " + error.what());
    }
    if (error.code == SQLITE_CORRUPT || error.code == SQLITE_NOTADB) {
      return Error::corrupt(what + ": " + error.what());
    }
    return Error::io(what + ": " + error.what());
  } catch (const std::exception& error) {
    return Error::io(what + ": " + error.what());
  }
}

// Resets a cached statement when the scope that used it ends, so no
// statement keeps a read transaction open between calls.
struct ResetOnExit {
  sqlite::Statement& statement;
  ~ResetOnExit() { statement.reset(); }
};

// Column lists and the readers of rows selected with them.
extern const char* const kSweepColumns;
extern const char* const kCellColumns;
extern const char* const kRunColumns;
SweepRecord read_sweep(const sqlite::Statement& row);
CellRecord read_cell(const sqlite::Statement& row);
RunRecord read_run(const sqlite::Statement& row);

// A stored state string as its enum; a corrupt-database error (thrown as
// std::runtime_error, turned into an Error by guarded) for anything else.
CellState cell_state(const std::string& text);
RunState run_state(const std::string& text);
SweepState sweep_state(const std::string& text);

}  // namespace headroom::store_rows
