// Fuzz target: a sweep file, from YAML text to cells (parse_sweep, expand).
// Any input must end in a spec and cells or a clear error: no crash, no
// sanitizer report, no runaway time or memory (scripts/fuzz sets the limits).
#include <cstddef>
#include <cstdint>
#include <string>

#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = headroom::parse_sweep(text, "fuzz.yaml");
  if (!spec) {
    (void)spec.error().to_string();
    return 0;
  }
  // Small enough that one input stays within the fuzzer's time limit under
  // the sanitizers (a matched-budget cell costs ~2 ms there); the refusal of
  // larger grids is part of what is fuzzed.
  auto cells = headroom::expand(spec.value(), 256);
  if (!cells) (void)cells.error().to_string();
  return 0;
}
