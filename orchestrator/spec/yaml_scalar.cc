#include "orchestrator/spec/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <regex>

namespace headroom {
namespace {

bool parse_integer(const std::string& text, int64_t& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [pointer, error] = std::from_chars(begin, end, out);
  return error == std::errc() && pointer == end;
}

bool parse_float(const std::string& text, double& out) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kFloat)) {
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [pointer, error] = std::from_chars(begin, text.data() + text.size(), out);
    return error == std::errc() && pointer == text.data() + text.size();
  }
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") {
    out = INFINITY;
    return true;
  }
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") {
    out = -INFINITY;
    return true;
  }
  return false;
}

}  // namespace

nlohmann::json yaml_scalar_to_json(const YAML::Node& scalar) {
  if (scalar.IsNull()) return nullptr;
  const std::string& text = scalar.Scalar();
  // yaml-cpp tags quoted scalars "!" and plain ones "?".
  if (scalar.Tag() == "!") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty()) {
    return nullptr;
  }
  int64_t integer = 0;
  if (parse_integer(text, integer)) return integer;
  double number = 0;
  if (parse_float(text, number)) return number;
  return text;
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  if (node.IsSequence()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& item : node) list.push_back(yaml_to_json(item));
    return list;
  }
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      object[it->first.IsScalar() ? it->first.Scalar() : YAML::Dump(it->first)] = yaml_to_json(it->second);
    }
    return object;
  }
  return yaml_scalar_to_json(node);
}

}  // namespace headroom
