#include "orchestrator/scheduler/placement.h"

#include "common/number_format.h"

#include <algorithm>
#include <sstream>

namespace headroom {
namespace {

std::string plural(int64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// Where the GPUs of a sweep come from, for messages.
const char* kGpuSources = " (nvidia-smi, CUDA_VISIBLE_DEVICES, --gpus)";
const char* kCoreSources = " (affinity and cgroup quota)";

}  // namespace

int worker_threads(const CellResources& cell, int default_threads) {
  return int(cell.threads.value_or(default_threads));
}

Result<Placement> Placement::admit(const PlacementFlags& flags, Machine machine,
                                   const std::vector<CellResources>& cells, const std::string& spec_file) {
  if (flags.jobs < 0 || flags.threads < 1 || flags.per_gpu < 1) {
    return Error::invalid("--jobs must be at least 0 (0: fill the machine), --threads and --per-gpu at least 1");
  }
  const int cores = machine.cpu_cores;
  const bool cells_set_threads =
      std::any_of(cells.begin(), cells.end(), [](const CellResources& cell) { return cell.threads.has_value(); });
  if (!cells_set_threads && (flags.threads > cores || int64_t(flags.jobs) * flags.threads > cores)) {
    return Error::invalid("--jobs " + std::to_string(flags.jobs) + " x --threads " + std::to_string(flags.threads) +
                          " exceeds the " + std::to_string(cores) + " usable CPU cores" + kCoreSources);
  }
  // With per-cell threads the cores themselves cap the workers.
  const int cpu_slots = cells_set_threads ? cores : std::max(1, cores / flags.threads);
  const int gpu_slots = int(machine.gpus.size()) * flags.per_gpu;
  const int slots = flags.jobs > 0 ? flags.jobs : gpu_slots > 0 ? std::min(gpu_slots, cpu_slots) : cpu_slots;
  Placement placement(flags, std::move(machine), slots);
  const auto& gpus = placement.machine_.gpus;
  for (const auto& cell : cells) {
    const int threads = placement.threads_of(cell);
    if (threads > cores) {
      return Error::invalid("a cell asks for " + plural(threads, "thread") + " but only " + plural(cores, "CPU core") +
                                (cores == 1 ? " is" : " are") + " usable" + kCoreSources,
                            {spec_file});
    }
    if (gpus.empty() && cell.requires_gpu()) {
      return Error::invalid("a cell asks for device '" + cell.device + "' but this sweep has no GPU" + kGpuSources,
                            {spec_file});
    }
    if (gpus.empty() || cell.pinned_to_cpu()) continue;
    // A cell that can never fit would wait forever: refuse it now.
    if (!placement.free_gpus(cell, {})) {
      std::string need = plural(cell.gpus, "GPU");
      if (cell.gpu_memory_gb > 0) need += " with " + shortest(cell.gpu_memory_gb) + " GB free each";
      return Error::invalid("a cell asks for " + need + " but this sweep has " + plural(int64_t(gpus.size()), "GPU") +
                                (cell.gpu_memory_gb > 0
                                     ? ", " + std::to_string(placement.roomy_gpus(cell)) + " of them with that much free"
                                     : "") +
                                kGpuSources,
                            {spec_file});
    }
  }
  return placement;
}

std::optional<std::vector<size_t>> Placement::free_gpus(const CellResources& cell,
                                                        const std::vector<Seat>& taken) const {
  const size_t wanted = size_t(std::max<int64_t>(1, cell.gpus));
  const int64_t estimate = cell.gpu_memory_mib();
  std::vector<std::pair<int64_t, size_t>> room;  // (room left after this cell, GPU)
  for (size_t i = 0; i < machine_.gpus.size(); ++i) {
    const Gpu& gpu = machine_.gpus[i];
    const int64_t free = gpu.memory_total_mib - gpu.memory_used_mib;
    const int64_t capacity = free > 0 ? free : flags_.per_gpu;
    const int64_t share = capacity / flags_.per_gpu;
    int64_t reserved = 0;
    for (const auto& seat : taken) {
      if (std::find(seat.gpus.begin(), seat.gpus.end(), i) == seat.gpus.end()) continue;
      reserved += seat.gpu_memory_mib > 0 ? seat.gpu_memory_mib : share;
    }
    const int64_t need = estimate > 0 ? estimate : share;
    if (reserved + need <= capacity) room.push_back({capacity - reserved - need, i});
  }
  if (room.size() < wanted) return std::nullopt;
  // The roomiest GPUs first, so that load spreads; then by index.
  std::stable_sort(room.begin(), room.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<size_t> chosen;
  for (size_t i = 0; i < wanted; ++i) chosen.push_back(room[i].second);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

size_t Placement::roomy_gpus(const CellResources& cell) const {
  CellResources one = cell;
  one.gpus = 1;
  size_t roomy = 0;
  for (size_t i = 0; i < machine_.gpus.size(); ++i) {
    Placement alone(flags_, Machine{machine_.cpu_cores, {machine_.gpus[i]}}, slots_);
    roomy += alone.free_gpus(one, {}).has_value();
  }
  return roomy;
}

std::optional<Seat> Placement::seat(const CellResources& cell, const std::vector<Seat>& taken) const {
  Seat seat;
  seat.threads = threads_of(cell);
  int busy = 0;
  for (const auto& other : taken) busy += other.threads;
  if (busy + seat.threads > machine_.cpu_cores) return std::nullopt;
  // A cell pinned to the CPU never takes a GPU; any other gets its GPUs when the sweep has some.
  if (machine_.gpus.empty() || cell.pinned_to_cpu()) return seat;
  auto gpus = free_gpus(cell, taken);
  if (!gpus) return std::nullopt;
  seat.gpus = *gpus;
  seat.gpu_memory_mib = cell.gpu_memory_mib();
  return seat;
}

std::string Placement::device_label(const Seat& seat) const {
  if (seat.gpus.empty()) return "cpu";
  std::string label = "gpu:";
  for (size_t i = 0; i < seat.gpus.size(); ++i) {
    label += (i ? "," : "") + std::to_string(machine_.gpus[seat.gpus[i]].index);
  }
  return label;
}

std::vector<size_t> Placement::gpus_of_label(const std::string& device) const {
  std::vector<size_t> chosen;
  if (device.rfind("gpu:", 0) != 0) return chosen;
  std::stringstream list(device.substr(4, device.find(' ') == std::string::npos ? std::string::npos
                                                                                 : device.find(' ') - 4));
  for (std::string item; std::getline(list, item, ',');) {
    for (size_t i = 0; i < machine_.gpus.size(); ++i) {
      if (std::to_string(machine_.gpus[i].index) == item) chosen.push_back(i);
    }
  }
  return chosen;
}

std::string Placement::cuda_visible_devices(const Seat& seat) const {
  std::string uuids;
  for (size_t i : seat.gpus) uuids += (uuids.empty() ? "" : ",") + machine_.gpus[i].uuid;
  return uuids;
}

std::string Placement::describe() const {
  const std::string where =
      machine_.gpus.empty() ? std::string("CPU") : plural(int64_t(machine_.gpus.size()), "GPU");
  return std::to_string(slots_) + " at a time on " + where;
}

}  // namespace headroom
