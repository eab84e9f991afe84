#pragma once
// bf16 autocast switched on and off across LibTorch versions. LibTorch 2.4
// replaced the per-device calls (is_cpu_enabled, set_cpu_enabled, set_enabled,
// set_autocast_gpu_dtype, ...) with calls taking a device type and marked the
// old ones deprecated: under -Werror they would break the build against a GPU
// node's newer LibTorch (scripts/gpu-check), and each call logs a warning.
// Debian's LibTorch 1.13 has only the old calls.

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace headroom::trainer::autocast {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)

inline bool enabled(at::DeviceType device) { return at::autocast::is_autocast_enabled(device); }

inline void enable(at::DeviceType device, bool on, at::ScalarType dtype = at::kBFloat16) {
  at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, on);
}

#else

inline bool enabled(at::DeviceType device) {
  return device == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}

inline void enable(at::DeviceType device, bool on, at::ScalarType dtype = at::kBFloat16) {
  if (device == at::kCPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(on);
  }
}

#endif

// bf16 autocast on `device` (CPU or CUDA) while alive, when `on`.
class Scope {
 public:
  Scope(bool on, at::DeviceType device) : on_(on), device_(device) {
    if (on_) enable(device_, true);
  }
  ~Scope() {
    if (!on_) return;
    enable(device_, false);
    at::autocast::clear_cache();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool on_;
  at::DeviceType device_;
};

}  // namespace headroom::trainer::autocast
