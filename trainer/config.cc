#include "trainer/config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <variant>

#include "common/spelling.h"

namespace headroom::trainer {
namespace {

using FieldPointer = std::variant<std::string TrainerConfig::*, int64_t TrainerConfig::*,
                                  double TrainerConfig::*, bool TrainerConfig::*>;

struct Field {
  const char* name;
  FieldPointer pointer;
  const char* description;  // one line, for headroom-train --help
};

// The one table of config keys: parsing, to_json and config_keys() all read it.
const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"task", &TrainerConfig::task,
       "what to learn: mlm (masked characters), lm (the next character) or fit (the Theorem 1 probe: fit a random attention matrix)"},
      {"corpus", &TrainerConfig::corpus,
       "a text file or a folder of .txt files (empty: the installed Vim's documentation, /usr/share/vim/vimNN/doc)"},
      {"seq_len", &TrainerConfig::seq_len,
       "sequence length n in characters"},
      {"mask_rate", &TrainerConfig::mask_rate,
       "mlm: fraction of positions masked"},
      {"mask_mode", &TrainerConfig::mask_mode,
       "mlm: mask (always [MASK]) or bert (80% [MASK], 10% random, 10% kept)"},
      {"fit_vocab", &TrainerConfig::fit_vocab,
       "fit: token vocabulary of the probe"},
      {"fit_temperature", &TrainerConfig::fit_temperature,
       "fit: scale of the Gaussian logits of the target attention matrix"},
      {"task_seed", &TrainerConfig::task_seed,
       "fit: seed of the target matrix"},
      {"attention", &TrainerConfig::attention,
       "standard (head_size = d_model / heads) or fixed (head_size set on its own, default seq_len)"},
      {"d_model", &TrainerConfig::d_model,
       "embedding size d"},
      {"heads", &TrainerConfig::heads,
       "attention heads h per layer"},
      {"head_size", &TrainerConfig::head_size,
       "head size d_p (0: derived: d_model / heads for standard, seq_len for fixed)"},
      {"layers", &TrainerConfig::layers,
       "transformer blocks"},
      {"ffn_mult", &TrainerConfig::ffn_mult,
       "feed-forward width as a multiple of d_model"},
      {"norm", &TrainerConfig::norm,
       "pre or post (BERT's) layer normalisation"},
      {"batch_size", &TrainerConfig::batch_size,
       "sequences per training step"},
      {"steps", &TrainerConfig::steps,
       "training steps"},
      {"lr", &TrainerConfig::lr,
       "peak learning rate (AdamW)"},
      {"warmup_steps", &TrainerConfig::warmup_steps,
       "linear warm-up steps"},
      {"schedule", &TrainerConfig::schedule,
       "learning-rate decay after warm-up: cosine, linear or constant"},
      {"weight_decay", &TrainerConfig::weight_decay,
       "AdamW weight decay"},
      {"beta1", &TrainerConfig::beta1,
       "AdamW beta1"},
      {"beta2", &TrainerConfig::beta2,
       "AdamW beta2"},
      {"grad_clip", &TrainerConfig::grad_clip,
       "clip the gradient's global norm to this (0: no clipping)"},
      {"eval_every", &TrainerConfig::eval_every,
       "steps between evaluations on the validation split"},
      {"eval_batches", &TrainerConfig::eval_batches,
       "batches per evaluation"},
      {"eval_batch_size", &TrainerConfig::eval_batch_size,
       "sequences per evaluation batch"},
      {"log_every", &TrainerConfig::log_every,
       "steps between training-metric events"},
      {"test_split", &TrainerConfig::test_split,
       "hold out a test split beside validation and evaluate on it once at the end (test/*)"},
      {"rank_diagnostics", &TrainerConfig::rank_diagnostics,
       "log the numerical rank of attention logits at each evaluation"},
      {"checkpoint_every", &TrainerConfig::checkpoint_every,
       "steps between checkpoints (0: only when stopped)"},
      {"precision", &TrainerConfig::precision,
       "auto (fastest on the device), bf16 or fp32"},
      {"kernels", &TrainerConfig::kernels,
       "auto, native (Headroom's CPU kernels) or torch (LibTorch's operations)"},
      {"threads", &TrainerConfig::threads,
       "CPU threads of the worker"},
      {"device", &TrainerConfig::device,
       "auto, cpu, cuda or cuda:N"},
      {"seed", &TrainerConfig::seed,
       "seed of initialisation, data order and masking"},
  };
  return table;
}

