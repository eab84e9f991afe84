#include "trainer/kernels.h"

#include "trainer/cpu/small_gemm.h"

namespace headroom::trainer {

std::variant<KernelChoice, std::string> choose_kernels(const std::string& setting, const KernelConditions& run) {
  if (setting == "torch") return KernelChoice{};
  const bool cpu_fp32 = run.on_cpu && !run.bf16;
  const bool small = run.seq_len <= cpu::kMaxNativeSide && run.head_size <= cpu::kMaxNativeSide;
  if (setting == "native") {
    if (!cpu_fp32) return std::string("kernels: native runs on the CPU in fp32 only; this run is on ") +
                          (run.on_cpu ? "the CPU in bf16" : "a GPU") + " (use kernels: auto or torch)";
    if (!small) {
      return "kernels: native handles seq_len and head_size up to " + std::to_string(cpu::kMaxNativeSide) +
             "; this run has " + std::to_string(run.seq_len) + " and " + std::to_string(run.head_size) +
             " (use kernels: auto or torch)";
    }
    return KernelChoice{true, true};
  }
  return KernelChoice{cpu_fp32 && small, cpu_fp32 && run.threads == 1};
}

nlohmann::json to_json(const KernelChoice& choice) {
  return {{"attention", choice.native_attention ? "native" : "torch"},
          {"feed_forward", choice.native_feed_forward ? "native" : "torch"}};
}

}  // namespace headroom::trainer
