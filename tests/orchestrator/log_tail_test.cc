#include "orchestrator/serve/log_tail.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::TemporaryFolder;

std::string lines(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

TEST(LogTail, KeepsTheLastLinesOfAFile) {
  TemporaryFolder folder;
  const fs::path file = folder.write("stdout.log", lines(1, 10));
  auto tail = read_log_tail(file, 3, 1 << 20);
  ASSERT_TRUE(tail.ok()) << tail.error().to_string();
  EXPECT_TRUE(tail->exists);
  EXPECT_EQ(tail->text, lines(8, 10));
  EXPECT_TRUE(tail->truncated);
  EXPECT_EQ(tail->bytes, lines(1, 10).size());

  auto whole = read_log_tail(file, 100, 1 << 20);
  EXPECT_EQ(whole->text, lines(1, 10));
  EXPECT_FALSE(whole->truncated);
  EXPECT_EQ(read_log_tail(file, 0, 1 << 20)->text, "");
}

TEST(LogTail, ALastLineWithoutNewlineCounts) {
  TemporaryFolder folder;
  const fs::path file = folder.write("stderr.log", "a\nb\nhalf");
  EXPECT_EQ(read_log_tail(file, 2, 1 << 20)->text, "b\nhalf");
}

TEST(LogTail, ReadsOnlyTheEndOfAHugeFileAndDropsTheCutLine) {
  TemporaryFolder folder;
  const fs::path file = folder.write("stdout.log", lines(1, 1000));
  // "line 1000\n" is 10 bytes; 15 bytes start inside "line 999\n".
  auto tail = read_log_tail(file, 50, 15);
  EXPECT_EQ(tail->text, "line 1000\n");
  EXPECT_TRUE(tail->truncated);
}

TEST(LogTail, AMissingFileIsNoOutputYet) {
  TemporaryFolder folder;
  auto tail = read_log_tail(folder.path() / "stdout.log", 10, 1 << 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_FALSE(tail->exists);
  EXPECT_EQ(tail->text, "");
}

// A worker could leave a link in its log's place pointing at any file the
// server may read: it is refused, not followed. So is a FIFO, which would
// block the server forever.
TEST(LogTail, ALinkOrAFifoIsNotRead) {
  TemporaryFolder folder;
  const fs::path secret = folder.write("secret.txt", "do not show\n");
  fs::create_symlink(secret, folder.path() / "stdout.log");
  auto linked = read_log_tail(folder.path() / "stdout.log", 10, 1 << 20);
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().kind, ErrorKind::io);
  ASSERT_EQ(::mkfifo((folder.path() / "stderr.log").c_str(), 0600), 0);
  auto fifo = read_log_tail(folder.path() / "stderr.log", 10, 1 << 20);
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(fifo.error().to_string().find("not a regular file"), std::string::npos)
      << fifo.error().to_string();
}

}  // namespace
}  // namespace headroom