// Stores `value` into the field, or returns why it cannot.
std::optional<std::string> assign(TrainerConfig& config, const Field& field,
                                  const nlohmann::json& value) {
  return std::visit(
      [&](auto member) -> std::optional<std::string> {
        using Member = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<Member, std::string>) {
          if (!value.is_string()) return "expected a string, found " + value.dump();
          config.*member = value.get<std::string>();
        } else if constexpr (std::is_same_v<Member, bool>) {
          if (!value.is_boolean()) return "expected true or false, found " + value.dump();
          config.*member = value.get<bool>();
        } else if constexpr (std::is_same_v<Member, int64_t>) {
          // Sweep files may write 64.0 for 64; anything with a fraction is an error, and so is
          // a number past int64's range (a YAML integer that overflows arrives as a float).
          const auto too_large = [&] { return value.dump() + " is too large for an integer (at most 9223372036854775807)"; };
          if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX)) {
            return too_large();
          } else if (value.is_number_integer()) {
            config.*member = value.get<int64_t>();
          } else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
            if (!(std::fabs(value.get<double>()) < 9.2e18)) return too_large();
            config.*member = static_cast<int64_t>(value.get<double>());
          } else {
            return "expected an integer, found " + value.dump();
          }
        } else {
          if (!value.is_number()) return "expected a number, found " + value.dump();
          config.*member = value.get<double>();
        }
        return std::nullopt;
      },
      field.pointer);
}

void require(std::vector<ConfigProblem>& problems, bool ok, const char* field,
             const std::string& message) {
  if (!ok) problems.push_back({field, message});
}

void require_one_of(std::vector<ConfigProblem>& problems, const std::string& value,
                    const char* field, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
  problems.push_back(
      {field, "'" + value + "' is not one of " + list + did_you_mean(value, allowed)});
}

bool valid_device(const std::string& device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5) return false;
  return std::all_of(device.begin() + 5, device.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> names;
    for (const auto& field : fields()) names.emplace_back(field.name);
    return names;
  }();
  return keys;
}

const std::vector<std::string>& implementation_keys() {
  static const std::vector<std::string> keys = {"kernels"};
  return keys;
}

const std::string& default_corpus() {
  static const std::string found = [] {
    namespace fs = std::filesystem;
    std::string best;
    int best_version = -1;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/usr/share/vim", error)) {
      const std::string name = entry.path().filename().string();
      // vim90, vim91, ...: not vimfiles or addons.
      if (name.size() <= 3 || name.size() > 9 || name.rfind("vim", 0) != 0 ||
          !std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      const int version = std::stoi(name.substr(3));
      if (version > best_version && fs::is_directory(entry.path() / "doc", error)) {
        best_version = version;
        best = (entry.path() / "doc").string();
      }
    }
    return best;
  }();
  return found;
}

