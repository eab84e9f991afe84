#pragma once
// What the trainer's hand-written CPU kernels (small_gemm.cc, gelu_kernel.cc,
// attention_kernel.cc) share: one 8-float vector type and the multi-versioning
// that compiles each kernel for AVX2 + FMA and for the x86-64 baseline.

#include <cstdint>

namespace headroom::trainer::cpu::vector_kernels {

// The kernel is compiled for x86-64-v3 (AVX2, FMA) and for the baseline; the
// loader picks the one this CPU runs (GCC function multi-versioning). Not
// "arch=haswell": GCC dispatches that on the CPU model, which AMD CPUs fail.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HEADROOM_MULTIVERSIONED __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HEADROOM_MULTIVERSIONED
#endif

// Eight floats: one AVX register, or two SSE ones in the baseline clone.
// Loads and stores go through memcpy (unaligned, and no 32-byte return value
// crossing an ABI boundary).
typedef float Vector __attribute__((vector_size(32)));
typedef int32_t IntVector __attribute__((vector_size(32)));
inline constexpr int64_t kLanes = 8;

}  // namespace headroom::trainer::cpu::vector_kernels
