#pragma once
// What can run where. For now: the CPU cores this process may use. (GPU
// discovery through nvidia-smi arrives with the scheduler issue.)

namespace headroom {

// Cores in this process's affinity mask, lowered by a cgroup v2 CPU quota
// (cpu.max) when one is set; at least 1.
int usable_cpu_cores();

}  // namespace headroom
