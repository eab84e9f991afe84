#include "trainer/cpu/gelu_kernel.h"

#include "trainer/cpu/vector_math.h"

namespace headroom::trainer::cpu {
namespace {

using vector_kernels::exp_of;
using vector_kernels::kLanes;
using vector_kernels::load;
using vector_kernels::load_partial;
using vector_kernels::store;
using vector_kernels::store_partial;
using vector_kernels::Vector;

// Phi(x) and phi(x) for eight inputs, sharing exp(-x^2 / 2).
struct Normal {
  Vector cdf, density;
};

__attribute__((always_inline)) inline Normal normal_of(const Vector& x) {
  const float inverse_sqrt2 = 0.70710678118654752f;
  const Vector z = (x < 0.0f ? -x : x) * inverse_sqrt2;  // |x| / sqrt(2)
  // erfc(z) ~ t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-z^2), t = 1 / (1 + p z);
  // the coefficients here are halved, for erfc(z) / 2.
  const Vector t = 1.0f / (z * 0.3275911f + 1.0f);
  Vector polynomial = t * 0.5307027145f - 0.7265760135f;
  polynomial = polynomial * t + 0.7107068705f;
  polynomial = polynomial * t - 0.142248368f;
  polynomial = polynomial * t + 0.127414796f;
  polynomial = polynomial * t;
  // Past z = 9 erfc(z) < 5e-37 and the density < 1e-35: both become 0, which
  // keeps the products below out of subnormal numbers (slow on many CPUs).
  const Vector beyond = Vector{} + 9.0f;
  const Vector gaussian = z > beyond ? Vector{} : exp_of(-(z * z));  // exp(-x^2 / 2)
  const Vector half_erfc = polynomial * gaussian;
  const float inverse_sqrt_2pi = 0.39894228040143268f;
  return {x < 0.0f ? half_erfc : 1.0f - half_erfc, gaussian * inverse_sqrt_2pi};
}

HEADROOM_MULTIVERSIONED
void forward(const float* input, float* output, int64_t count) {
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const Vector x = load(input + i);
    store(output + i, x * normal_of(x).cdf);
  }
  if (i < count) {
    const Vector x = load_partial(input + i, count - i);
    store_partial(output + i, x * normal_of(x).cdf, count - i);
  }
}

HEADROOM_MULTIVERSIONED
void backward(const float* input, const float* output_gradient, float* input_gradient,
              float* output, int64_t count) {
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const Vector x = load(input + i);
    const Normal normal = normal_of(x);
    store(input_gradient + i, load(output_gradient + i) * (normal.cdf + x * normal.density));
    if (output) store(output + i, x * normal.cdf);
  }
  if (i < count) {
    const int64_t tail = count - i;
    const Vector x = load_partial(input + i, tail);
    const Normal normal = normal_of(x);
    store_partial(input_gradient + i,
                  load_partial(output_gradient + i, tail) * (normal.cdf + x * normal.density),
                  tail);
    if (output) store_partial(output + i, x * normal.cdf, tail);
  }
}

}  // namespace

void gelu_forward(const float* input, float* output, int64_t count) {
  forward(input, output, count);
}

void gelu_backward(const float* input, const float* output_gradient, float* input_gradient,
                   float* output, int64_t count) {
  backward(input, output_gradient, input_gradient, output, count);
}

}  // namespace headroom::trainer::cpu
