#pragma once
// The `--where` filter language of `headroom runs` and `export`, compiled to
// parameterised SQL (values are never spliced into the SQL text).
//
//   filter  := or
//   or      := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | "(" filter ")" | test
//   test    := value ( op value
//                    | ["not"] "in" "(" value ("," value)* ")"
//                    | ["not"] "like" value
//                    | ["not"] "between" value "and" value
//                    | "is" ["not"] "null" )
//   op      := = | == | != | <> | < | <= | > | >=
//   value   := column | number | 'string' | "true" | "false" | "null"
//   column  := [A-Za-z_][A-Za-z0-9_./]* (so eval/accuracy is one name), or
//              `anything` in backquotes
//
// Keywords are case-insensitive. A malformed filter gets an error naming the
// 1-based column where it went wrong, with the filter and a caret under it.
// Any input is safe: a filter longer than kMaxFilterLength characters, or
// nested (parentheses, `not`) deeper than kMaxFilterDepth, is refused.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace headroom {

inline constexpr size_t kMaxFilterLength = 10000;
inline constexpr size_t kMaxFilterDepth = 100;

struct CompiledFilter {
  std::string sql;                          // a boolean SQL expression with ? placeholders
  std::vector<nlohmann::json> bindings;     // one per placeholder, in order
};

// Turns a column name into its SQL expression; nullopt for an unknown name.
using ColumnResolver = std::function<std::optional<std::string>(const std::string& name)>;

// `known_columns` feeds "did you mean" for unknown names. An empty filter
// compiles to "1".
Result<CompiledFilter> compile_filter(const std::string& filter, const ColumnResolver& resolve,
                                      const std::vector<std::string>& known_columns);

}  // namespace headroom
