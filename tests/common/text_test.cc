// Text made safe for a terminal, and tables that show it (common/text_file.h, common/table.h).
#include <gtest/gtest.h>

#include "common/table.h"
#include "common/text_file.h"

namespace headroom {
namespace {

TEST(Printable, EscapesControlBytesButKeepsLinesAndTabs) {
  EXPECT_EQ(printable("ok\tline\nnext"), "ok\tline\nnext");
  EXPECT_EQ(printable(std::string("a\x1b[2Jb\x07\x7f", 8)), "a\\x1b[2Jb\\x07\\x7f");
  EXPECT_EQ(printable(std::string("nul\0byte", 8)), "nul\\x00byte");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 is text, not control
  EXPECT_EQ(printable("caf\xe9 \xff"), "caf\\xe9 \\xff");  // bytes that are not UTF-8 are escaped
}

TEST(Printable, TablesForTheTerminalEscapeButMachineFormatsKeepTheBytes) {
  Table table{{"error"}, {{std::string("boom\x1b[31m")}}};
  EXPECT_NE(format_table(table, "table")->find("boom\\x1b[31m"), std::string::npos);
  EXPECT_NE(format_table(table, "csv")->find("boom\x1b[31m"), std::string::npos);
}

// Four significant digits for a metric, every whole digit of a large number
// (a Unix time read back as 1.796e+09 told nothing).
TEST(Tables, ShowLargeNumbersWholeAndSmallOnesToFourDigits) {
  Table table{{"started_at", "accuracy", "tiny", "huge"}, {{1796148576.0653877, 0.61234, 1.23456e-5, 3e20}}};
  const std::string text = format_table(table, "table").value();
  EXPECT_NE(text.find("1796148576 "), std::string::npos) << text;
  EXPECT_NE(text.find("0.6123"), std::string::npos) << text;
  EXPECT_NE(text.find("1.235e-05"), std::string::npos) << text;
  EXPECT_NE(text.find("3e+20"), std::string::npos) << text;
  EXPECT_NE(format_table(table, "csv")->find("1796148576.0653877"), std::string::npos) << "machine formats keep every digit";
}

TEST(Utf8, FindsTheFirstByteThatIsNotUtf8) {
  EXPECT_EQ(first_invalid_utf8("plain ASCII"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac \xf0\x9f\x98\x80"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(first_invalid_utf8("ab\xc3"), 2u);              // cut short
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);            // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);       // a surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);    // past U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xe2\x28\xa1"), 0u);        // a bad continuation
}

TEST(Utf8, JsonOfTextThatIsNotUtf8ReplacesTheBadBytesInsteadOfThrowing) {
  Table table{{"error"}, {{std::string("killed\xff\xfe by OOM")}}};
  auto json = format_table(table, "json");
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("killed\xef\xbf\xbd\xef\xbf\xbd by OOM"), std::string::npos) << json.value();
  EXPECT_EQ(json_text(nlohmann::json("a\xc3")), "\"a\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace headroom
