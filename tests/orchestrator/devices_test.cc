#include "orchestrator/devices/devices.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "tests/support/test_support.h"

namespace headroom {
namespace {

using testing::TemporaryFolder;

const char* kFourGpus =
    "0, GPU-aaaa0000-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 0\n"
    "1, GPU-bbbb0000-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 1024\n"
    "2, GPU-cccc0000-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 0\n"
    "3, GPU-dddd0000-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 70000\n";

std::vector<int> indices(const std::vector<Gpu>& gpus) {
  std::vector<int> result;
  for (const auto& gpu : gpus) result.push_back(gpu.index);
  return result;
}

TEST(Devices, ParsesNvidiaSmiCsv) {
  auto gpus = parse_nvidia_smi(kFourGpus);
  ASSERT_TRUE(gpus.ok()) << gpus.error().to_string();
  ASSERT_EQ(gpus->size(), 4u);
  EXPECT_EQ(gpus.value()[1].uuid, "GPU-bbbb0000-1111-2222-3333-444455556666");
  EXPECT_EQ(gpus.value()[1].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpus.value()[1].memory_total_mib, 81559);
  EXPECT_EQ(gpus.value()[1].memory_used_mib, 1024);
  EXPECT_TRUE(parse_nvidia_smi("")->empty());
  auto na = parse_nvidia_smi("0, GPU-x, NVIDIA A100 MIG, [N/A], [N/A]\n");
  ASSERT_TRUE(na.ok());
  auto bad = parse_nvidia_smi(std::string(kFourGpus) + "No devices were found\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("line 5"), std::string::npos) << bad.error().to_string();
}

TEST(Devices, HonoursCudaVisibleDevices) {
  auto gpus = parse_nvidia_smi(kFourGpus).value();
  EXPECT_EQ(indices(apply_cuda_visible_devices(gpus, nullptr).value()), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(apply_cuda_visible_devices(gpus, "").value().empty());
  EXPECT_TRUE(apply_cuda_visible_devices(gpus, "-1").value().empty());
  EXPECT_EQ(indices(apply_cuda_visible_devices(gpus, "2,0").value()), (std::vector<int>{2, 0}));
  EXPECT_EQ(indices(apply_cuda_visible_devices(gpus, "GPU-cccc,dddd0000").value()), (std::vector<int>{2, 3}));
  auto missing = apply_cuda_visible_devices(gpus, "0,7");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("'7'"), std::string::npos);
}

TEST(Devices, TheGpusFlagPicksAmongVisibleOnes) {
  auto gpus = parse_nvidia_smi(kFourGpus).value();
  auto visible = apply_cuda_visible_devices(gpus, "1,3").value();
  EXPECT_EQ(indices(select_gpus(visible, "all").value()), (std::vector<int>{1, 3}));
  EXPECT_TRUE(select_gpus(visible, "none").value().empty());
  EXPECT_EQ(indices(select_gpus(visible, "3").value()), (std::vector<int>{3}));
  auto hidden = select_gpus(visible, "0");
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.error().to_string().find("GPU 0 is not visible (visible: 1, 3)"), std::string::npos);
  EXPECT_FALSE(select_gpus(visible, "first").ok());
}

// discover_gpus runs whatever nvidia-smi is first on PATH: a script here.
class FakeNvidiaSmi : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_path_ = std::getenv("PATH") ? std::getenv("PATH") : "";
    std::filesystem::create_directories(folder_.path() / "bin");
  }
  void TearDown() override { ::setenv("PATH", saved_path_.c_str(), 1); }

  void install(const std::string& script) {
    std::string path = folder_.write("bin/nvidia-smi", "#!/bin/sh\n" + script);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    ::setenv("PATH", ((folder_.path() / "bin").string() + ":" + saved_path_).c_str(), 1);
  }

  TemporaryFolder folder_;
  std::string saved_path_;
};

TEST_F(FakeNvidiaSmi, NoneOneAndFourGpus) {
  ::setenv("PATH", (folder_.path() / "bin").string().c_str(), 1);  // no nvidia-smi at all
  EXPECT_TRUE(discover_gpus().value().empty());
  install("printf '0, GPU-one, Tesla T4, 15360, 0\\n'\n");
  EXPECT_EQ(discover_gpus().value().size(), 1u);
  install(std::string("cat <<'EOF'\n") + kFourGpus + "EOF\n");
  auto four = discover_gpus();
  ASSERT_TRUE(four.ok()) << four.error().to_string();
  EXPECT_EQ(indices(four.value()), (std::vector<int>{0, 1, 2, 3}));
}

TEST_F(FakeNvidiaSmi, AFailingNvidiaSmiIsAnErrorWithItsMessage) {
  install("echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2\nexit 9\n");
  auto gpus = discover_gpus();
  ASSERT_FALSE(gpus.ok());
  EXPECT_NE(gpus.error().to_string().find("could not communicate with the NVIDIA driver"), std::string::npos);
  EXPECT_NE(gpus.error().to_string().find("--gpus none"), std::string::npos);
}

}  // namespace
}  // namespace headroom
