// Fuzz target: expressions of `derive` and `constraints` (grid/expression.h):
// compiled, then evaluated with every variable they read set to a value from
// the input's first bytes.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "orchestrator/grid/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the variables' value (including 0, which divides by zero).
  const double value = size > 0 ? double(int(data[0]) - 64) : 1.0;
  const std::string text = size > 0 ? std::string(reinterpret_cast<const char*>(data) + 1, size - 1) : "";
  auto expression = headroom::Expression::compile(text, headroom::Location{"fuzz.yaml", 1, 1});
  if (!expression) {
    (void)expression.error().to_string();
    return 0;
  }
  std::map<std::string, double> values;
  for (const auto& name : expression->variables()) values[name] = value;
  auto result = expression->evaluate(values);
  if (!result) (void)result.error().to_string();
  return 0;
}
