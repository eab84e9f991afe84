#include "orchestrator/grid/expression.h"

#include <muParser.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>

namespace headroom {

struct Expression::State {
  mu::Parser parser;
  std::deque<double> storage;  // stable addresses for muParser's variable pointers
  std::map<std::string, double*> slots;
};

namespace {

double remainder_operator(double a, double b) { return std::fmod(a, b); }

// muParser asks for storage for each unknown identifier while parsing.
double* create_variable(const char* name, void* user_data) {
  auto* state = static_cast<Expression::State*>(user_data);
  state->storage.push_back(0.0);
  state->slots[name] = &state->storage.back();
  return &state->storage.back();
}

// The text muParser parses: quoted strings replaced by their string_code,
// and for each of its characters the column it came from.
struct Rewritten {
  std::string text;
  std::vector<int> origin;
};

Result<Rewritten> replace_string_literals(const std::string& text, const Location& where) {
  Rewritten out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char quote = text[i];
    if (quote != '\'' && quote != '"') {
      out.text += quote;
      out.origin.push_back(int(i));
      continue;
    }
    const size_t end = text.find(quote, i + 1);
    if (end == std::string::npos) {
      Location at = where;
      if (at.column > 0) at.column += int(i);
      return Error::invalid("cannot read expression \"" + text + "\": the string starting here is not closed", at);
    }
    char number[32];
    std::snprintf(number, sizeof(number), "%.0f", string_code(text.substr(i + 1, end - i - 1)));
    for (const char* c = number; *c; ++c) {
      out.text += *c;
      out.origin.push_back(int(i));
    }
    i = end;
  }
  out.origin.push_back(int(text.size()));
  return out;
}

}  // namespace

double string_code(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return double(hash >> 12);  // 52 bits: every value is an exact double
}

Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

Result<Expression> Expression::compile(const std::string& text, const Location& where) {
  Expression expression;
  expression.text_ = text;
  expression.where_ = where;
  expression.state_ = std::make_unique<State>();
  HEADROOM_ASSIGN_OR_RETURN(Rewritten rewritten, replace_string_literals(text, where));
  try {
    auto& parser = expression.state_->parser;
    parser.DefineOprt("%", remainder_operator, mu::prMUL_DIV, mu::oaLEFT);
    parser.SetVarFactory(create_variable, expression.state_.get());
    parser.SetExpr(rewritten.text);
    for (const auto& [name, pointer] : parser.GetUsedVar()) expression.variables_.push_back(name);
    // Give every used name a slot now, whether or not parsing already did.
    for (const auto& name : expression.variables_) {
      if (!expression.state_->slots.count(name)) {
        parser.DefineVar(name, create_variable(name.c_str(), expression.state_.get()));
      }
    }
  } catch (const mu::Parser::exception_type& error) {
    Location at = where;
    if (at.column > 0 && error.GetPos() >= 0) {
      at.column += rewritten.origin[std::min(size_t(error.GetPos()), rewritten.origin.size() - 1)];
    }
    return Error::invalid("cannot read expression \"" + text + "\": " + error.GetMsg(), at);
  }
  return expression;
}

Result<double> Expression::evaluate(const std::map<std::string, double>& values) const {
  for (const auto& [name, slot] : state_->slots) {
    auto found = values.find(name);
    if (found == values.end()) {
      return Error::invalid("expression \"" + text_ + "\" uses '" + name +
                                "', which is not a parameter or trainer setting of this cell",
                            where_);
    }
    *slot = found->second;
  }
  try {
    double result = state_->parser.Eval();
    if (!std::isfinite(result)) {
      return Error::invalid("expression \"" + text_ + "\" is not finite here (division by zero?)", where_);
    }
    return result;
  } catch (const mu::Parser::exception_type& error) {
    return Error::invalid("cannot evaluate \"" + text_ + "\": " + error.GetMsg(), where_);
  }
}

}  // namespace headroom
