#pragma once
// The trainer's configuration: every hyperparameter of one training run in one
// plain struct, read from the run folder's config.json.
//
// Torch-free on purpose: the orchestrator links this file to validate grid
// cells and compute model sizes before anything runs (`headroom plan`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace headroom::trainer {

struct TrainerConfig {
  // Task and data.
  std::string task = "mlm";  // mlm | lm | fit
  std::string corpus;  // a text file or a folder of .txt files; empty: default_corpus(), set by resolve()
  int64_t seq_len = 32;
  double mask_rate = 0.15;
  std::string mask_mode = "mask";  // mask: always [MASK]; bert: 80/10/10 replacement
  int64_t fit_vocab = 16;          // fit probe: token vocabulary
  double fit_temperature = 2.0;    // fit probe: scale of the Gaussian logits of the target
  int64_t task_seed = 0;           // fixes the fit target matrix

  // Model.
  std::string attention = "standard";  // standard: head_size = d_model / heads; fixed
  int64_t d_model = 64;
  int64_t heads = 4;
  int64_t head_size = 0;  // resolved by resolve(): d_model / heads, or seq_len for fixed
  int64_t layers = 2;
  int64_t ffn_mult = 4;
  std::string norm = "pre";  // pre | post (BERT is post-LN)

  // Optimisation.
  int64_t batch_size = 64;
  int64_t steps = 1000;
  double lr = 1e-3;
  int64_t warmup_steps = 100;
  std::string schedule = "cosine";  // cosine | linear | constant
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.98;
  double grad_clip = 1.0;  // 0 disables clipping

  // Evaluation and logging.
  int64_t eval_every = 250;
  int64_t eval_batches = 4;
  int64_t eval_batch_size = 256;
  int64_t log_every = 50;
  // Hold out a test split beside the validation split (halving the held-out
  // text) and evaluate on it once, at the last step: test/loss, test/accuracy.
  bool test_split = false;
  bool rank_diagnostics = true;  // log attention-logit ranks at each evaluation
  int64_t checkpoint_every = 0;  // 0: only when preempted

  // Execution.
  std::string precision = "auto";  // auto (fastest on the device) | bf16 | fp32
  std::string kernels = "auto";    // auto | native | torch: trainer/kernels.h
  int64_t threads = 1;
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int64_t seed = 0;

  bool causal() const { return task == "lm"; }
};

// One problem with a config, naming the field it concerns.
struct ConfigProblem {
  std::string field;
  std::string message;
};

struct ParsedConfig {
  TrainerConfig config;
  std::vector<ConfigProblem> problems;  // empty when the config is valid
};

// Reads a JSON object into a config: unknown keys (with a suggestion), wrong
// types and invalid values are all reported, not just the first. On success
// the config is resolved (see resolve()).
ParsedConfig parse_config(const nlohmann::json& object);

// parse_config() without resolve(): each key read into its field, nothing
// checked across fields. For callers that vary a field many times and
// resolve each variant (grid/budget.cc).
ParsedConfig read_config(const nlohmann::json& object);

// Validates value ranges and fills derived fields: head_size for standard
// attention is d_model / heads (an error when heads does not divide d_model or
// when a different head_size was given); fixed attention defaults head_size to
// seq_len, the paper's recommendation. Returns the problems found.
std::vector<ConfigProblem> resolve(TrainerConfig& config);

// The corpus when none is set: the installed Vim's documentation (Debian's
// vim-runtime), whatever its version, i.e. the newest /usr/share/vim/vimNN/doc;
// empty when there is none. Looked up once per process.
const std::string& default_corpus();

// Every key parse_config() accepts, for validation and suggestions elsewhere.
const std::vector<std::string>& config_keys();

// Settings that choose how a run computes, not what (results agree to
// rounding): not part of a cell's identity.
const std::vector<std::string>& implementation_keys();

// Every setting with a one-line description and its default, from the one
// table of settings (headroom-train --help prints it).
std::string settings_help();

// The config as a JSON object with every field (the `start` event carries it).
nlohmann::json to_json(const TrainerConfig& config);

}  // namespace headroom::trainer
