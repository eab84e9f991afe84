// headroom-train: runs one training run described by a config.json and
// records it in the run folder. Normally started by `headroom run`; usable by
// hand: headroom-train --config RUN/config.json --run-dir RUN [--resume]

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "trainer/config.h"
#include "trainer/events.h"
#include "trainer/train.h"

namespace {

using namespace headroom::trainer;
using headroom::protocol::EndStatus;

// glibc serves large tensors with fresh mmaps by default, and every step then
// pays page faults; raising both thresholds made the C++ loop 1.4-2.2x faster
// here (docs/results/trainer-bench.md).
void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

// Reads and validates the config; prints every problem and returns nullopt
// when it is unusable.
std::optional<TrainerConfig> read_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "headroom-train: cannot open config '%s'\n", path.c_str());
    return std::nullopt;
  }
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    std::fprintf(stderr, "headroom-train: %s: %s\n", path.c_str(), error.what());
    return std::nullopt;
  }
  auto parsed = parse_config(object);
  for (const auto& problem : parsed.problems) {
    std::fprintf(stderr, "headroom-train: %s: field '%s': %s\n", path.c_str(),
                 problem.field.c_str(), problem.message.c_str());
  }
  if (!parsed.problems.empty()) return std::nullopt;
  return parsed.config;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  CLI::App app{"headroom-train: trains one encoder (standard or fixed-head-size attention) and "
               "appends its events to RUN/events.jsonl"};
  std::string config_path, run_dir;
  bool resume = false, describe = false;
  app.add_option("--config", config_path, "config.json with the run's hyperparameters")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--run-dir", run_dir, "the run folder (events.jsonl, checkpoint/)");
  app.add_flag("--resume", resume, "continue from RUN/checkpoint/state.pt when it exists");
  app.add_flag("--describe", describe,
               "print the model's real parameter counts as JSON and exit (no training)");
  app.footer("\n" + settings_help());
  CLI11_PARSE(app, argc, argv);

  auto config = read_config(config_path);
  if (!config) {
    if (!run_dir.empty() && std::filesystem::is_directory(run_dir)) {
      EventLog events((std::filesystem::path(run_dir) / headroom::protocol::kEventsFile).string());
      return events.end(EndStatus::invalid_config, nlohmann::json::object(),
                        "invalid config '" + config_path + "' (see stderr.log)");
    }
    return headroom::protocol::exit_code(EndStatus::invalid_config);
  }
  if (describe) {
    std::printf("%s\n", describe_model(*config).c_str());
    return headroom::protocol::exit_code(EndStatus::ok);
  }
  if (run_dir.empty()) {
    std::fprintf(stderr, "headroom-train: --run-dir is required to train\n");
    return headroom::protocol::exit_code(EndStatus::invalid_config);
  }
  std::error_code error;
  std::filesystem::create_directories(run_dir, error);
  if (error) {
    std::fprintf(stderr, "headroom-train: cannot create run folder '%s': %s\n", run_dir.c_str(),
                 error.message().c_str());
    return headroom::protocol::exit_code(EndStatus::failed);
  }
  return train(*config, {run_dir, resume});
}
