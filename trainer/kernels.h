#pragma once
// Which implementation runs the model's two hot operations, attention's heads
// and the feed-forward layer: LibTorch's operations, the reference that runs
// on every device, or the native CPU kernels of trainer/cpu/ (fp32 on the CPU
// only). Chosen once per run from the config's `kernels` setting and recorded
// in the start event; tests compare the two paths.
//
// Torch-free, so the choice is tested without LibTorch.

#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace headroom::trainer {

struct KernelChoice {
  bool native_attention = false;
  bool native_feed_forward = false;
};

// What the choice depends on, once the device and precision are resolved.
struct KernelConditions {
  bool on_cpu = true;
  bool bf16 = false;
  int64_t threads = 1;
  int64_t seq_len = 0, head_size = 0;
};

// `setting`:
//   auto   - native where it was measured faster (docs/results/trainer-bench.md):
//            attention on the CPU in fp32 with seq_len and head_size at most
//            cpu::kMaxNativeSide; the feed-forward layer there too, with one
//            thread only (with more, LibTorch spreads its element-wise passes).
//   native - both wherever they can run (the same conditions, any thread
//            count); where they cannot, the reason, for an invalid-config end.
//   torch  - LibTorch's operations everywhere.
std::variant<KernelChoice, std::string> choose_kernels(const std::string& setting, const KernelConditions& run);

// {"attention": "native" | "torch", "feed_forward": "native" | "torch"}.
nlohmann::json to_json(const KernelChoice& choice);

}  // namespace headroom::trainer
