#pragma once
// Drives one sweep to completion: claims pending cells (most expensive first),
// starts workers through the local executor, ingests their events while they
// run, records how each attempt ended, retries crashed ones, and on start-up
// recovers the attempts a previous orchestrator left behind (finished ones
// are ingested and kept; dead ones are marked lost and their cells retried).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "orchestrator/core/result.h"
#include "orchestrator/devices/devices.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Cells by state and the estimated time left (monitor/snapshot.h).
struct SweepProgress {
  int64_t total = 0, succeeded = 0, failed = 0, running = 0, pending = 0, cancelled = 0;
  std::optional<double> eta_seconds;
};

// What to do with running workers when the user presses Ctrl-C.
enum class InterruptChoice { stop_workers, leave_workers };

struct SchedulerOptions {
  int jobs = 1;                  // workers at once
  int threads_per_run = 1;       // each worker's intra-op and BLAS threads
  // When the sweep sets `threads` itself (in base, a parameter or an
  // override), each cell keeps its own count instead of threads_per_run.
  bool cells_set_threads = false;
  // Usable CPU cores: the threads of running workers never add up to more.
  int cpu_cores = 1;
  // GPUs workers may use; empty = CPU only. Each worker gets the `gpus` its
  // cell asks for (default 1; their UUIDs in CUDA_VISIBLE_DEVICES, device
  // "cuda" in its config). A GPU's free memory at discovery is shared out:
  // a cell with `gpu_memory_gb` reserves that much on each of its GPUs, one
  // without reserves a 1/per_gpu share, and a worker starts only where its
  // reservation fits. Cells whose config says device "cpu" run on CPU with
  // CUDA_VISIBLE_DEVICES empty. Pending cells start by `priority` (higher
  // first), then costliest first.
  std::vector<Gpu> gpus;
  int per_gpu = 1;
  std::string trainer_path;      // the headroom-train executable
  int retries = 0;               // extra attempts after a crash or lost worker
  double timeout_seconds = 0;    // per attempt; 0 = none
  // A worker that writes no event for this long is hung: stopped and retried
  // like a crash. 0 = never.
  double hang_seconds = 0;
  // Wait before retrying a crashed cell: base x 2^(failures - 1), at most 5 minutes.
  std::chrono::milliseconds retry_backoff{2000};
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds stop_grace{10000};  // SIGTERM to SIGKILL
  // Called whenever a cell changes state.
  std::function<void(const struct SweepProgress&)> progress;
  // Asked on the first Ctrl-C (SIGINT) while workers run; without it, or on
  // SIGTERM, workers are stopped. `interrupted_again` turns true when a
  // second Ctrl-C (or a SIGTERM) arrives while it waits for an answer.
  std::function<InterruptChoice(size_t running, const std::function<bool()>& interrupted_again)> on_interrupt;
};

struct SweepOutcome {
  int64_t succeeded = 0, failed = 0, pending = 0;
  bool interrupted = false;  // stopped by SIGINT/SIGTERM; `headroom run` again resumes
  size_t left_running = 0;   // workers the user chose to leave running; the next run adopts them
};

// Runs every pending cell of the sweep. SIGINT or SIGTERM stops the workers
// (they checkpoint), leaves their cells pending and returns interrupted;
// on SIGINT, options.on_interrupt may choose to leave them running instead.
Result<SweepOutcome> run_sweep(Store& store, const SweepRecord& sweep,
                               const SchedulerOptions& options);

}  // namespace headroom
