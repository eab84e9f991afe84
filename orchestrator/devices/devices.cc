#include "orchestrator/devices/devices.h"

#include <sched.h>

#include <cmath>
#include <fstream>
#include <string>

namespace headroom {
namespace {

// The cgroup v2 quota as a core count, or 0 when unlimited or unknown.
int cgroup_quota_cores() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  try {
    return std::max(1, int(std::ceil(std::stod(quota) / double(period))));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

int usable_cpu_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  int quota = cgroup_quota_cores();
  if (quota > 0 && quota < cores) cores = quota;
  return std::max(1, cores);
}

}  // namespace headroom
