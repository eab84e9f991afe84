// Real-world W&B sweep files expand to the grids W&B generates for them
// (tests/orchestrator/wandb_corpus/README.md): data-driven, one pair of
// files per case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/grid/grid.h"
#include "orchestrator/scheduler/bayes_search.h"
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

// W&B reads its YAML with PyYAML (YAML 1.1), where 1e-3 (no dot) is a
// string; Headroom reads it as the number users mean. Such strings compare as
// numbers (README.md in real/ names the files where it matters).
nlohmann::json as_numbers(const nlohmann::json& run) {
  nlohmann::json out = run;
  for (auto& [key, value] : out.items()) {
    if (value.is_number()) value = value.get<double>();
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      char* end = nullptr;
      const double number = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && text.find_first_of("eE") != std::string::npos) {
        value = number;
      }
    }
  }
  return out;
}

struct KnownRefusal {
  std::string file, refusal, written, fixed;
};
const std::vector<KnownRefusal> kRefused = {
    {"llm_bci_pretrain_dotted.yaml", "'eta' must be a number greater than 1", "  eta: 1\n", "  eta: 3\n"},
    {"platalea_transformer_constants.yaml", "metric goal must be maximize or minimize",
     "goal: \"hello world wrt wandb sweep function\"", "goal: minimize"},
};

// The hand-written cases of trainer settings (wandb_corpus/) and real W&B
// files collected from public repositories, with their own programs'
// parameters (wandb_corpus/real/, expected grids from make_expected.py).
void expect_grids_of(const fs::path& folder, size_t at_least) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".yaml") continue;
    ++cases;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto expected = expected_runs(fs::path(entry.path()).replace_extension(".expected"));
    ASSERT_FALSE(expected.empty()) << "every case needs its .expected file";
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A W&B file run by wandb.agent(function=...) names no program; Headroom
    // sweeps a program, so the case gets one (its grid does not depend on it).
    if (text.find("\nprogram:") == std::string::npos && text.rfind("program:", 0) != 0 &&
        entry.path().parent_path().filename() == "real") {
      text += "\nprogram: train.py\n";
    }
    // Real files that break W&B's schema as Headroom checks it (docs/sweeps.md):
    // refused at plan, then compared with the value fixed.
    for (const auto& known : kRefused) {
      if (name != known.file) continue;
      auto refused = parse_sweep(text, entry.path().string());
      ASSERT_FALSE(refused.ok());
      EXPECT_NE(refused.error().to_string().find(known.refusal), std::string::npos) << refused.error().to_string();
      const size_t at = text.find(known.written);
      ASSERT_NE(at, std::string::npos);
      text.replace(at, known.written.size(), known.fixed);
    }
    auto spec = parse_sweep(text, entry.path().string());
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
  EXPECT_GE(cases, at_least);
}

TEST(WandbCorpus, EveryFileExpandsToTheGridWandbGenerates) { expect_grids_of(kCorpus, 3); }

TEST(WandbCorpus, EveryRealFileExpandsToTheGridWandbGenerates) { expect_grids_of(kCorpus / "real", 15); }

// Real files without an expected grid: random ones plan as they are; a grid
// W&B itself refuses is refused; bayes ones plan their first proposals.
TEST(WandbCorpus, OtherRealFilesPlanOrAreRefusedAsWandbWould) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus / "real_other")) {
    if (entry.path().extension() != ".yaml") continue;
    ++cases;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto spec = load_sweep(entry.path().string());
    if (name.find("bayes") != std::string::npos) {
      ASSERT_TRUE(spec.ok()) << spec.error().to_string();
      EXPECT_EQ(spec->method, "bayes");
      auto first = BayesSearch(spec.value()).first_proposals(kPlannedProposals);
      EXPECT_EQ(first.cells.size() + first.excluded.size(), size_t(kPlannedProposals));
      EXPECT_FALSE(first.cells.empty());
      for (const auto& cell : first.cells) EXPECT_EQ(cell.parameters.size(), spec->parameters.size()) << cell.parameters;
      continue;
    }
    if (name.find("grid_with_uniform") != std::string::npos) {
      EXPECT_FALSE(spec.ok() && expand(spec.value()).ok()) << "W&B refuses a grid over a continuous distribution";
      continue;
    }
    ASSERT_TRUE(spec.ok()) << spec.error().to_string();
    auto expansion = expand(spec.value());
    ASSERT_TRUE(expansion.ok()) << expansion.error().to_string();
    EXPECT_FALSE(expansion->cells.empty());
  }
  EXPECT_GE(cases, 5u);
}

}  // namespace
}  // namespace headroom
