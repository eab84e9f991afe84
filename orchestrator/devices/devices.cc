#include "orchestrator/devices/devices.h"

#include <sched.h>

#include <algorithm>
#include <boost/process.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace headroom {
namespace {

namespace bp = boost::process;

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

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(trim(part));
  if (!text.empty() && text.back() == separator) parts.push_back("");
  return parts;
}

bool parse_integer(const std::string& text, int64_t& value) {
  try {
    size_t used = 0;
    value = std::stoll(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
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

Result<std::vector<Gpu>> parse_nvidia_smi(const std::string& csv) {
  std::vector<Gpu> gpus;
  std::istringstream in(csv);
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (trim(line).empty()) continue;
    auto fields = split(line, ',');
    Gpu gpu;
    int64_t index = 0;
    // Memory reads "[N/A]" on some boards (MIG, some Jetsons): treat as unknown (0).
    auto memory = [](const std::string& text, int64_t& value) {
      return parse_integer(text, value) || text == "[N/A]" || text == "[Not Supported]";
    };
    if (fields.size() != 5 || !parse_integer(fields[0], index) || fields[1].empty() ||
        !memory(fields[3], gpu.memory_total_mib) || !memory(fields[4], gpu.memory_used_mib)) {
      return Error::io("nvidia-smi output line " + std::to_string(line_number) +
                       " is not 'index, uuid, name, memory.total, memory.used': '" + line + "'");
    }
    gpu.index = int(index);
    gpu.uuid = fields[1];
    gpu.name = fields[2];
    gpus.push_back(gpu);
  }
  return gpus;
}

Result<std::vector<Gpu>> discover_gpus() {
  auto program = bp::search_path("nvidia-smi");
  if (program.empty()) return std::vector<Gpu>{};
  bp::ipstream out, err;
  std::string output, errors;
  int status = -1;
  try {
    bp::child child(program,
                    std::vector<std::string>{"--query-gpu=index,uuid,name,memory.total,memory.used",
                                             "--format=csv,noheader,nounits"},
                    bp::std_in < bp::null, bp::std_out > out, bp::std_err > err);
    std::ostringstream out_text, err_text;
    out_text << out.rdbuf();
    err_text << err.rdbuf();
    child.wait();
    status = child.exit_code();
    output = out_text.str();
    errors = err_text.str();
  } catch (const std::exception& error) {
    return Error::io("cannot run '" + program.string() + "': " + error.what());
  }
  if (status != 0) {
    std::string message = trim(errors.empty() ? output : errors);
    return Error::io("'" + program.string() + "' failed (exit " + std::to_string(status) + "): " + message +
                     " (pass --gpus none to run on CPUs)");
  }
  return parse_nvidia_smi(output);
}

Result<std::vector<Gpu>> apply_cuda_visible_devices(const std::vector<Gpu>& gpus, const char* value) {
  if (value == nullptr) return gpus;
  std::string text = trim(value);
  if (text.empty() || text == "-1") return std::vector<Gpu>{};
  std::vector<Gpu> visible;
  for (const auto& entry : split(text, ',')) {
    int64_t index = 0;
    auto found = std::find_if(gpus.begin(), gpus.end(), [&](const Gpu& gpu) {
      if (parse_integer(entry, index)) return gpu.index == index;
      // CUDA accepts a unique prefix of the UUID, with or without "GPU-".
      std::string uuid = entry.rfind("GPU-", 0) == 0 ? entry : "GPU-" + entry;
      return !entry.empty() && gpu.uuid.rfind(uuid, 0) == 0;
    });
    if (found == gpus.end()) {
      return Error::invalid("CUDA_VISIBLE_DEVICES names '" + entry + "', which is none of the " +
                            std::to_string(gpus.size()) + " GPUs nvidia-smi lists");
    }
    // CUDA stops at the first invalid entry and ignores duplicates; we refuse the first and skip the second.
    if (std::none_of(visible.begin(), visible.end(), [&](const Gpu& gpu) { return gpu.uuid == found->uuid; })) {
      visible.push_back(*found);
    }
  }
  return visible;
}

Result<std::vector<Gpu>> select_gpus(const std::vector<Gpu>& visible, const std::string& flag) {
  if (flag == "all") return visible;
  if (flag == "none") return std::vector<Gpu>{};
  std::vector<Gpu> chosen;
  for (const auto& entry : split(flag, ',')) {
    int64_t index = 0;
    if (!parse_integer(entry, index)) {
      return Error::invalid("--gpus takes 'all', 'none' or GPU indices such as 0,2; got '" + flag + "'");
    }
    auto found = std::find_if(visible.begin(), visible.end(), [&](const Gpu& gpu) { return gpu.index == index; });
    if (found == visible.end()) {
      std::string indices;
      for (const auto& gpu : visible) indices += (indices.empty() ? "" : ", ") + std::to_string(gpu.index);
      return Error::invalid("--gpus " + flag + ": GPU " + entry + " is not visible (visible: " +
                            (indices.empty() ? std::string("none") : indices) + ")");
    }
    chosen.push_back(*found);
  }
  return chosen;
}

}  // namespace headroom
