#include "trainer/train.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <variant>

#include "trainer/autocast.h"
#include "trainer/corpus.h"
#include "trainer/cpu/blas_threads.h"
#include "trainer/events.h"
#include "trainer/flat_adamw.h"
#include "trainer/kernels.h"
#include "trainer/model.h"
#include "trainer/model_shape.h"
#include "trainer/tasks.h"

#ifndef HEADROOM_GIT_COMMIT
#define HEADROOM_GIT_COMMIT "unknown"
#endif

namespace headroom::trainer {
namespace {

namespace fs = std::filesystem;
using protocol::EndStatus;
using protocol::EventKind;

// A config that cannot run here (it names what to change): ends invalid_config.
class UnusableConfig : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

KernelChoice kernels_for(const TrainerConfig& config, torch::Device device, bool bf16) {
  auto choice = choose_kernels(config.kernels, {device.is_cpu(), bf16, config.threads, config.seq_len, config.head_size});
  if (auto* reason = std::get_if<std::string>(&choice)) throw UnusableConfig(*reason);
  return std::get<KernelChoice>(choice);
}

std::atomic<bool> termination_requested{false};
extern "C" void request_termination(int) { termination_requested = true; }

// Generator seeds: training batches follow `seed`; the held-out set and the
// diagnostic batch depend only on the task, so every cell is evaluated on the
// same data.
constexpr uint64_t kEvaluationSeed = 999;
constexpr uint64_t kTestSeed = 1999;  // the test split's batches (test_split)

torch::Device choose_device(const std::string& requested) {
  if (requested == "cpu") return torch::kCPU;
  if (requested == "auto") return torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  if (!torch::cuda::is_available()) {
    throw std::runtime_error("device '" + requested + "' requested but CUDA is not available");
  }
  return torch::Device(requested);
}

// "auto" picks the fastest precision for the device: bf16 on CUDA and on CPUs
// with native bf16 dot products (avx512_bf16 or AMX); elsewhere bf16 autocast
// was measured ~15x slower than fp32 (1.3-4.5 vs ~70 GFLOP/s on an AVX2 EPYC).
std::string choose_precision(const std::string& requested, torch::Device device) {
  if (requested != "auto") return requested;
  if (device.is_cuda()) return "bf16";
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream flags(line);
    std::string flag;
    while (flags >> flag) {
      if (flag == "avx512_bf16" || flag == "amx_bf16") return "bf16";
    }
    break;
  }
  return "fp32";
}


struct LossParts {
  torch::Tensor loss;  // mean training loss (cross-entropy)
  double reported_sum = 0;  // sum of the reported loss: KL for fit, CE otherwise
  double correct = 0;
  double count = 0;
};

// Cross-entropy against labels (ignoring -100) or against soft targets; the
// reported loss of the fit probe is KL(target || model), as in the prototype.
LossParts compute_loss(const torch::Tensor& logits, const torch::Tensor& targets, bool soft,
                       bool need_statistics) {
  LossParts parts;
  auto log_probabilities = torch::log_softmax(logits.to(torch::kFloat32), -1);
  if (soft) {
    auto cross_entropy = -(targets * log_probabilities).sum(-1);
    parts.loss = cross_entropy.mean();
    if (need_statistics) {
      auto kl = cross_entropy + (targets * torch::log(targets.clamp_min(1e-12))).sum(-1);
      parts.reported_sum = kl.sum().item<double>();
      parts.correct = (logits.argmax(-1) == targets.argmax(-1)).sum().item<double>();
      parts.count = double(cross_entropy.numel());
    }
    return parts;
  }
  auto flat_log_probabilities = log_probabilities.reshape({-1, log_probabilities.size(-1)});
  auto flat_targets = targets.reshape({-1});
  parts.loss = torch::nll_loss(flat_log_probabilities, flat_targets, {}, at::Reduction::Mean, -100);
  if (need_statistics) {
    auto kept = flat_targets != -100;
    parts.count = kept.sum().item<double>();
    parts.reported_sum = parts.loss.item<double>() * parts.count;
    parts.correct = ((flat_log_probabilities.argmax(-1) == flat_targets) & kept).sum().item<double>();
  }
  return parts;
}

double learning_rate(const TrainerConfig& c, int64_t step) {
  // `step` counts from 0; warm-up reaches the peak at step warmup_steps - 1.
  if (step < c.warmup_steps) return c.lr * double(step + 1) / double(c.warmup_steps);
  if (c.schedule == "constant") return c.lr;
  double progress = double(step - c.warmup_steps) / double(std::max<int64_t>(1, c.steps - c.warmup_steps));
  progress = std::min(1.0, progress);
  if (c.schedule == "linear") return c.lr * (1.0 - progress);
  return c.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

struct Diagnostics {
  std::vector<double> numerical_rank, effective_rank;  // per layer, mean over batch and heads
};

// The measured rank of each layer's attention logits: the paper's bound says
// at most head_size. Numerical rank counts singular values above
// n * eps * s_max; effective rank is exp(entropy of the normalised spectrum).
Diagnostics measure_logit_ranks(Encoder& model, const torch::Tensor& tokens) {
  torch::NoGradGuard no_grad;
  Diagnostics result;
  for (auto& logits : model->attention_logits(tokens)) {
    auto singular = torch::linalg_svdvals(logits.to(torch::kFloat64));
    auto largest = std::get<0>(singular.max(-1, true));
    double tolerance = double(logits.size(-1)) * std::numeric_limits<float>::epsilon();
    auto rank = (singular > largest * tolerance).sum(-1).to(torch::kFloat64);
    auto p = singular / singular.sum(-1, true).clamp_min(1e-300);
    auto entropy = -(p * torch::log(p.clamp_min(1e-300))).sum(-1);
    result.numerical_rank.push_back(rank.mean().item<double>());
    result.effective_rank.push_back(torch::exp(entropy).mean().item<double>());
  }
  return result;
}

struct Checkpointed {
  int64_t step = 0;  // steps completed
  double loss_sum = 0;  // accumulators of the current logging interval
  int64_t loss_count = 0;
};

fs::path checkpoint_file(const std::string& run_dir) {
  return fs::path(run_dir) / protocol::kCheckpointFolder / protocol::kCheckpointFile;
}

// Model, optimiser, progress and generator state; written to a temporary file
// and renamed, so a kill mid-write leaves the previous checkpoint intact.
void save_checkpoint(const std::string& run_dir, Encoder& model, const FlatAdamW& optimizer,
                     const Checkpointed& progress, at::Generator& generator) {
  fs::path target = checkpoint_file(run_dir);
  fs::create_directories(target.parent_path());
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("step", torch::tensor(progress.step));
  archive.write("loss_sum", torch::tensor(progress.loss_sum, torch::kFloat64));
  archive.write("loss_count", torch::tensor(progress.loss_count));
  archive.write("generator", generator.get_state());
  fs::path temporary = target;
  temporary += ".tmp";
  archive.save_to(temporary.string());
  fs::rename(temporary, target);
}

// A checkpoint is read in two stages: the model's values before the optimiser
// moves them into its flat buffer (loading replaces the parameters' storage),
// then the optimiser, progress and generator.
void load_model_state(torch::serialize::InputArchive& archive, Encoder& model) {
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  model->load(model_archive);
}

Checkpointed load_training_state(torch::serialize::InputArchive& archive, FlatAdamW& optimizer,
                                 at::Generator& generator) {
  torch::serialize::InputArchive optimizer_archive;
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  torch::Tensor step, loss_sum, loss_count, generator_state;
  archive.read("step", step);
  archive.read("loss_sum", loss_sum);
  archive.read("loss_count", loss_count);
  archive.read("generator", generator_state);
  generator.set_state(generator_state.cpu());
  return {step.item<int64_t>(), loss_sum.item<double>(), loss_count.item<int64_t>()};
}

nlohmann::json size_json(const ModelSize& size) {
  return {{"parameters", size.parameters},
          {"non_embedding_parameters", size.non_embedding_parameters},
          {"training_flops_per_token", size.training_flops_per_token}};
}

class Trainer {
 public:
  Trainer(const TrainerConfig& config, const RunOptions& options, EventLog& events)
      : config_(config),
        options_(options),
        events_(events),
        device_(choose_device(config.device)),
        bf16_(choose_precision(config.precision, device_) == "bf16"),
        kernels_(kernels_for(config, device_, bf16_)),
        shape_(model_shape(config)),
        generator_(at::make_generator<at::CPUGeneratorImpl>(config.seed)) {}

  int run();

 private:
  void evaluate(int64_t step);
  nlohmann::json measure(const std::vector<Batch>& batches, const std::string& prefix);
  LossParts forward_and_loss(const torch::Tensor& inputs, const torch::Tensor& targets,
                             bool need_statistics);
  void log_interval(int64_t step, double seconds, int64_t tokens, double grad_norm);

  const TrainerConfig& config_;
  const RunOptions& options_;
  EventLog& events_;
  torch::Device device_;
  bool bf16_;
  KernelChoice kernels_;
  ModelShape shape_;
  at::Generator generator_;
  std::unique_ptr<Task> task_;
  Encoder model_{nullptr};
  std::unique_ptr<FlatAdamW> optimizer_;
  std::vector<Batch> evaluation_set_, test_set_;
  // The evaluation set's accuracy of always predicting the most frequent
  // character: the floor any model that learned something beats.
  std::optional<double> unigram_accuracy_;
  Checkpointed progress_;
};

// Labels with ignored positions (mlm) are scored only where a label exists;
// the result is the same loss, computed on 15% of the rows.
LossParts Trainer::forward_and_loss(const torch::Tensor& inputs, const torch::Tensor& targets,
                                    bool need_statistics) {
  autocast::Scope bf16_scope(bf16_, device_.type());
  if (config_.task == "mlm") {
    auto flat_targets = targets.reshape({-1});
    auto rows = (flat_targets != -100).nonzero().squeeze(1);
    auto logits = model_->forward_rows(inputs, rows);
    return compute_loss(logits, flat_targets.index_select(0, rows), false, need_statistics);
  }
  auto logits = model_->forward(inputs);
  return compute_loss(logits, targets, task_->soft_targets(), need_statistics);
}

// loss, accuracy (and perplexity for lm) over a fixed set of batches, named
// with `prefix` ("eval/", "test/").
nlohmann::json Trainer::measure(const std::vector<Batch>& batches, const std::string& prefix) {
  double loss_sum = 0, correct = 0, count = 0;
  for (const auto& batch : batches) {
    auto parts = forward_and_loss(batch.inputs, batch.targets, true);
    loss_sum += parts.reported_sum;
    correct += parts.correct;
    count += parts.count;
  }
  nlohmann::json values = {{prefix + "loss", loss_sum / count}, {prefix + "accuracy", correct / count}};
  if (config_.task == "lm") values[prefix + "perplexity"] = std::exp(loss_sum / count);
  return values;
}

void Trainer::evaluate(int64_t step) {
  torch::NoGradGuard no_grad;
  model_->eval();
  nlohmann::json values = measure(evaluation_set_, "eval/");
  if (unigram_accuracy_) values["eval/unigram_accuracy"] = *unigram_accuracy_;
  // The test split is read once, at the end: nothing selects on it.
  if (!test_set_.empty() && step == config_.steps) values.update(measure(test_set_, "test/"));
  if (config_.rank_diagnostics) {
    auto sample = evaluation_set_.front().inputs.slice(0, 0, 16);
    auto ranks = measure_logit_ranks(model_, sample);
    for (size_t layer = 0; layer < ranks.numerical_rank.size(); ++layer) {
      values["rank/numerical/layer" + std::to_string(layer)] = ranks.numerical_rank[layer];
      values["rank/effective/layer" + std::to_string(layer)] = ranks.effective_rank[layer];
    }
  }
  model_->train();
  events_.write(EventKind::eval, {{"step", step}, {"values", values}});
  std::printf("eval step %lld | loss %.4f | accuracy %.4f\n", static_cast<long long>(step),
              values["eval/loss"].get<double>(), values["eval/accuracy"].get<double>());
  std::fflush(stdout);
}

void Trainer::log_interval(int64_t step, double seconds, int64_t tokens, double grad_norm) {
  double loss = progress_.loss_sum / double(std::max<int64_t>(1, progress_.loss_count));
  double lr = learning_rate(config_, step - 1);
  double tokens_per_second = seconds > 0 ? double(tokens) / seconds : 0;
  events_.write(EventKind::metric,
                {{"step", step},
                 {"values",
                  {{"train/loss", loss},
                   {"train/lr", lr},
                   {"train/grad_norm", grad_norm},
                   {"train/tokens_per_s", tokens_per_second}}}});
  std::printf("step %lld | loss %.4f | lr %.2e | %.1f ms/step | %.0f tok/s\n",
              static_cast<long long>(step), loss, lr,
              1000.0 * seconds / double(std::max<int64_t>(1, tokens / (config_.batch_size * config_.seq_len))),
              tokens_per_second);
  std::fflush(stdout);
  progress_.loss_sum = 0;
  progress_.loss_count = 0;
}

int Trainer::run() {
  torch::manual_seed(config_.seed);
  task_ = make_task(config_);
  model_ = Encoder(shape_, config_.causal(), config_.norm == "pre", kernels_);
  model_->to(device_);
  fs::path checkpoint = checkpoint_file(options_.run_dir);
  const bool resumed = options_.resume && fs::exists(checkpoint);
  torch::serialize::InputArchive archive;
  if (resumed) {
    archive.load_from(checkpoint.string(), device_);
    load_model_state(archive, model_);
  }
  optimizer_ = std::make_unique<FlatAdamW>(model_->parameters(), FlatAdamWOptions{.beta1 = config_.beta1,
                                                                                 .beta2 = config_.beta2,
                                                                                 .eps = 1e-8,
                                                                                 .weight_decay = config_.weight_decay});
  if (resumed) progress_ = load_training_state(archive, *optimizer_, generator_);

  auto evaluation_generator = at::make_generator<at::CPUGeneratorImpl>(kEvaluationSeed + config_.task_seed);
  for (int64_t i = 0; i < config_.eval_batches; ++i) {
    auto batch = task_->sample(config_.eval_batch_size, Split::validation, evaluation_generator);
    evaluation_set_.push_back({batch.inputs.to(device_), batch.targets.to(device_)});
  }
  if (auto label = task_->most_frequent_label()) {
    double hits = 0, counted = 0;
    for (const auto& batch : evaluation_set_) {
      auto labelled = batch.targets != -100;
      hits += (labelled & (batch.targets == *label)).sum().item<double>();
      counted += labelled.sum().item<double>();
    }
    if (counted > 0) unigram_accuracy_ = hits / counted;
  }
  if (config_.test_split) {
    auto test_generator = at::make_generator<at::CPUGeneratorImpl>(kTestSeed + config_.task_seed);
    for (int64_t i = 0; i < config_.eval_batches; ++i) {
      auto batch = task_->sample(config_.eval_batch_size, Split::test, test_generator);
      test_set_.push_back({batch.inputs.to(device_), batch.targets.to(device_)});
    }
  }

  events_.write(EventKind::start,
                {{"config", to_json(config_)},
                 {"model", size_json(model_size(shape_))},
                 {"device", device_.str()},
                 {"precision", bf16_ ? "bf16" : "fp32"},
                 {"kernels", to_json(kernels_)},
                 {"torch", TORCH_VERSION},
                 {"commit", HEADROOM_GIT_COMMIT},
                 {"resumed_from_step", progress_.step}},
                true);

  auto interval_start = std::chrono::steady_clock::now();
  int64_t interval_tokens = 0;
  while (progress_.step < config_.steps) {
    if (termination_requested) {
      save_checkpoint(options_.run_dir, model_, *optimizer_, progress_, generator_);
      events_.write(EventKind::checkpoint, {{"step", progress_.step}});
      return events_.end(EndStatus::preempted, {{"step", progress_.step}});
    }
    const int64_t step = progress_.step;
    auto batch = task_->sample(config_.batch_size, Split::train, generator_);
    auto inputs = batch.inputs.to(device_), targets = batch.targets.to(device_);
    auto loss = forward_and_loss(inputs, targets, false).loss;
    optimizer_->zero_grad();
    loss.backward();
    double clip = config_.grad_clip > 0 ? config_.grad_clip : std::numeric_limits<double>::infinity();
    double grad_norm = optimizer_->clip_grad_norm(clip);
    optimizer_->step(learning_rate(config_, step));

    double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      return events_.end(EndStatus::diverged, {{"step", step + 1}},
                         "training loss became " + std::to_string(loss_value) + " at step " + std::to_string(step + 1));
    }
    progress_.loss_sum += loss_value;
    progress_.loss_count += 1;
    progress_.step = step + 1;
    interval_tokens += config_.batch_size * config_.seq_len;

    const int64_t done = progress_.step;
    if (done % config_.log_every == 0 || done == config_.steps) {
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - interval_start).count();
      log_interval(done, seconds, interval_tokens, grad_norm);
      interval_tokens = 0;
    }
    if (done % config_.eval_every == 0 || done == config_.steps) evaluate(done);
    if (config_.checkpoint_every > 0 && done % config_.checkpoint_every == 0 && done < config_.steps) {
      save_checkpoint(options_.run_dir, model_, *optimizer_, progress_, generator_);
      events_.write(EventKind::checkpoint, {{"step", done}});
    }
    if (done % config_.log_every == 0) interval_start = std::chrono::steady_clock::now();
  }
  return events_.end(EndStatus::ok, {{"step", progress_.step}});
}

}  // namespace

