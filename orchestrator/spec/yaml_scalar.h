#pragma once
// YAML scalars as users expect them: plain 64 is an integer, 1e-4 and
// 1.0e-4 are numbers (PyYAML would read the first as a string), true/false
// are booleans, ~ and null are null; quoted scalars stay strings.

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace headroom {

nlohmann::json yaml_scalar_to_json(const YAML::Node& scalar);

// Any YAML value: scalars as above, sequences as arrays, maps as objects
// (keys as written). A program's parameters may take such values.
nlohmann::json yaml_to_json(const YAML::Node& node);

}  // namespace headroom
