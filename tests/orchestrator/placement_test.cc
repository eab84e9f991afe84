// Placement: admission, slots and seats (orchestrator/scheduler/placement.h).
#include "orchestrator/scheduler/placement.h"

#include <gtest/gtest.h>

namespace headroom {
namespace {

Gpu gpu(int index, int64_t total_mib = 16384, int64_t used_mib = 0) {
  return Gpu{index, "GPU-uuid-" + std::to_string(index), "Test GPU", total_mib, used_mib};
}

CellResources cell() { return CellResources{}; }

CellResources with_threads(int64_t threads) {
  CellResources r;
  r.threads = threads;
  return r;
}

CellResources on_gpus(int64_t gpus, double memory_gb = 0) {
  CellResources r;
  r.gpus = gpus;
  r.gpu_memory_gb = memory_gb;
  return r;
}

Placement admitted(PlacementFlags flags, Machine machine, std::vector<CellResources> cells = {cell()}) {
  auto placement = Placement::admit(flags, std::move(machine), cells, "s.yaml");
  EXPECT_TRUE(placement.ok()) << placement.error().to_string();
  return std::move(placement).value();
}

std::string refusal(PlacementFlags flags, Machine machine, std::vector<CellResources> cells) {
  auto placement = Placement::admit(flags, std::move(machine), cells, "s.yaml");
  EXPECT_FALSE(placement.ok());
  if (placement.ok()) return "";
  EXPECT_EQ(placement.error().kind, ErrorKind::invalid_input);
  return placement.error().to_string();
}

TEST(Placement, CpuSlotsAreTheCoresOverTheThreadsUnlessJobsSaysOtherwise) {
  EXPECT_EQ(admitted({0, 1, 1}, {4, {}}).slots(), 4);
  EXPECT_EQ(admitted({0, 2, 1}, {4, {}}).slots(), 2);
  EXPECT_EQ(admitted({0, 3, 1}, {4, {}}).slots(), 1);
  EXPECT_EQ(admitted({3, 1, 1}, {4, {}}).slots(), 3);
}

TEST(Placement, FlagsThatOversubscribeTheCoresAreRefused) {
  EXPECT_NE(refusal({3, 2, 1}, {4, {}}, {cell()}).find("--jobs 3 x --threads 2 exceeds the 4 usable CPU cores"),
            std::string::npos);
  EXPECT_NE(refusal({0, 5, 1}, {4, {}}, {cell()}).find("exceeds the 4 usable CPU cores"), std::string::npos);
  EXPECT_NE(refusal({-1, 1, 1}, {4, {}}, {cell()}).find("--jobs must be at least 0"), std::string::npos);
  EXPECT_NE(refusal({0, 1, 0}, {4, {}}, {cell()}).find("--per-gpu at least 1"), std::string::npos);
}

TEST(Placement, CellsWithTheirOwnThreadsShareTheCoresAndNeverExceedThem) {
  const Placement placement = admitted({0, 1, 1}, {4, {}}, {with_threads(3), with_threads(1)});
  EXPECT_EQ(placement.slots(), 4);  // the cores themselves cap the workers
  auto first = placement.seat(with_threads(3), {});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->threads, 3);
  EXPECT_FALSE(placement.seat(with_threads(3), {*first}));  // 6 > 4
  auto second = placement.seat(with_threads(1), {*first});
  ASSERT_TRUE(second);
  EXPECT_FALSE(placement.seat(cell(), {*first, *second}));  // --threads 1 more: 5 > 4
  EXPECT_NE(refusal({0, 1, 1}, {4, {}}, {with_threads(8)}).find("a cell asks for 8 threads but only 4 CPU cores are usable"),
            std::string::npos);
}

TEST(Placement, CpuCellsGetNoGpu) {
  const Placement placement = admitted({0, 1, 1}, {4, {}});
  auto seat = placement.seat(cell(), {});
  ASSERT_TRUE(seat);
  EXPECT_TRUE(seat->gpus.empty());
  EXPECT_EQ(placement.device_label(*seat), "cpu");
  EXPECT_EQ(placement.cuda_visible_devices(*seat), "");
  EXPECT_NE(refusal({0, 1, 1}, {4, {}}, {[] {
                      CellResources r;
                      r.device = "cuda";
                      return r;
                    }()})
                .find("a cell asks for device 'cuda' but this sweep has no GPU"),
            std::string::npos);
}

TEST(Placement, GpuSlotsAndSeatsSpreadOverTheRoomiestGpus) {
  const Placement placement = admitted({0, 1, 2}, {16, {gpu(0), gpu(1)}});
  EXPECT_EQ(placement.slots(), 4);  // 2 GPUs x 2 per GPU
  auto first = placement.seat(cell(), {});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->gpus, std::vector<size_t>{0});
  auto second = placement.seat(cell(), {*first});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->gpus, std::vector<size_t>{1});  // the emptier GPU
  auto third = placement.seat(cell(), {*first, *second});
  auto fourth = placement.seat(cell(), {*first, *second, *third});
  ASSERT_TRUE(third && fourth);
  EXPECT_FALSE(placement.seat(cell(), {*first, *second, *third, *fourth}));  // each GPU holds 2 shares
  EXPECT_EQ(placement.device_label(*second), "gpu:1");
  EXPECT_EQ(placement.cuda_visible_devices(*second), "GPU-uuid-1");
  EXPECT_EQ(placement.gpus_of_label("gpu:1 (cuda:0)"), std::vector<size_t>{1});
}

