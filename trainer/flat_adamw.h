#pragma once
// AdamW, gradient clipping and zeroing over all of a model's parameters at
// once.
//
// torch::optim::AdamW and clip_grad_norm_ run about twenty small tensor
// operations per parameter tensor per step (a 2-layer encoder has 38), which
// at the demo sizes is several percent of a CPU step and most of a small GPU
// step. Here the parameters and their gradients become views into two flat
// buffers, so each of those is a handful of operations on one tensor.
//
// The update is torch::optim::AdamW's: decoupled weight decay, then
// bias-corrected moments, denominator sqrt(v) / sqrt(1 - beta2^t) + eps.

#include <torch/optim/adamw.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <vector>

namespace headroom::trainer {

struct FlatAdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

class FlatAdamW {
 public:
  // Moves the parameters' values into one buffer (they keep their identity,
  // names and shapes) and points their gradients into another, zeroed. The
  // parameters must be on one device with one dtype, and must not be replaced
  // afterwards (loading a module's state does: load before constructing).
  FlatAdamW(std::vector<torch::Tensor> parameters, const FlatAdamWOptions& options);

  void zero_grad();
  // Scales the gradients so their total L2 norm is at most max_norm (no limit
  // when infinite); returns the norm before scaling.
  double clip_grad_norm(double max_norm);
  void step(double learning_rate);

  // Moments and step count. load() also accepts the per-parameter archive of
  // torch::optim::AdamW that checkpoints before this optimiser held.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  void load_per_parameter(torch::serialize::InputArchive& archive);

  std::vector<torch::Tensor> parameters_;
  FlatAdamWOptions options_;
  torch::Tensor values_, gradients_, exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
};

}  // namespace headroom::trainer
