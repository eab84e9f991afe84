#pragma once
// What a cell asks of the machine it runs on, as opposed to what it
// computes: CPU threads, the device, GPUs and their memory, and its priority.
// A sweep sets them like any parameter (in `base`, swept, in overrides);
// they are read once per cell when the grid is expanded, with the defaults
// below, stored with the cell, and read by placement and the executors.
// None of them is part of a cell's identity (its hash).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace headroom {

struct CellResources {
  std::optional<int64_t> threads;  // the sweep's own `threads`; unset: `headroom run --threads`
  std::string device = "auto";     // auto: a GPU when the sweep has some, else the CPU; cpu; cuda; cuda:N
  int64_t gpus = 1;                // GPUs the cell gets when it runs on GPUs
  double gpu_memory_gb = 0;        // memory it needs on each of them; 0: unknown (--per-gpu shares out)
  int64_t priority = 0;            // higher starts first; ties go to the costliest cell

  bool pinned_to_cpu() const { return device == "cpu"; }
  bool requires_gpu() const { return device.rfind("cuda", 0) == 0; }
  // gpu_memory_gb in MiB, rounded up; 0 when unknown.
  int64_t gpu_memory_mib() const;
  bool operator==(const CellResources&) const = default;
};

// Every resource setting: threads, device, gpus, gpu_memory_gb, priority.
const std::vector<std::string>& resource_keys();
bool is_resource_key(const std::string& key);
// `threads` and `device` are trainer settings too (the trainer sizes its
// thread pool and picks its device from them; the scheduler writes what it
// chose into the worker's config). The others only the scheduler reads.
bool is_trainer_setting_too(const std::string& key);

struct ResourceProblem {
  std::string field;
  std::string message;
};

struct ReadResources {
  CellResources resources;
  std::vector<ResourceProblem> problems;  // empty when every resource setting is valid
};

// The resources among a cell's settings (other keys are ignored); an unset
// resource takes its default.
ReadResources read_resources(const nlohmann::json& settings);

// The stored form, and back (missing keys take their defaults).
nlohmann::json to_json(const CellResources& resources);
CellResources resources_from_json(const nlohmann::json& stored);

}  // namespace headroom
