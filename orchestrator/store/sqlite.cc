#include "orchestrator/store/sqlite.h"

namespace headroom::sqlite {

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  check(sqlite3_prepare_v2(db_, sql.c_str(), int(sql.size()), &statement_, nullptr));
}

Statement::~Statement() { sqlite3_finalize(statement_); }

void Statement::check(int code) {
  if (code != SQLITE_OK) throw SqliteError(code, sqlite3_errmsg(db_));
}

Statement& Statement::bind(int index, int64_t value) {
  check(sqlite3_bind_int64(statement_, index, value));
  return *this;
}
Statement& Statement::bind(int index, double value) {
  check(sqlite3_bind_double(statement_, index, value));
  return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
  check(sqlite3_bind_text(statement_, index, value.data(), int(value.size()), SQLITE_TRANSIENT));
  return *this;
}
Statement& Statement::bind(int index, std::nullptr_t) {
  check(sqlite3_bind_null(statement_, index));
  return *this;
}
Statement& Statement::bind_json(int index, const nlohmann::json& value) {
  if (value.is_number_integer()) return bind(index, value.get<int64_t>());
  if (value.is_number()) return bind(index, value.get<double>());
  if (value.is_boolean()) return bind(index, int64_t(value.get<bool>()));
  if (value.is_string()) return bind(index, value.get<std::string>());
  if (value.is_null()) return bind(index, nullptr);
  return bind(index, value.dump());
}

bool Statement::step() {
  int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  throw SqliteError(code, sqlite3_errmsg(db_));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}
int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_, column); }
double Statement::real(int column) const { return sqlite3_column_double(statement_, column); }
std::string Statement::text(int column) const {
  auto* bytes = sqlite3_column_text(statement_, column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes),
                             size_t(sqlite3_column_bytes(statement_, column)))
               : std::string();
}
std::optional<int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}
std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}
nlohmann::json Statement::json_value(int column) const {
  switch (sqlite3_column_type(statement_, column)) {
    case SQLITE_INTEGER: return integer(column);
    case SQLITE_FLOAT: return real(column);
    case SQLITE_NULL: return nullptr;
    default: return text(column);
  }
}
int Statement::column_count() const { return sqlite3_column_count(statement_); }
std::string Statement::column_name(int column) const {
  return sqlite3_column_name(statement_, column);
}

Connection::Connection(const std::string& path, Mode mode) {
  int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int code = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(code, "cannot open database '" + path + "': " + message);
  }
  // Readers wait for a checkpoint instead of failing with "database is locked".
  sqlite3_busy_timeout(db_, 10000);
}

Connection::~Connection() { sqlite3_close(db_); }

void Connection::execute(const std::string& sql) {
  char* message = nullptr;
  int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (code != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(code);
    sqlite3_free(message);
    throw SqliteError(code, text);
  }
}

int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.execute("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (open_) {
    try {
      connection_.execute("ROLLBACK");
    } catch (const SqliteError&) {
      // The transaction may already be gone (SQLite rolls back on some errors).
    }
  }
}

void Transaction::commit() {
  connection_.execute("COMMIT");
  open_ = false;
}

}  // namespace headroom::sqlite
