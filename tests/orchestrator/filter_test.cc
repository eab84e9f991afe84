#include "orchestrator/query/filter.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

const std::vector<std::string> kColumns = {"d_model", "heads", "attention", "eval/accuracy", "state"};

Result<CompiledFilter> compile(const std::string& text) {
  auto resolve = [](const std::string& name) -> std::optional<std::string> {
    for (const auto& known : kColumns) {
      if (known == name) return "[" + name + "]";
    }
    return std::nullopt;
  };
  return compile_filter(text, resolve, kColumns);
}

TEST(Filter, CompilesTheIssueExampleToParameterisedSql) {
  auto filter = compile("d_model >= 64 and (heads = 8 or heads = 16) and attention = 'fixed'");
  ASSERT_TRUE(filter.ok()) << filter.error().to_string();
  EXPECT_EQ(filter->sql,
            "(([d_model] >= ?) AND ((([heads] = ?) OR ([heads] = ?))) AND ([attention] = ?))");
  EXPECT_EQ(filter->bindings, (std::vector<nlohmann::json>{64, 8, 16, "fixed"}));
}

TEST(Filter, AnyInputIsSafeDeepNestingAndHugeFiltersAreRefused) {
  auto nested = compile(std::string(4000, '(') + "heads = 1" + std::string(4000, ')'));
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(nested.error().to_string().find("nested more than 100 deep"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 2000; ++i) nots += "not ";
  auto negated = compile(nots + "heads = 1");
  ASSERT_FALSE(negated.ok());
  EXPECT_NE(negated.error().to_string().find("nested more than 100 deep"), std::string::npos);
  auto huge = compile(std::string(20000, '('));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().to_string().find("20000 characters long, more than 10000"), std::string::npos);
  // A long flat chain stays flat: SQLite's expression depth is not the limit.
  std::string chain = "heads = 0";
  for (int i = 1; i < 600; ++i) chain += " or heads = " + std::to_string(i);
  auto flat = compile(chain);
  ASSERT_TRUE(flat.ok()) << flat.error().to_string();
  EXPECT_EQ(flat->bindings.size(), 600u);
  EXPECT_EQ(flat->sql.find("((("), std::string::npos);
  EXPECT_TRUE(compile(std::string(99, '(') + "heads = 1" + std::string(99, ')')).ok());
}

TEST(Filter, CompilesEveryConstruct) {
  struct Case {
    std::string filter, sql;
  };
  const std::vector<Case> cases = {
      {"heads in (1, 4)", "([heads] IN (?, ?))"},
      {"heads NOT IN (1)", "([heads] NOT IN (?))"},
      {"attention like 'fix%'", "([attention] LIKE ?)"},
      {"attention not like \"st%\"", "([attention] NOT LIKE ?)"},
      {"not heads = 1", "(NOT ([heads] = ?))"},
      {"heads between 2 and 8", "([heads] BETWEEN ? AND ?)"},
      {"eval/accuracy is not null", "([eval/accuracy] IS NOT NULL)"},
      {"eval/accuracy is null or heads == 1", "(([eval/accuracy] IS NULL) OR ([heads] = ?))"},
      {"heads <> 1", "([heads] != ?)"},
      {"`heads` > -1.5e-3", "([heads] > ?)"},
      {"heads = true", "([heads] = 1)"},
      {"   ", "1"},
  };
  for (const auto& c : cases) {
    auto filter = compile(c.filter);
    ASSERT_TRUE(filter.ok()) << c.filter << ": " << filter.error().to_string();
    EXPECT_EQ(filter->sql, c.sql) << c.filter;
  }
  auto number = compile("heads > -1.5e-3");
  EXPECT_EQ(number->bindings, (std::vector<nlohmann::json>{-1.5e-3}));
  auto quoted = compile("attention = 'it''s'");
  EXPECT_EQ(quoted->bindings, (std::vector<nlohmann::json>{"it's"}));
}

TEST(Filter, MalformedFiltersPointAtTheColumnWhereTheyWentWrong) {
  struct Case {
    std::string filter;
    int column;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"d_model >= and heads = 1", 12, "expected a value after '>=', found 'and'"},
      {"heads = ", 9, "expected a value after '=', found the end of the filter"},
      {"(heads = 1", 11, "expected ')' to close the '(' at column 1"},
      {"heds = 1", 1, "unknown column 'heds' (did you mean 'heads'?)"},
      {"heads 8", 7, "expected a comparison (=, !=, <, <=, >, >=, in, like, between, is) after 'heads', found '8'"},
      {"attention = 'fixed", 13, "unterminated string: add the closing '"},
      {"heads in 1, 2", 10, "expected '(' after 'in'"},
      {"heads = 1 heads = 2", 11, "expected 'and', 'or' or the end of the filter, found 'heads'"},
      {"heads ! 1", 7, "'!' alone is not an operator"},
      {"heads = 1 & heads = 2", 11, "unexpected character '&'"},
      {"heads not 1", 11, "expected 'in', 'like' or 'between' after 'not'"},
      {"heads is 1", 10, "expected 'null' after 'is'"},
      {"heads in (1 2)", 13, "expected ',' or ')' in the list, found '2'"},
  };
  for (const auto& c : cases) {
    auto filter = compile(c.filter);
    ASSERT_FALSE(filter.ok()) << c.filter;
    std::string text = filter.error().to_string();
    EXPECT_NE(text.find("--where, column " + std::to_string(c.column) + ": " + c.message), std::string::npos)
        << c.filter << "\n" << text;
    // The filter is echoed with a caret under the column.
    EXPECT_NE(text.find("\n  " + c.filter + "\n  " + std::string(size_t(c.column - 1), ' ') + "^"),
              std::string::npos)
        << text;
    EXPECT_EQ(filter.error().kind, ErrorKind::invalid_input);
  }
}

}  // namespace
}  // namespace headroom
