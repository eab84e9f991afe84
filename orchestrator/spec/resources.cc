#include "orchestrator/spec/resources.h"

#include <algorithm>
#include <cmath>

namespace headroom {
namespace {

bool valid_device(const std::string& device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5) return false;
  return std::all_of(device.begin() + 5, device.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A whole number written as 2 or 2.0; nullopt for anything else.
std::optional<int64_t> whole_number(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::floor(number) == number && std::abs(number) < 9e15) return int64_t(number);
  }
  return std::nullopt;
}

}  // namespace

int64_t CellResources::gpu_memory_mib() const { return int64_t(std::ceil(gpu_memory_gb * 1024)); }

const std::vector<std::string>& resource_keys() {
  static const std::vector<std::string> keys = {"threads", "device", "gpus", "gpu_memory_gb", "priority"};
  return keys;
}

bool is_resource_key(const std::string& key) {
  const auto& keys = resource_keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool is_trainer_setting_too(const std::string& key) { return key == "threads" || key == "device"; }

ReadResources read_resources(const nlohmann::json& settings) {
  ReadResources read;
  CellResources& r = read.resources;
  auto problem = [&](const char* field, std::string message) { read.problems.push_back({field, std::move(message)}); };
  if (auto value = settings.find("threads"); value != settings.end()) {
    auto threads = whole_number(*value);
    if (!threads || *threads < 1) {
      problem("threads", "must be a positive integer, found " + value->dump());
    } else {
      r.threads = *threads;
    }
  }
  if (auto value = settings.find("device"); value != settings.end()) {
    if (!value->is_string() || !valid_device(value->get<std::string>())) {
      problem("device", value->dump() + " is not auto, cpu, cuda or cuda:N");
    } else {
      r.device = value->get<std::string>();
    }
  }
  if (auto value = settings.find("gpus"); value != settings.end()) {
    auto gpus = whole_number(*value);
    if (!gpus || *gpus < 1) {
      problem("gpus", "must be a positive integer (pin a cell to the CPU with device: cpu), found " + value->dump());
    } else {
      r.gpus = *gpus;
    }
  }
  if (auto value = settings.find("gpu_memory_gb"); value != settings.end()) {
    if (!value->is_number() || value->get<double>() < 0) {
      problem("gpu_memory_gb", "must be a number of gigabytes, at least 0 (0 = unknown), found " + value->dump());
    } else {
      r.gpu_memory_gb = value->get<double>();
    }
  }
  if (auto value = settings.find("priority"); value != settings.end()) {
    auto priority = whole_number(*value);
    if (!priority) {
      problem("priority", "must be an integer (higher starts first), found " + value->dump());
    } else {
      r.priority = *priority;
    }
  }
  return read;
}

nlohmann::json to_json(const CellResources& r) {
  nlohmann::json stored = {
      {"device", r.device}, {"gpus", r.gpus}, {"gpu_memory_gb", r.gpu_memory_gb}, {"priority", r.priority}};
  if (r.threads) stored["threads"] = *r.threads;
  return stored;
}

CellResources resources_from_json(const nlohmann::json& stored) {
  if (!stored.is_object()) return CellResources{};
  return read_resources(stored).resources;
}

}  // namespace headroom
