#pragma once
// Where a sweep's workers run on this machine: which cells can ever start
// here (admission, checked before anything is written or started), how many
// workers run at once (slots), and each worker's seat: its CPU threads and
// GPUs beside the workers already running. One rule for `plan`, `run` and
// `resume`; the local scheduler asks seat() before every start. SLURM places
// tasks on its nodes itself: there only worker_threads() applies.
//
// GPUs: each GPU's free memory at discovery is shared out. A cell with
// `gpu_memory_gb` reserves that much on each of its GPUs, one without
// reserves a 1/per_gpu share; a worker starts only where its reservation
// fits, on the roomiest GPUs. A GPU that reported no memory is split into
// per_gpu units, so --per-gpu still holds. CPU: the threads of running
// workers never add up to more than the usable cores.

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/devices/devices.h"
#include "orchestrator/spec/resources.h"

namespace headroom {

// What `headroom run` was told.
struct PlacementFlags {
  int jobs = 0;     // workers at once; 0: as many as the machine holds
  int threads = 1;  // each worker's threads, for cells that do not set their own
  int per_gpu = 1;  // workers sharing one GPU
};

// What this machine offers the sweep.
struct Machine {
  int cpu_cores = 1;      // usable cores (devices.h)
  std::vector<Gpu> gpus;  // the GPUs the sweep may use; empty: CPU only
};

// One worker's share of the machine.
struct Seat {
  int threads = 1;
  std::vector<size_t> gpus;    // indices into Machine::gpus; empty: the CPU
  int64_t gpu_memory_mib = 0;  // reserved on each of its GPUs; 0: a 1/per_gpu share
};

// A worker's CPU threads: the cell's own `threads`, else the run's --threads.
int worker_threads(const CellResources& cell, int default_threads);

class Placement {
 public:
  // Checks the flags against the machine and admits the cells: an
  // invalid-input error (naming `spec_file`) for flags that cannot work and
  // for a cell that could never start here, even on an idle machine.
  static Result<Placement> admit(const PlacementFlags& flags, Machine machine,
                                 const std::vector<CellResources>& cells, const std::string& spec_file);

  int slots() const { return slots_; }
  int threads_of(const CellResources& cell) const { return worker_threads(cell, flags_.threads); }
  // The seat the cell gets now beside the running workers' seats; nullopt
  // while it must wait for cores or GPU room.
  std::optional<Seat> seat(const CellResources& cell, const std::vector<Seat>& taken) const;

  const Machine& machine() const { return machine_; }
  // runs.device for a seat: "cpu", or its GPUs by index ("gpu:0,2").
  std::string device_label(const Seat& seat) const;
  // The GPUs a recorded device label names (a worker adopted after a
  // restart); the worker may have appended its own description after a space.
  std::vector<size_t> gpus_of_label(const std::string& device) const;
  // CUDA_VISIBLE_DEVICES for a seat: its GPUs by UUID (immune to
  // renumbering), or "" (none at all) on the CPU.
  std::string cuda_visible_devices(const Seat& seat) const;
  // "2 at a time on CPU (2 usable cores)" for the user.
  std::string describe() const;

 private:
  Placement(PlacementFlags flags, Machine machine, int slots)
      : flags_(flags), machine_(std::move(machine)), slots_(slots) {}
  // The GPUs (indices) a cell would get beside `taken`, roomiest first; nullopt when too few have room.
  std::optional<std::vector<size_t>> free_gpus(const CellResources& cell, const std::vector<Seat>& taken) const;
  // GPUs with room for the cell on an idle machine.
  size_t roomy_gpus(const CellResources& cell) const;

  PlacementFlags flags_;
  Machine machine_;
  int slots_ = 1;
};

}  // namespace headroom
