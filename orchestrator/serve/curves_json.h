#pragma once
// Curves as JSON text, written directly rather than built as nlohmann::json
// values: /api/curves answers 100 runs' 200,000 points, which as values took
// about 150 ms to build and print and as text take a few. The JSON is the
// same: [[step, value], ...], a value that is not finite is null, a number is
// printed in the shortest form that reads back as the same double.

#include <string>
#include <utility>
#include <vector>

#include "orchestrator/store/store.h"

namespace headroom {

// Appends {"NAME": [[step, value], ...], ...} to `out`, names escaped as JSON strings.
void append_curves_json(
    std::string& out, const std::vector<std::pair<std::string, std::vector<MetricPoint>>>& curves);

}  // namespace headroom
