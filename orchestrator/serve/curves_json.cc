#include "orchestrator/serve/curves_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace headroom {
namespace {

template <typename Number>
void append_number(std::string& out, Number value) {
  char digits[32];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, error == std::errc() ? end : digits);
}

}  // namespace

void append_curves_json(
    std::string& out, const std::vector<std::pair<std::string, std::vector<MetricPoint>>>& curves) {
  size_t points = 0;
  for (const auto& curve : curves) points += curve.second.size();
  out.reserve(out.size() + points * 20);  // "[1234,0.12345678901]," is about 20 bytes
  out += '{';
  bool first_curve = true;
  for (const auto& [name, points] : curves) {
    if (!first_curve) out += ',';
    first_curve = false;
    // A metric's name is the worker's: escaped as JSON, invalid UTF-8 replaced as the other answers
    // do.
    out += nlohmann::json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ":[";
    for (size_t i = 0; i < points.size(); ++i) {
      out += i ? ",[" : "[";
      append_number(out, points[i].step);
      out += ',';
      if (points[i].value && std::isfinite(*points[i].value)) {
        append_number(out, *points[i].value);
      } else {
        out += "null";
      }
      out += ']';
    }
    out += ']';
  }
  out += '}';
}

}  // namespace headroom
