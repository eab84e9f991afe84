#include "orchestrator/grid/expression.h"

#include <muParser.h>

#include <cmath>
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

}  // namespace

Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

Result<Expression> Expression::compile(const std::string& text, const Location& where) {
  Expression expression;
  expression.text_ = text;
  expression.where_ = where;
  expression.state_ = std::make_unique<State>();
  try {
    auto& parser = expression.state_->parser;
    parser.DefineOprt("%", remainder_operator, mu::prMUL_DIV, mu::oaLEFT);
    parser.SetVarFactory(create_variable, expression.state_.get());
    parser.SetExpr(text);
    for (const auto& [name, pointer] : parser.GetUsedVar()) expression.variables_.push_back(name);
    // Give every used name a slot now, whether or not parsing already did.
    for (const auto& name : expression.variables_) {
      if (!expression.state_->slots.count(name)) {
        parser.DefineVar(name, create_variable(name.c_str(), expression.state_.get()));
      }
    }
  } catch (const mu::Parser::exception_type& error) {
    Location at = where;
    if (at.column > 0 && error.GetPos() >= 0) at.column += error.GetPos();
    return Error::invalid("cannot read expression \"" + text + "\": " + error.GetMsg(), at);
  }
  return expression;
}

Result<double> Expression::evaluate(const std::map<std::string, double>& values) const {
  for (const auto& [name, slot] : state_->slots) {
    auto found = values.find(name);
    if (found == values.end()) {
      return Error::invalid("expression \"" + text_ + "\" uses '" + name +
                                "', which is not a numeric parameter of this cell",
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
