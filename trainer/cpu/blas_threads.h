#pragma once
// The BLAS library's own thread pool, sized to the run's `threads`.
//
// torch::set_num_threads sizes LibTorch's OpenMP pool (and MKL's), but not
// OpenBLAS's pthread pool, which Debian's LibTorch calls for every GEMM and
// which starts one thread per core unless OPENBLAS_NUM_THREADS says
// otherwise: headroom-train run by hand with `threads: 1` kept 1.7 cores busy
// here. The orchestrator sets the variable for its workers; this makes the
// config's `threads` hold however the trainer is started.

namespace headroom::trainer::cpu {

// Sets OpenBLAS's thread count when the process has OpenBLAS loaded (looked
// up at run time, so builds against another BLAS, such as a GPU node's
// LibTorch with MKL, need nothing). Returns whether it did.
bool limit_blas_threads(int threads);

// OpenBLAS's current thread count, or 0 when OpenBLAS is not loaded.
int blas_threads();

}  // namespace headroom::trainer::cpu
