// A cell's resources (orchestrator/spec/resources.h) and how the grid sets them apart.
#include "orchestrator/spec/resources.h"

#include <gtest/gtest.h>

#include "orchestrator/grid/grid.h"

namespace headroom {
namespace {

TEST(Resources, UnsetResourcesTakeTheirDefaults) {
  auto read = read_resources({{"d_model", 64}});
  EXPECT_TRUE(read.problems.empty());
  EXPECT_EQ(read.resources, CellResources{});
  EXPECT_FALSE(read.resources.threads.has_value());
  EXPECT_EQ(read.resources.device, "auto");
  EXPECT_EQ(read.resources.gpus, 1);
}

TEST(Resources, EveryResourceIsReadAndItsStoredFormReadsBack) {
  auto read = read_resources({{"threads", 2}, {"device", "cuda:1"}, {"gpus", 2.0}, {"gpu_memory_gb", 3.5}, {"priority", -4}});
  ASSERT_TRUE(read.problems.empty());
  EXPECT_EQ(read.resources.threads, 2);
  EXPECT_TRUE(read.resources.requires_gpu());
  EXPECT_EQ(read.resources.gpus, 2);
  EXPECT_EQ(read.resources.gpu_memory_mib(), 3584);
  EXPECT_EQ(read.resources.priority, -4);
  EXPECT_EQ(resources_from_json(to_json(read.resources)), read.resources);
}

TEST(Resources, BadValuesNameTheirField) {
  auto read = read_resources({{"threads", 0}, {"device", "tpu"}, {"gpus", 1.5}, {"gpu_memory_gb", -1}, {"priority", "high"}});
  std::vector<std::string> fields;
  for (const auto& problem : read.problems) fields.push_back(problem.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"threads", "device", "gpus", "gpu_memory_gb", "priority"}));
}

TEST(Resources, TheGridKeepsResourcesOutOfTheTrainerConfigAndTheHash) {
  auto spec = parse_sweep("base: {gpus: 2, gpu_memory_gb: 3, priority: 5, threads: 2}\n"
                          "parameters:\n  heads: {values: [1, 2]}\n",
                          "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  auto expansion = expand(spec.value());
  ASSERT_TRUE(expansion.ok()) << expansion.error().to_string();
  const Cell& cell = expansion->cells.front();
  EXPECT_FALSE(cell.config.contains("gpus"));
  EXPECT_FALSE(cell.config.contains("priority"));
  EXPECT_EQ(cell.config["threads"], 2);  // the trainer reads its threads too
  EXPECT_EQ(cell.resources.gpus, 2);
  EXPECT_EQ(cell.resources.priority, 5);
  EXPECT_EQ(cell.resources.threads, 2);
  auto plain = expand(parse_sweep("parameters:\n  heads: {values: [1, 2]}\n", "s.yaml").value());
  EXPECT_EQ(plain->cells.front().hash, cell.hash);
  EXPECT_FALSE(plain->cells.front().resources.threads.has_value());
}

TEST(Resources, ABadResourceIsReportedOnceAtItsLocation) {
  auto spec = parse_sweep("base: {threads: 0}\nparameters:\n  heads: {values: [1]}\n", "s.yaml");
  ASSERT_TRUE(spec.ok());
  auto expansion = expand(spec.value());
  ASSERT_FALSE(expansion.ok());
  ASSERT_EQ(expansion.error().diagnostics.size(), 1u) << expansion.error().to_string();
  EXPECT_EQ(expansion.error().diagnostics.front().where.line, 1);
  EXPECT_NE(expansion.error().to_string().find("'threads'"), std::string::npos);
}

}  // namespace
}  // namespace headroom