TEST(Placement, MemoryEstimatesPackAGpuBeyondItsShareAndNoFurther) {
  // 16 GiB free; per_gpu 1 would allow one worker, 4 GB estimates allow four.
  const Placement placement = admitted({0, 1, 1}, {16, {gpu(0)}}, {on_gpus(1, 4)});
  std::vector<Seat> taken;
  for (int i = 0; i < 4; ++i) {
    auto seat = placement.seat(on_gpus(1, 4), taken);
    ASSERT_TRUE(seat) << i;
    taken.push_back(*seat);
  }
  EXPECT_FALSE(placement.seat(on_gpus(1, 4), taken));
}

TEST(Placement, AMultiGpuCellGetsGpusNoOtherWorkerShares) {
  const Placement placement = admitted({0, 1, 1}, {16, {gpu(0), gpu(1), gpu(2)}}, {on_gpus(2)});
  auto pair = placement.seat(on_gpus(2), {});
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->gpus, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(placement.device_label(*pair), "gpu:0,1");
  EXPECT_EQ(placement.cuda_visible_devices(*pair), "GPU-uuid-0,GPU-uuid-1");
  EXPECT_FALSE(placement.seat(on_gpus(2), {*pair}));  // one GPU left
  auto single = placement.seat(on_gpus(1), {*pair});
  ASSERT_TRUE(single);
  EXPECT_EQ(single->gpus, std::vector<size_t>{2});
}

TEST(Placement, ACellThatCouldNeverFitIsRefusedNamingWhatItNeeds) {
  const std::string error = refusal({0, 1, 1}, {16, {gpu(0), gpu(1, 16384, 12000)}}, {on_gpus(1, 100)});
  EXPECT_NE(error.find("s.yaml: a cell asks for 1 GPU with 100 GB free each but this sweep has 2 GPUs, 0 of them"),
            std::string::npos)
      << error;
  EXPECT_NE(refusal({0, 1, 1}, {16, {gpu(0)}}, {on_gpus(2)}).find("a cell asks for 2 GPUs but this sweep has 1 GPU"),
            std::string::npos);
}

TEST(Placement, CellsPinnedToTheCpuNeverTakeAGpu) {
  CellResources pinned;
  pinned.device = "cpu";
  const Placement placement = admitted({0, 1, 1}, {4, {gpu(0)}}, {pinned, cell()});
  auto gpu_worker = placement.seat(cell(), {});
  ASSERT_TRUE(gpu_worker);
  auto cpu_worker = placement.seat(pinned, {*gpu_worker});
  ASSERT_TRUE(cpu_worker);
  EXPECT_TRUE(cpu_worker->gpus.empty());
}

TEST(Placement, AGpuWithoutMemoryFiguresIsSplitIntoPerGpuShares) {
  const Placement placement = admitted({0, 1, 3}, {16, {gpu(0, 0, 0)}});
  std::vector<Seat> taken;
  for (int i = 0; i < 3; ++i) {
    auto seat = placement.seat(cell(), taken);
    ASSERT_TRUE(seat) << i;
    taken.push_back(*seat);
  }
  EXPECT_FALSE(placement.seat(cell(), taken));
}

}  // namespace
}  // namespace headroom
