#pragma once
// The exact GELU, x * Phi(x) with Phi the standard normal CDF, and its
// gradient, over flat float arrays on CPU.
//
// Why our own: LibTorch 1.13 on CPU sends GELU to oneDNN, a separate pass
// over memory each way (9% of a training step at d_model 64). This kernel
// runs on blocks that are already in cache (trainer/cpu/blocked_feed_forward.h), and its
// backward pass computes Phi, the density and the activations themselves from
// one exp.
//
// Accuracy: Phi through Abramowitz and Stegun's 7.1.26 erfc (absolute error
// below 1.5e-7, the approximation LibTorch's own vectorised erf uses), in its
// erfc form so that Phi of large negative inputs has no cancellation. A given
// input gives bitwise the same output wherever it sits in the array. Torch-free.

#include <cstdint>

namespace headroom::trainer::cpu {

// output[i] = gelu(input[i]) for i in [0, count). output may be input.
void gelu_forward(const float* input, float* output, int64_t count);

// input_gradient[i] = output_gradient[i] * gelu'(input[i]), where gelu'(x) =
// Phi(x) + x * phi(x) and phi is the standard normal density; and, when output
// is not null, output[i] = gelu(input[i]) as gelu_forward writes it, which the
// same pass gets almost for free (a backward pass that needs the activations
// again need not recompute them). input_gradient may be output_gradient.
void gelu_backward(const float* input, const float* output_gradient, float* input_gradient,
                   float* output, int64_t count);

}  // namespace headroom::trainer::cpu
