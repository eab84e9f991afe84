#pragma once
// The training tasks: batches of inputs and targets.
//   mlm: character masked language modelling (15% of positions masked).
//   lm:  causal character language modelling (predict the next character).
//   fit: the expressivity probe. Random tokens; the target at position i is
//        sum_j A_ij onehot(x_j) for a fixed dense n x n attention matrix
//        A = softmax(T G), G Gaussian. Its log is full rank, so a head with
//        head_size < seq_len cannot express it (the paper's Theorem 1).

#include <memory>
#include <optional>

#include <torch/torch.h>

#include "trainer/config.h"

namespace headroom::trainer {

// train: what the model learns from; validation: the held-out text every
// evaluation and any selection (of a learning rate, of a trial) reads; test:
// held-out text that only the final evaluation reads, when the config asks
// for it (`test_split`), so a selection made on validation is reported on
// data it never saw.
enum class Split { train, validation, test };

struct Batch {
  torch::Tensor inputs;   // (batch, n) int64 token ids
  torch::Tensor targets;  // (batch, n) int64 labels, -100 = ignored; or (batch, n, V) float
};

class Task {
 public:
  virtual ~Task() = default;
  // Draws a batch using only `generator`, so equal generator states give equal batches.
  virtual Batch sample(int64_t batch_size, Split split, at::Generator& generator) const = 0;
  // True when targets are distributions (fit) rather than labels.
  virtual bool soft_targets() const { return false; }
  // The label a model that learned only label frequencies would always
  // predict: the most frequent character of the training text. None for
  // tasks without labels (fit).
  virtual std::optional<int64_t> most_frequent_label() const { return std::nullopt; }
};

// Builds the config's task. Throws CorpusError for an unusable corpus.
std::unique_ptr<Task> make_task(const TrainerConfig& config);

}  // namespace headroom::trainer
