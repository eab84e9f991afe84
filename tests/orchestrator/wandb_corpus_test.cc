// Real-world W&B sweep files expand to the grids W&B generates for them
// (tests/orchestrator/wandb_corpus/README.md): data-driven, one pair of
// files per case.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/grid/grid.h"
#include "orchestrator/spec/sweep_spec.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(HEADROOM_SOURCE_DIR) / "tests/orchestrator/wandb_corpus";

std::vector<nlohmann::json> expected_runs(const fs::path& path) {
  std::vector<nlohmann::json> runs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) runs.push_back(nlohmann::json::parse(line));
  }
  return runs;
}

// A cell's values of the keys W&B's runs name, compared as numbers where W&B
// would (its grid treats 3.0 and 3 as one value).
nlohmann::json project(const nlohmann::json& parameters, const nlohmann::json& keys_from) {
  nlohmann::json projected = nlohmann::json::object();
  for (const auto& [key, value] : keys_from.items()) {
    if (!parameters.contains(key)) continue;
    const auto& mine = parameters[key];
    projected[key] = mine.is_number() ? nlohmann::json(mine.get<double>()) : mine;
  }
  return projected;
}

nlohmann::json as_numbers(const nlohmann::json& run) {
  nlohmann::json out = run;
  for (auto& [key, value] : out.items()) {
    if (value.is_number()) value = value.get<double>();
  }
  return out;
}

TEST(WandbCorpus, EveryFileExpandsToTheGridWandbGenerates) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".yaml") continue;
    ++cases;
    SCOPED_TRACE(entry.path().filename().string());
    auto expected = expected_runs(fs::path(entry.path()).replace_extension(".expected"));
    ASSERT_FALSE(expected.empty()) << "every case needs its .expected file";
    auto spec = load_sweep(entry.path().string());
    ASSERT_TRUE(spec.ok()) << spec.error().to_string();
    auto expansion = expand(spec.value());
    ASSERT_TRUE(expansion.ok()) << expansion.error().to_string();
    std::vector<std::string> mine, theirs;
    for (const auto& cell : expansion->cells) mine.push_back(project(cell.parameters, expected.front()).dump());
    for (const auto& run : expected) theirs.push_back(as_numbers(run).dump());
    std::sort(mine.begin(), mine.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(mine, theirs);
  }
  EXPECT_GE(cases, 3u);
}

}  // namespace
}  // namespace headroom