int train(const TrainerConfig& config, const RunOptions& options) {
  std::signal(SIGTERM, request_termination);
  torch::set_num_threads(int(config.threads));
  cpu::limit_blas_threads(int(config.threads));
  EventLog events((fs::path(options.run_dir) / protocol::kEventsFile).string());
  try {
    Trainer trainer(config, options, events);
    return trainer.run();
  } catch (const UnusableConfig& error) {
    std::fprintf(stderr, "headroom-train: %s\n", error.what());
    return events.end(EndStatus::invalid_config, nlohmann::json::object(), error.what());
  } catch (const CorpusError& error) {
    std::fprintf(stderr, "headroom-train: %s\n", error.what());
    return events.end(EndStatus::invalid_config, nlohmann::json::object(), error.what());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "headroom-train: %s\n", error.what());
    return events.end(EndStatus::failed, nlohmann::json::object(), error.what());
  }
}

std::string describe_model(const TrainerConfig& config) {
  ModelShape shape = model_shape(config);
  Encoder model(shape, config.causal(), config.norm == "pre");
  int64_t total = 0;
  for (const auto& parameter : model->parameters()) total += parameter.numel();
  int64_t embeddings = 0;
  for (const auto& item : model->named_parameters()) {
    const auto& name = item.key();
    if (name.rfind("token_embedding", 0) == 0 || name == "position_embedding" ||
        name.rfind("output_head", 0) == 0) {
      embeddings += item.value().numel();
    }
  }
  return nlohmann::json{{"parameters", total}, {"non_embedding_parameters", total - embeddings}}.dump();
}

}  // namespace headroom::trainer
