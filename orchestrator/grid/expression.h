#pragma once
// Arithmetic over a cell's parameters, for derived parameters
// (`head_size: {derive: "d_model / heads"}`) and constraints
// (`d_model % heads == 0`). Backed by muParser: + - * / ^ %, comparisons,
// && ||, the conditional `a ? b : c`, and functions such as min, max, sqrt
// and floor. String parameters compare with quoted strings
// (`attention == 'fixed' ? 32 : d_model / heads`): both sides become
// string_code() numbers. Not thread-safe (muParser keeps state per expression).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace headroom {

// The number a string stands for inside expressions: equal strings give
// equal numbers (a 52-bit FNV-1a hash, exact in a double), different ones
// practically never do. Only == and != make sense on them.
double string_code(const std::string& text);

class Expression {
 public:
  ~Expression();
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

  // Parses `text`; a syntax error is reported at `where` (the column moved to
  // the offending character when `where` points at the start of the text).
  static Result<Expression> compile(const std::string& text, const Location& where);

  // The parameter names the expression reads, sorted.
  const std::vector<std::string>& variables() const { return variables_; }
  const std::string& text() const { return text_; }

  // Evaluates with the given values; every name in variables() must be
  // present. A non-finite result (division by zero) is an error.
  Result<double> evaluate(const std::map<std::string, double>& values) const;

 private:
  Expression() = default;

 public:
  struct State;  // muParser and its variable slots (expression.cc)

 private:
  std::unique_ptr<State> state_;
  std::string text_;
  Location where_;
  std::vector<std::string> variables_;
};

}  // namespace headroom
