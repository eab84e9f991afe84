#include "orchestrator/spec/yaml_scalar.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

nlohmann::json scalar(const std::string& yaml) { return yaml_scalar_to_json(YAML::Load("k: " + yaml)["k"]); }

TEST(YamlScalar, ReadsNumbersAsUsersExpect) {
  EXPECT_EQ(scalar("64"), nlohmann::json(64));
  EXPECT_TRUE(scalar("64").is_number_integer());
  EXPECT_DOUBLE_EQ(scalar("1e-4").get<double>(), 1e-4);  // PyYAML would say string
  EXPECT_DOUBLE_EQ(scalar("1.0e-4").get<double>(), 1e-4);
  EXPECT_DOUBLE_EQ(scalar("-.5").get<double>(), -0.5);
  EXPECT_TRUE(std::isinf(scalar(".inf").get<double>()));
}

TEST(YamlScalar, ReadsBooleansNullsAndQuotedStrings) {
  EXPECT_EQ(scalar("true"), nlohmann::json(true));
  EXPECT_EQ(scalar("False"), nlohmann::json(false));
  EXPECT_TRUE(scalar("~").is_null());
  EXPECT_TRUE(scalar("null").is_null());
  EXPECT_EQ(scalar("\"64\""), nlohmann::json("64"));
  EXPECT_EQ(scalar("fixed"), nlohmann::json("fixed"));
}

}  // namespace
}  // namespace headroom
