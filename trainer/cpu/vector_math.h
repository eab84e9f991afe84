#pragma once
// Loads, stores and exp over vector_kernels::Vector, shared by the kernels
// that need more than products (attention_kernel.cc's softmax, gelu_kernel.cc).
// Everything is always_inline so that each multi-versioned kernel gets the
// copy compiled for its own target.

#include <bit>
#include <cstdint>
#include <cstring>

#include "trainer/cpu/vector_kernels.h"

namespace headroom::trainer::cpu::vector_kernels {

// Whole-vector loads and stores compile to one instruction each; the partial
// ones (row tails) go lane by lane, never through a variable-length memcpy,
// whose byte copies into a stack slot stall the vector load that follows.
__attribute__((always_inline)) inline Vector load(const float* source) {
  Vector v;
  std::memcpy(&v, source, sizeof(Vector));
  return v;
}

__attribute__((always_inline)) inline void store(float* target, const Vector& v) {
  std::memcpy(target, &v, sizeof(Vector));
}

__attribute__((always_inline)) inline Vector load_partial(const float* source, int64_t count) {
  Vector v = {};
  for (int64_t lane = 0; lane < count; ++lane) v[lane] = source[lane];
  return v;
}

__attribute__((always_inline)) inline void store_partial(float* target, const Vector& v,
                                                         int64_t count) {
  for (int64_t lane = 0; lane < count; ++lane) target[lane] = v[lane];
}

__attribute__((always_inline)) inline float sum_of_lanes(const Vector& v) {
  float total = 0;
  for (int64_t lane = 0; lane < kLanes; ++lane) total += v[lane];
  return total;
}

// exp(x) for x <= 0 to ~1 ulp (Cephes' expf: x = k ln 2 + r, |r| <= ln 2 / 2,
// a degree-5 polynomial for exp(r), then 2^k through the exponent bits).
// Inputs below -87.3 give exp(-87.3) ~ 1e-38 rather than a subnormal.
__attribute__((always_inline)) inline Vector exp_of(Vector x) {
  const Vector lowest = Vector{} - 87.3f;
  x = x < lowest ? lowest : x;
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const Vector k = (x * 1.44269504088896341f + shifter) - shifter;
  // ln 2 in two parts, the first exact in few bits, so k * part is exact.
  Vector r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  Vector p = Vector{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Vector y = p * r * r + r + 1.0f;
  const IntVector exponent = (__builtin_convertvector(k, IntVector) + 127) << 23;
  return y * std::bit_cast<Vector>(exponent);
}

}  // namespace headroom::trainer::cpu::vector_kernels
