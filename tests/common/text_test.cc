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
}

TEST(Printable, TablesForTheTerminalEscapeButMachineFormatsKeepTheBytes) {
  Table table{{"error"}, {{std::string("boom\x1b[31m")}}};
  EXPECT_NE(format_table(table, "table")->find("boom\\x1b[31m"), std::string::npos);
  EXPECT_NE(format_table(table, "csv")->find("boom\x1b[31m"), std::string::npos);
}

}  // namespace
}  // namespace headroom
