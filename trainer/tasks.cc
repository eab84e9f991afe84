#include "trainer/tasks.h"

#include "trainer/corpus.h"
#include "trainer/vocabulary.h"

namespace headroom::trainer {
namespace {

constexpr int64_t kIgnored = -100;

torch::Tensor to_tensor(const std::vector<uint8_t>& ids) {
  return torch::from_blob(const_cast<uint8_t*>(ids.data()), {int64_t(ids.size())}, torch::kUInt8)
      .to(torch::kInt64);
}

// Character windows of the corpus at random offsets.
class TextWindows {
 public:
  TextWindows(const TrainerConfig& config, int64_t window)
      : window_(window) {
    Corpus corpus = load_corpus(config.corpus, shortest_split_for(config.task, config.seq_len), config.test_split);
    train_ = to_tensor(corpus.train);
    validation_ = to_tensor(corpus.validation);
    if (config.test_split) test_ = to_tensor(corpus.test);
  }

  int64_t most_frequent_character() const { return torch::bincount(train_).argmax().item<int64_t>(); }

  torch::Tensor sample(int64_t batch_size, Split split, at::Generator& generator) const {
    const auto& source = split == Split::train ? train_ : split == Split::validation ? validation_ : test_;
    // Drawn exactly as the Python prototype draws them (same bounds, shape and
    // generator calls), so the two can be compared step by step.
    auto offsets = torch::randint(0, source.size(0) - window_, {batch_size}, generator, torch::kInt64);
    return source.index({offsets.unsqueeze(1) + torch::arange(window_, torch::kInt64)});
  }

 private:
  int64_t window_;
  torch::Tensor train_, validation_, test_;
};

class MaskedLanguageModelling : public Task {
 public:
  explicit MaskedLanguageModelling(const TrainerConfig& config)
      : windows_(config, config.seq_len), rate_(config.mask_rate), bert_mode_(config.mask_mode == "bert") {}

  Batch sample(int64_t batch_size, Split split, at::Generator& generator) const override {
    auto text = windows_.sample(batch_size, split, generator);
    auto masked = torch::rand(text.sizes(), generator) < rate_;
    auto targets = torch::where(masked, text, torch::full_like(text, kIgnored));
    auto inputs = text.masked_fill(masked, kMaskToken);
    if (bert_mode_) {
      // BERT's replacement: of the chosen positions 80% [MASK], 10% a random
      // character, 10% left unchanged.
      auto choice = torch::rand(text.sizes(), generator);
      auto random_characters = torch::randint(0, kCharacterVocabulary, text.sizes(), generator, torch::kInt64);
      inputs = torch::where(masked & (choice >= 0.8) & (choice < 0.9), random_characters, inputs);
      inputs = torch::where(masked & (choice >= 0.9), text, inputs);
    }
    return {inputs, targets};
  }
  std::optional<int64_t> most_frequent_label() const override { return windows_.most_frequent_character(); }

 private:
  TextWindows windows_;
  double rate_;
  bool bert_mode_;
};

class CausalLanguageModelling : public Task {
 public:
  explicit CausalLanguageModelling(const TrainerConfig& config)
      : windows_(config, config.seq_len + 1), seq_len_(config.seq_len) {}

  Batch sample(int64_t batch_size, Split split, at::Generator& generator) const override {
    auto text = windows_.sample(batch_size, split, generator);
    return {text.slice(1, 0, seq_len_), text.slice(1, 1, seq_len_ + 1)};
  }
  std::optional<int64_t> most_frequent_label() const override { return windows_.most_frequent_character(); }

 private:
  TextWindows windows_;
  int64_t seq_len_;
};

class AttentionFit : public Task {
 public:
  explicit AttentionFit(const TrainerConfig& config)
      : vocab_(config.fit_vocab), seq_len_(config.seq_len) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(777 + config.task_seed);
    auto gaussian = torch::randn({seq_len_, seq_len_}, generator);
    target_attention_ = torch::softmax(config.fit_temperature * gaussian, -1);
  }

  Batch sample(int64_t batch_size, Split, at::Generator& generator) const override {
    auto tokens = torch::randint(0, vocab_, {batch_size, seq_len_}, generator, torch::kInt64);
    auto one_hot = torch::one_hot(tokens, vocab_).to(torch::kFloat32);
    return {tokens, torch::matmul(target_attention_, one_hot)};
  }
  bool soft_targets() const override { return true; }

 private:
  int64_t vocab_, seq_len_;
  torch::Tensor target_attention_;
};

}  // namespace

std::unique_ptr<Task> make_task(const TrainerConfig& config) {
  if (config.task == "mlm") return std::make_unique<MaskedLanguageModelling>(config);
  if (config.task == "lm") return std::make_unique<CausalLanguageModelling>(config);
  return std::make_unique<AttentionFit>(config);
}

}  // namespace headroom::trainer
