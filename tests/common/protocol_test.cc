// The worker protocol's one home (common/protocol.h) against its contract in docs/events.md.
#include "common/protocol.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace headroom::protocol {
namespace {

TEST(Protocol, EveryEndStatusHasItsExitStatusAndBack) {
  for (EndStatus status : {EndStatus::ok, EndStatus::failed, EndStatus::invalid_config, EndStatus::diverged,
                           EndStatus::preempted}) {
    EXPECT_EQ(parse_end_status(to_string(status)), status);
    EXPECT_EQ(end_status_of_exit_code(exit_code(status)), status);
  }
  EXPECT_EQ(exit_code(EndStatus::ok), 0);
  EXPECT_EQ(exit_code(EndStatus::preempted), 4);
  EXPECT_FALSE(end_status_of_exit_code(137).has_value());
  EXPECT_FALSE(parse_end_status("OK").has_value());
}

TEST(Protocol, EveryEventKindReadsBack) {
  for (EventKind kind : {EventKind::start, EventKind::metric, EventKind::eval, EventKind::checkpoint, EventKind::end}) {
    EXPECT_EQ(parse_event_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_event_kind("progress").has_value());
}

TEST(Protocol, TheDocumentedContractNamesEveryKindStatusAndExitStatus) {
  const std::string doc = testing::read_file(std::string(HEADROOM_SOURCE_DIR) + "/docs/events.md");
  EXPECT_NE(doc.find("version " + std::to_string(kVersion)), std::string::npos);
  for (EventKind kind : {EventKind::start, EventKind::metric, EventKind::eval, EventKind::checkpoint, EventKind::end}) {
    EXPECT_NE(doc.find("## " + std::string(to_string(kind))), std::string::npos) << to_string(kind);
  }
  for (EndStatus status : {EndStatus::ok, EndStatus::failed, EndStatus::invalid_config, EndStatus::diverged,
                           EndStatus::preempted}) {
    const std::string row = "| `" + std::string(to_string(status)) + "` | " + std::to_string(exit_code(status)) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
}

}  // namespace
}  // namespace headroom::protocol
