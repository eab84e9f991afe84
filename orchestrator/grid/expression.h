#pragma once
// Arithmetic over a cell's numeric parameters, for derived parameters
// (`head_size: {derive: "d_model / heads"}`) and constraints
// (`d_model % heads == 0`). Backed by muParser: + - * / ^ %, comparisons,
// && ||, the conditional `a ? b : c`, and functions such as min, max, sqrt
// and floor. Not thread-safe (muParser keeps state per expression).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "orchestrator/core/result.h"

namespace headroom {

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
