#pragma once
// Sizes of the encoder a config describes, computed without LibTorch so the
// orchestrator can show them in `headroom plan`. A trainer test checks them
// against the LibTorch module's real parameter count.

#include <cstdint>

#include "trainer/config.h"

namespace headroom::trainer {

struct ModelShape {
  int64_t input_vocab = 0;  // token ids the embedding accepts
  int64_t outputs = 0;      // classes the output head predicts
  int64_t seq_len = 0;
  int64_t d_model = 0;
  int64_t heads = 0;
  int64_t head_size = 0;
  int64_t layers = 0;
  int64_t ffn_width = 0;
};

struct ModelSize {
  int64_t parameters = 0;
  // Excludes token and position embeddings and the output head, as the
  // prototype and scaling-law papers count them.
  int64_t non_embedding_parameters = 0;
  // Training FLOPs per token (forward and backward = 3 x forward): 6 per
  // weight plus attention's QK^T and AV products, 12 * layers * seq_len *
  // heads * head_size.
  double training_flops_per_token = 0;
};

// Vocabulary sizes per task: mlm reads 95 printable ASCII characters plus a
// [MASK] token and predicts the 95; lm reads and predicts the 95; fit uses
// fit_vocab tokens. Expects a resolved config.
ModelShape model_shape(const TrainerConfig& config);

ModelSize model_size(const ModelShape& shape);

}  // namespace headroom::trainer
