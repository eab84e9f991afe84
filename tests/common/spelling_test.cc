#include "common/spelling.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

TEST(Spelling, SuggestsTheClosestKnownName) {
  EXPECT_EQ(closest_name("d_modle", {"d_model", "heads", "head_size"}), "d_model");
  EXPECT_EQ(did_you_mean("haeds", {"d_model", "heads"}), " (did you mean 'heads'?)");
}

TEST(Spelling, SuggestsNothingForUnrelatedNames) {
  EXPECT_EQ(closest_name("temperature", {"d_model", "heads"}), "");
  EXPECT_EQ(did_you_mean("x", {"d_model"}), "");
}

}  // namespace
}  // namespace headroom
