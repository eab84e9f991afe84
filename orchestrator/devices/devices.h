#pragma once
// What can run where: the CPU cores this process may use, and the NVIDIA
// GPUs it may use (nvidia-smi, CUDA_VISIBLE_DEVICES, --gpus).

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace headroom {

// Cores in this process's affinity mask, lowered by a cgroup v2 CPU quota
// (cpu.max) when one is set; at least 1.
int usable_cpu_cores();

struct Gpu {
  int index = 0;             // nvidia-smi's index
  std::string uuid;          // GPU-..., what workers get in CUDA_VISIBLE_DEVICES
  std::string name;
  int64_t memory_total_mib = 0;
  int64_t memory_used_mib = 0;
};

// Parses the output of
//   nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used --format=csv,noheader,nounits
// An error names the line that does not fit.
Result<std::vector<Gpu>> parse_nvidia_smi(const std::string& csv);

// Runs nvidia-smi from PATH. No nvidia-smi means no GPUs (an empty list); an
// nvidia-smi that fails (driver not loaded) is an error with its message.
Result<std::vector<Gpu>> discover_gpus();

// The GPUs CUDA_VISIBLE_DEVICES leaves visible: unset = all; "" or "-1" =
// none; otherwise comma-separated indices or UUIDs (a UUID prefix is
// enough, as in CUDA). An entry matching no GPU is an error.
Result<std::vector<Gpu>> apply_cuda_visible_devices(const std::vector<Gpu>& gpus, const char* value);

// The --gpus flag over the visible GPUs: "all", "none", or indices "0,2"
// (nvidia-smi's numbering); an index that is not visible is an error.
Result<std::vector<Gpu>> select_gpus(const std::vector<Gpu>& visible, const std::string& flag);

}  // namespace headroom
