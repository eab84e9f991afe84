#pragma once
// Errors as values, shared by every orchestrator part. Expected failures (bad
// YAML, a missing file, a query error) travel as Error inside Result<T>;
// exceptions stay inside a module and never cross the CLI boundary.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace headroom {

// The kinds callers act on; each maps to an exit status (exit_status()).
enum class ErrorKind {
  invalid_input,  // the user's file, flag or query is wrong: exit 2, nothing written
  io,             // a file or process could not be read, written or started
  corrupt,        // stored state is inconsistent (database, events)
  busy,           // another orchestrator holds the sweep
  internal,       // a bug
};

// Where in a user's file a problem is; line and column are 1-based, 0 = unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

struct Diagnostic {
  Location where;
  std::string message;
  // "file:line:column: message", dropping the parts that are unknown.
  std::string to_string() const;
};

// One failure, possibly with several diagnostics (a sweep file reports all
// its problems at once).
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::vector<Diagnostic> diagnostics;

  static Error invalid(std::string message, Location where = {});
  static Error invalid(std::vector<Diagnostic> diagnostics);
  static Error io(std::string message);
  static Error corrupt(std::string message);
  static Error busy(std::string message);
  static Error internal(std::string message);

  // One diagnostic per line.
  std::string to_string() const;
};

// 0 ok, 1 runtime failure, 2 bad input.
int exit_status(ErrorKind kind);

// A value or an Error. Holds exactly one; check with ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

// Success without a value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace headroom

// Evaluates a Result expression; on error returns it from the enclosing
// function, otherwise moves its value into `lhs` (a declaration or lvalue).
#define HEADROOM_CONCAT_INNER(a, b) a##b
#define HEADROOM_CONCAT(a, b) HEADROOM_CONCAT_INNER(a, b)
#define HEADROOM_ASSIGN_OR_RETURN(lhs, expression) \
  HEADROOM_ASSIGN_OR_RETURN_IMPL(HEADROOM_CONCAT(headroom_result_, __LINE__), lhs, expression)
#define HEADROOM_ASSIGN_OR_RETURN_IMPL(result, lhs, expression) \
  auto result = (expression);                                   \
  if (!result.ok()) return std::move(result).error();           \
  lhs = std::move(result).value()

// Evaluates a Status expression and returns its error, if any.
#define HEADROOM_RETURN_IF_ERROR(expression)                          \
  do {                                                                \
    auto headroom_status = (expression);                              \
    if (!headroom_status.ok()) return std::move(headroom_status).error(); \
  } while (false)
