#include "trainer/model_shape.h"

#include "trainer/vocabulary.h"

namespace headroom::trainer {

ModelShape model_shape(const TrainerConfig& config) {
  ModelShape shape;
  if (config.task == "fit") {
    shape.input_vocab = config.fit_vocab;
    shape.outputs = config.fit_vocab;
  } else {
    shape.outputs = kCharacterVocabulary;
    shape.input_vocab = config.task == "mlm" ? kCharacterVocabulary + 1 : kCharacterVocabulary;
  }
  shape.seq_len = config.seq_len;
  shape.d_model = config.d_model;
  shape.heads = config.heads;
  shape.head_size = config.head_size;
  shape.layers = config.layers;
  shape.ffn_width = config.ffn_mult * config.d_model;
  return shape;
}

ModelSize model_size(const ModelShape& s) {
  const int64_t d = s.d_model;
  const int64_t inner = s.heads * s.head_size;
  const int64_t layer_norm = 2 * d;
  const int64_t attention = 3 * (d * inner + inner) + (inner * d + d);
  const int64_t feed_forward = (d * s.ffn_width + s.ffn_width) + (s.ffn_width * d + d);
  const int64_t per_layer = layer_norm + attention + layer_norm + feed_forward;
  const int64_t embeddings = s.input_vocab * d + s.seq_len * d;
  const int64_t output_head = d * s.outputs + s.outputs;

  ModelSize size;
  size.non_embedding_parameters = s.layers * per_layer + layer_norm;
  size.parameters = size.non_embedding_parameters + embeddings + output_head;

  const double matmul_weights =
      double(s.layers) * (4.0 * d * inner + 2.0 * d * s.ffn_width) + double(d) * s.outputs;
  const double attention_products = 12.0 * s.layers * s.seq_len * inner;
  size.training_flops_per_token = 6.0 * matmul_weights + attention_products;
  return size;
}

}  // namespace headroom::trainer
