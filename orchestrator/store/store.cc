#include "orchestrator/store/store.h"

#include <chrono>
#include <filesystem>

#include "common/number_format.h"

#include "orchestrator/store/migrations.h"
#include "orchestrator/store/rows.h"

namespace headroom {

using sqlite::Statement;
using store_rows::guarded;

Store::Store(std::unique_ptr<sqlite::Connection> connection, std::string path)
    : connection_(std::move(connection)), path_(std::move(path)) {}

Store::~Store() = default;

sqlite::Statement& Store::prepared(const std::string& sql) {
  auto& statement = statements_[sql];
  if (!statement) statement = std::make_unique<Statement>(connection_->handle(), sql);
  statement->reset();
  return *statement;
}

Result<std::unique_ptr<Store>> Store::open_for_writing(const std::string& path) {
  return guarded("database '" + path + "'", [&]() -> Result<std::unique_ptr<Store>> {
    auto connection =
        std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::read_write_create);
    // Refuse another program's file (or a newer Headroom's) before anything
    // here writes to it: switching to WAL rewrites the file's header.
    check_schema(*connection, path);
    connection->execute("PRAGMA journal_mode = WAL");
    // NORMAL in WAL mode loses no committed transaction on a process crash,
    // only possibly the last ones on power loss.
    connection->execute("PRAGMA synchronous = NORMAL");
    connection->execute("PRAGMA foreign_keys = ON");
    // 64 MB of page cache: ingestion touches the right edge of large B-trees.
    connection->execute("PRAGMA cache_size = -65536");
    migrate(*connection, path);
    return std::unique_ptr<Store>(new Store(std::move(connection), path));
  });
}

Result<std::unique_ptr<Store>> Store::open_read_only(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Error::invalid("no database at '" + path + "': run a sweep first, or pass --db");
  }
  return guarded("database '" + path + "'", [&]() -> Result<std::unique_ptr<Store>> {
    auto connection = std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::read_only);
    // A second guard beside the read-only open: no statement may write.
    connection->execute("PRAGMA query_only = ON");
    int version = check_schema(*connection, path);
    if (version < latest_schema_version()) {
      return Error::invalid("database '" + path + "' has schema version " + std::to_string(version) +
                            ", this headroom reads version " +
                            std::to_string(latest_schema_version()) + ": run 'headroom db migrate'");
    }
    return std::unique_ptr<Store>(new Store(std::move(connection), path));
  });
}

namespace {

int deny_attach(void*, int action, const char*, const char*, const char*, const char*) {
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

}  // namespace

Result<Table> Store::select(const std::string& sql, const std::vector<nlohmann::json>& bindings,
                            const QueryLimits& limits) {
  return guarded("query", [&]() -> Result<Table> {
    const char* rest = nullptr;
    sqlite3_stmt* raw = nullptr;
    // ATTACH counts as read-only for SQLite, yet it can create a file: refuse it.
    sqlite3_set_authorizer(connection_->handle(), deny_attach, nullptr);
    int code = sqlite3_prepare_v2(connection_->handle(), sql.c_str(), int(sql.size()), &raw, &rest);
    sqlite3_set_authorizer(connection_->handle(), nullptr, nullptr);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    if (code != SQLITE_OK) return Error::invalid(std::string("SQL error: ") + sqlite3_errmsg(connection_->handle()));
    if (!statement) return Error::invalid("the query is empty");
    sqlite3_stmt* next = nullptr;  // stays null when only spaces and comments follow
    int next_code = sqlite3_prepare_v2(connection_->handle(), rest, -1, &next, nullptr);
    if (next || next_code != SQLITE_OK) {
      sqlite3_finalize(next);
      return Error::invalid("only one statement at a time: remove the text after the first ';'");
    }
    if (!sqlite3_stmt_readonly(statement.get())) {
      return Error::invalid("the query would change the database; headroom query is read-only");
    }
    statement.reset();
    Statement query(connection_->handle(), sql);
    for (size_t i = 0; i < bindings.size(); ++i) query.bind_json(int(i + 1), bindings[i]);
    Table table;
    for (int column = 0; column < query.column_count(); ++column) {
      table.columns.push_back(query.column_name(column));
    }
    // SQLite calls this every few thousand instructions; non-zero interrupts the statement.
    using Clock = std::chrono::steady_clock;
    struct Deadline {
      Clock::time_point at;
    } deadline{Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.seconds))};
    if (limits.seconds > 0) {
      sqlite3_progress_handler(
          connection_->handle(), 10000,
          [](void* data) { return Clock::now() > static_cast<Deadline*>(data)->at ? 1 : 0; }, &deadline);
    }
    struct ClearHandler {
      sqlite3* db;
      ~ClearHandler() { sqlite3_progress_handler(db, 0, nullptr, nullptr); }
    } clear{connection_->handle()};
    try {
      while (query.step()) {
        if (limits.rows > 0 && int64_t(table.rows.size()) >= limits.rows) {
          return Error::invalid("the query returned more than " + std::to_string(limits.rows) +
                                " rows: add a LIMIT, or raise --max-rows");
        }
        std::vector<nlohmann::json> row;
        for (int column = 0; column < query.column_count(); ++column) row.push_back(query.json_value(column));
        table.rows.push_back(std::move(row));
      }
    } catch (const sqlite::SqliteError& error) {
      if (error.code != SQLITE_INTERRUPT) throw;
      return Error::invalid("the query ran longer than " + shortest(limits.seconds) +
                            " s and was stopped: narrow it, or raise --timeout");
    }
    return table;
  });
}

Result<int> Store::schema_version() {
  return guarded("reading the schema version", [&]() -> Result<int> {
    Statement query(connection_->handle(), "PRAGMA user_version");
    query.step();
    return int(query.integer(0));
  });
}

}  // namespace headroom
