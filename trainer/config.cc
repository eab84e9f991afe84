#include "trainer/config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <variant>

#include "common/spelling.h"

namespace headroom::trainer {
namespace {

using FieldPointer = std::variant<std::string TrainerConfig::*, int64_t TrainerConfig::*,
                                  double TrainerConfig::*, bool TrainerConfig::*>;

struct Field {
  const char* name;
  FieldPointer pointer;
};

// The one table of config keys: parsing, to_json and config_keys() all read it.
const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"task", &TrainerConfig::task},
      {"corpus", &TrainerConfig::corpus},
      {"seq_len", &TrainerConfig::seq_len},
      {"mask_rate", &TrainerConfig::mask_rate},
      {"mask_mode", &TrainerConfig::mask_mode},
      {"fit_vocab", &TrainerConfig::fit_vocab},
      {"fit_temperature", &TrainerConfig::fit_temperature},
      {"task_seed", &TrainerConfig::task_seed},
      {"attention", &TrainerConfig::attention},
      {"d_model", &TrainerConfig::d_model},
      {"heads", &TrainerConfig::heads},
      {"head_size", &TrainerConfig::head_size},
      {"layers", &TrainerConfig::layers},
      {"ffn_mult", &TrainerConfig::ffn_mult},
      {"norm", &TrainerConfig::norm},
      {"batch_size", &TrainerConfig::batch_size},
      {"steps", &TrainerConfig::steps},
      {"lr", &TrainerConfig::lr},
      {"warmup_steps", &TrainerConfig::warmup_steps},
      {"schedule", &TrainerConfig::schedule},
      {"weight_decay", &TrainerConfig::weight_decay},
      {"beta1", &TrainerConfig::beta1},
      {"beta2", &TrainerConfig::beta2},
      {"grad_clip", &TrainerConfig::grad_clip},
      {"eval_every", &TrainerConfig::eval_every},
      {"eval_batches", &TrainerConfig::eval_batches},
      {"eval_batch_size", &TrainerConfig::eval_batch_size},
      {"log_every", &TrainerConfig::log_every},
      {"test_split", &TrainerConfig::test_split},
      {"rank_diagnostics", &TrainerConfig::rank_diagnostics},
      {"checkpoint_every", &TrainerConfig::checkpoint_every},
      {"precision", &TrainerConfig::precision},
      {"kernels", &TrainerConfig::kernels},
      {"threads", &TrainerConfig::threads},
      {"device", &TrainerConfig::device},
      {"seed", &TrainerConfig::seed},
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

std::vector<ConfigProblem> resolve(TrainerConfig& c) {
  std::vector<ConfigProblem> problems;
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

nlohmann::json to_json(const TrainerConfig& config) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& field : fields()) {
    std::visit([&](auto member) { object[field.name] = config.*member; }, field.pointer);
  }
  return object;
}

}  // namespace headroom::trainer
