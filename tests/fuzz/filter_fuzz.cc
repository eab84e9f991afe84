// Fuzz target: the `--where` filter language (query/filter.h), compiled
// against a fixed set of columns.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/query/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> columns = {"heads", "d_model", "attention", "eval/accuracy", "state",
                                                   "tags", "seconds"};
  const std::string filter(reinterpret_cast<const char*>(data), size);
  auto resolve = [](const std::string& name) -> std::optional<std::string> {
    for (const auto& column : columns) {
      if (column == name) return "\"" + name + "\"";
    }
    return std::nullopt;
  };
  auto compiled = headroom::compile_filter(filter, resolve, columns);
  if (!compiled) (void)compiled.error().to_string();
  return 0;
}