std::vector<ConfigProblem> resolve(TrainerConfig& c) {
  std::vector<ConfigProblem> problems;
  // Filled for the fit probe too, which reads no corpus: a cell's identity
  // (the hash of its resolved config) stays what it was before the default
  // was looked up.
  if (c.corpus.empty()) c.corpus = default_corpus();
  if (c.task != "fit") {
    require(problems, !c.corpus.empty(), "corpus",
            "not set, and the default (the installed Vim's documentation, /usr/share/vim/vimNN/doc from Debian's "
            "vim-runtime) is not there: set corpus to a text file or a folder of .txt files");
  }
  require_one_of(problems, c.task, "task", {"mlm", "lm", "fit"});
  require_one_of(problems, c.attention, "attention", {"standard", "fixed"});
  require_one_of(problems, c.norm, "norm", {"pre", "post"});
  require_one_of(problems, c.schedule, "schedule", {"cosine", "linear", "constant"});
  require_one_of(problems, c.precision, "precision", {"auto", "bf16", "fp32"});
  require_one_of(problems, c.mask_mode, "mask_mode", {"mask", "bert"});
  require_one_of(problems, c.kernels, "kernels", {"auto", "native", "torch"});
  require(problems, valid_device(c.device), "device",
          "'" + c.device + "' is not auto, cpu, cuda or cuda:N");
  require(problems, c.seq_len >= 2, "seq_len", "must be at least 2");
  require(problems, c.d_model >= 1, "d_model", "must be positive");
  require(problems, c.heads >= 1, "heads", "must be positive");
  require(problems, c.layers >= 1, "layers", "must be positive");
  require(problems, c.ffn_mult >= 1, "ffn_mult", "must be positive");
  require(problems, c.batch_size >= 1, "batch_size", "must be positive");
  require(problems, c.steps >= 1, "steps", "must be positive");
  require(problems, c.lr > 0, "lr", "must be positive");
  require(problems, c.warmup_steps >= 0, "warmup_steps", "must not be negative");
  require(problems, c.weight_decay >= 0, "weight_decay", "must not be negative");
  require(problems, c.beta1 >= 0 && c.beta1 < 1, "beta1", "must be in [0, 1)");
  require(problems, c.beta2 >= 0 && c.beta2 < 1, "beta2", "must be in [0, 1)");
  require(problems, c.grad_clip >= 0, "grad_clip", "must not be negative (0 disables clipping)");
  require(problems, c.mask_rate > 0 && c.mask_rate < 1, "mask_rate", "must be in (0, 1)");
  require(problems, c.fit_vocab >= 2, "fit_vocab", "must be at least 2");
  require(problems, c.fit_temperature > 0, "fit_temperature", "must be positive");
  require(problems, c.eval_every >= 1, "eval_every", "must be positive");
  require(problems, c.eval_batches >= 1, "eval_batches", "must be positive");
  require(problems, c.eval_batch_size >= 1, "eval_batch_size", "must be positive");
  require(problems, c.log_every >= 1, "log_every", "must be positive");
  require(problems, c.checkpoint_every >= 0, "checkpoint_every", "must not be negative");
  require(problems, c.threads >= 1, "threads", "must be positive");

  if (c.attention == "standard" && c.d_model >= 1 && c.heads >= 1) {
    if (c.d_model % c.heads != 0) {
      problems.push_back({"heads", "standard attention needs heads to divide d_model (" +
                                       std::to_string(c.d_model) + " / " +
                                       std::to_string(c.heads) + " is not an integer)"});
    } else {
      int64_t derived = c.d_model / c.heads;
      if (c.head_size != 0 && c.head_size != derived) {
        problems.push_back({"head_size", "standard attention uses head_size = d_model / heads = " +
                                             std::to_string(derived) + ", not " +
                                             std::to_string(c.head_size) +
                                             "; drop head_size or use attention: fixed"});
      }
      c.head_size = derived;
    }
  } else if (c.attention == "fixed") {
    if (c.head_size == 0) c.head_size = c.seq_len;
    require(problems, c.head_size >= 1, "head_size", "must be positive");
  }
  return problems;
}

ParsedConfig parse_config(const nlohmann::json& object) {
  ParsedConfig parsed = read_config(object);
  if (!parsed.problems.empty()) return parsed;
  parsed.problems = resolve(parsed.config);
  return parsed;
}

ParsedConfig read_config(const nlohmann::json& object) {
  ParsedConfig parsed;
  if (!object.is_object()) {
    parsed.problems.push_back({"", "the config must be a JSON object"});
    return parsed;
  }
  for (const auto& [key, value] : object.items()) {
    auto field = std::find_if(fields().begin(), fields().end(),
                              [&name = key](const Field& f) { return name == f.name; });
    if (field == fields().end()) {
      parsed.problems.push_back({key, "unknown key" + did_you_mean(key, config_keys())});
      continue;
    }
    if (auto problem = assign(parsed.config, *field, value)) {
      parsed.problems.push_back({key, *problem});
    }
  }
  return parsed;
}

std::string settings_help() {
  const nlohmann::json defaults = to_json(TrainerConfig{});
  size_t width = 0;
  for (const auto& field : fields()) width = std::max(width, std::string(field.name).size());
  std::string text = "Settings (a config.json object; a sweep's parameters and base), with their defaults:\n";
  for (const auto& field : fields()) {
    const nlohmann::json& value = defaults.at(field.name);
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.empty()) shown = "\"\"";
    std::string name = field.name;
    text += "  " + name + std::string(width - name.size(), ' ') + "  " + field.description + " [" + shown + "]\n";
  }
  return text;
}

nlohmann::json to_json(const TrainerConfig& config) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& field : fields()) {
    std::visit([&](auto member) { object[field.name] = config.*member; }, field.pointer);
  }
  return object;
}

}  // namespace headroom::trainer
