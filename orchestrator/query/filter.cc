#include "orchestrator/query/filter.h"

#include <algorithm>
#include <cctype>

#include "common/spelling.h"

namespace headroom {
namespace {

enum class TokenKind { column, number, string, keyword, op, open, close, comma, end };

struct Token {
  TokenKind kind;
  std::string text;   // as written; keywords lower-cased
  size_t column;      // 0-based offset into the filter
  nlohmann::json value;  // numbers and strings
};

const std::vector<std::string> kKeywords = {"and", "or",   "not",  "in",    "like",
                                            "is",  "null", "true", "false", "between"};

class FilterError {
 public:
  FilterError(size_t column, std::string message) : column(column), message(std::move(message)) {}
  size_t column;
  std::string message;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/';
}
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::vector<Token> tokenize(const std::string& text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (is_name_start(c)) {
      while (i < text.size() && is_name_char(text[i])) ++i;
      std::string word = text.substr(start, i - start);
      std::string lower = word;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (std::find(kKeywords.begin(), kKeywords.end(), lower) != kKeywords.end()) {
        tokens.push_back({TokenKind::keyword, lower, start, {}});
      } else {
        tokens.push_back({TokenKind::column, word, start, {}});
      }
    } else if (c == '`') {
      size_t close = text.find('`', i + 1);
      if (close == std::string::npos) throw FilterError(start, "unterminated `column name`");
      tokens.push_back({TokenKind::column, text.substr(i + 1, close - i - 1), start, {}});
      i = close + 1;
    } else if (c == '\'' || c == '"') {
      std::string value;
      ++i;
      while (true) {
        if (i >= text.size()) throw FilterError(start, std::string("unterminated string: add the closing ") + c);
        if (text[i] == c) {
          if (i + 1 < text.size() && text[i + 1] == c) {  // doubled quote
            value += c;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value += text[i++];
      }
      tokens.push_back({TokenKind::string, text.substr(start, i - start), start, value});
    } else if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && i + 1 < text.size() &&
                               (is_digit(text[i + 1]) || text[i + 1] == '.'))) {
      ++i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                                 ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
        ++i;
      }
      std::string literal = text.substr(start, i - start);
      auto value = nlohmann::json::parse(literal[0] == '+' ? literal.substr(1) : literal, nullptr, false);
      if (value.is_discarded() || !value.is_number()) {
        // JSON refuses "1." and ".5"; strtod accepts them and nothing odd.
        char* end = nullptr;
        double number = std::strtod(literal.c_str(), &end);
        if (end != literal.c_str() + literal.size()) throw FilterError(start, "'" + literal + "' is not a number");
        value = number;
      }
      tokens.push_back({TokenKind::number, literal, start, value});
    } else if (c == '(' || c == ')' || c == ',') {
      tokens.push_back({c == '(' ? TokenKind::open : c == ')' ? TokenKind::close : TokenKind::comma,
                        std::string(1, c), start, {}});
      ++i;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      if (i + 1 < text.size() && (text[i + 1] == '=' || (c == '<' && text[i + 1] == '>'))) op += text[i + 1];
      if (op == "!") throw FilterError(start, "'!' alone is not an operator: use != or not");
      tokens.push_back({TokenKind::op, op, start, {}});
      i += op.size();
    } else {
      throw FilterError(start, std::string("unexpected character '") + c + "'");
    }
  }
  tokens.push_back({TokenKind::end, "", text.size(), {}});
  return tokens;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ColumnResolver& resolve, const std::vector<std::string>& known)
      : tokens_(std::move(tokens)), resolve_(resolve), known_(known) {}

  CompiledFilter parse() {
    std::string sql = parse_or();
    if (peek().kind != TokenKind::end) {
      throw FilterError(peek().column, "expected 'and', 'or' or the end of the filter, found '" + peek().text + "'");
    }
    return {sql, std::move(bindings_)};
  }

 private:
  const Token& peek() const { return tokens_[position_]; }
  const Token& next() { return tokens_[position_++]; }
  bool accept_keyword(const std::string& word) {
    if (peek().kind == TokenKind::keyword && peek().text == word) {
      ++position_;
      return true;
    }
    return false;
  }
  static std::string describe(const Token& token) {
    return token.kind == TokenKind::end ? "the end of the filter" : "'" + token.text + "'";
  }

  // A chain of terms is one flat SQL list, "(a OR b OR c)": nesting each
  // term would build an expression tree as deep as the chain is long.
  std::string parse_or() {
    std::string sql = parse_and();
    bool chained = false;
    while (accept_keyword("or")) {
      sql += " OR " + parse_and();
      chained = true;
    }
    return chained ? "(" + sql + ")" : sql;
  }

  std::string parse_and() {
    std::string sql = parse_unary();
    bool chained = false;
    while (accept_keyword("and")) {
      sql += " AND " + parse_unary();
      chained = true;
    }
    return chained ? "(" + sql + ")" : sql;
  }

  // Parentheses and `not` nest by recursion: a limit keeps any input from
  // exhausting the stack.
  struct Nesting {
    Parser& parser;
    explicit Nesting(Parser& p, size_t column) : parser(p) {
      if (++parser.depth_ > kMaxFilterDepth) {
        throw FilterError(column, "nested more than " + std::to_string(kMaxFilterDepth) +
                                      " deep (parentheses and 'not'): simplify the filter");
      }
    }
    ~Nesting() { --parser.depth_; }
  };

  std::string parse_unary() {
    Nesting nesting(*this, peek().column);
    if (accept_keyword("not")) return "(NOT " + parse_unary() + ")";
    if (peek().kind == TokenKind::open) {
      const Token open = next();
      std::string inner = parse_or();
      if (peek().kind != TokenKind::close) {
        throw FilterError(peek().column, "expected ')' to close the '(' at column " +
                                             std::to_string(open.column + 1) + ", found " + describe(peek()));
      }
      ++position_;
      return "(" + inner + ")";
    }
    return parse_test();
  }

  std::string parse_test() {
    const Token& subject_token = peek();
    std::string subject = parse_value("a column or a value");
    if (peek().kind == TokenKind::op) {
      std::string op = next().text;
      if (op == "==") op = "=";
      if (op == "<>") op = "!=";
      return "(" + subject + " " + op + " " + parse_value("a value after '" + op + "'") + ")";
    }
    if (accept_keyword("is")) {
      bool negated = accept_keyword("not");
      if (!accept_keyword("null")) throw FilterError(peek().column, "expected 'null' after 'is'");
      return "(" + subject + (negated ? " IS NOT NULL)" : " IS NULL)");
    }
    bool negated = accept_keyword("not");
    const std::string prefix = negated ? " NOT " : " ";
    if (accept_keyword("in")) {
      if (peek().kind != TokenKind::open) throw FilterError(peek().column, "expected '(' after 'in'");
      ++position_;
      std::string list;
      do {
        list += (list.empty() ? "" : ", ") + parse_value("a value in the list");
      } while (peek().kind == TokenKind::comma && (++position_, true));
      if (peek().kind != TokenKind::close) {
        throw FilterError(peek().column, "expected ',' or ')' in the list, found " + describe(peek()));
      }
      ++position_;
      return "(" + subject + prefix + "IN (" + list + "))";
    }
    if (accept_keyword("like")) return "(" + subject + prefix + "LIKE " + parse_value("a pattern after 'like'") + ")";
    if (accept_keyword("between")) {
      std::string low = parse_value("a value after 'between'");
      if (!accept_keyword("and")) throw FilterError(peek().column, "expected 'and' in 'between ... and ...'");
      return "(" + subject + prefix + "BETWEEN " + low + " AND " + parse_value("a value after 'and'") + ")";
    }
    if (negated) throw FilterError(peek().column, "expected 'in', 'like' or 'between' after 'not'");
    throw FilterError(peek().column, "expected a comparison (=, !=, <, <=, >, >=, in, like, between, is) after " +
                                         describe(subject_token) + ", found " + describe(peek()));
  }

  std::string parse_value(const std::string& expected) {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::column: {
        ++position_;
        auto sql = resolve_(token.text);
        if (!sql) {
          throw FilterError(token.column, "unknown column '" + token.text + "'" + did_you_mean(token.text, known_) +
                                              "; 'headroom runs --columns help' lists them");
        }
        return *sql;
      }
      case TokenKind::number:
      case TokenKind::string:
        ++position_;
        bindings_.push_back(token.value);
        return "?";
      case TokenKind::keyword:
        if (token.text == "true" || token.text == "false") {
          ++position_;
          return token.text == "true" ? "1" : "0";
        }
        if (token.text == "null") {
          ++position_;
          return "NULL";
        }
        [[fallthrough]];
      default:
        throw FilterError(token.column, "expected " + expected + ", found " + describe(token));
    }
  }

  std::vector<Token> tokens_;
  size_t position_ = 0;
  size_t depth_ = 0;
  const ColumnResolver& resolve_;
  const std::vector<std::string>& known_;
  std::vector<nlohmann::json> bindings_;
};

}  // namespace

Result<CompiledFilter> compile_filter(const std::string& filter, const ColumnResolver& resolve,
                                      const std::vector<std::string>& known_columns) {
  if (filter.find_first_not_of(" \t\r\n") == std::string::npos) return CompiledFilter{"1", {}};
  if (filter.size() > kMaxFilterLength) {
    return Error::invalid("--where: the filter is " + std::to_string(filter.size()) + " characters long, more than " +
                          std::to_string(kMaxFilterLength) + ": shorten it, or use 'headroom query' for SQL");
  }
  try {
    return Parser(tokenize(filter), resolve, known_columns).parse();
  } catch (const FilterError& error) {
    std::string caret(error.column, ' ');
    for (size_t i = 0; i < error.column && i < filter.size(); ++i) {
      if (filter[i] == '\t') caret[i] = '\t';
    }
    return Error::invalid("--where, column " + std::to_string(error.column + 1) + ": " + error.message +
                          "\n  " + filter + "\n  " + caret + "^");
  }
}

}  // namespace headroom
