#include "orchestrator/scheduler/worker_command.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/protocol.h"
#include "common/text_file.h"
#include "orchestrator/scheduler/worker_files.h"

namespace headroom {

namespace fs = std::filesystem;

namespace {

// Python's repr of a float: the shortest digits that round-trip, in fixed
// notation for exponents from -4 to 15 (with at least one decimal), else in
// scientific notation with a signed two-digit exponent.
std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string text(buffer, result.ptr);
  std::string sign;
  if (text[0] == '-') sign = "-", text.erase(0, 1);
  const size_t e = text.find('e');
  const int exponent = std::stoi(text.substr(e + 1));
  std::string digits = text.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return sign + "0." + std::string(size_t(-exponent - 1), '0') + digits;
    if (digits.size() <= size_t(exponent) + 1) digits += std::string(size_t(exponent) + 1 - digits.size(), '0');
    std::string fraction = digits.substr(size_t(exponent) + 1);
    return sign + digits.substr(0, size_t(exponent) + 1) + "." + (fraction.empty() ? "0" : fraction);
  }
  std::string mantissa = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
  std::string power = std::to_string(std::abs(exponent));
  if (power.size() < 2) power = "0" + power;
  return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + power;
}

// Python's repr of a string: single quotes unless it holds a single quote and no double one.
std::string python_repr(const std::string& text) {
  const char quote = text.find('\'') != std::string::npos && text.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == '\\' || c == quote) out += '\\', out += char(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += char(c);
    }
  }
  return out + quote;
}

std::string python_value(const nlohmann::json& value, bool nested) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "None";
    case nlohmann::json::value_t::boolean: return value.get<bool>() ? "True" : "False";
    case nlohmann::json::value_t::number_integer: return std::to_string(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return std::to_string(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return python_float(value.get<double>());
    case nlohmann::json::value_t::string: return nested ? python_repr(value.get<std::string>()) : value.get<std::string>();
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + python_value(value[i], true);
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        out += (first ? "" : ", ") + python_repr(key) + ": " + python_value(item, true);
        first = false;
      }
      return out + "}";
    }
    default: return value.dump();
  }
}

// A string as json.dumps writes it (ensure_ascii: every non-ASCII character as \uXXXX).
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    char hex[16];
    if (c < 0x80) {
      ++i;
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20 || c == 0x7f) std::snprintf(hex, sizeof(hex), "\\u%04x", c), out += hex;
      else out += char(c);
      continue;
    }
    // Decode one UTF-8 sequence (the spec was checked to be UTF-8).
    const int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    uint32_t code = c & (length == 4 ? 0x07 : length == 3 ? 0x0f : 0x1f);
    for (int k = 1; k < length && i + size_t(k) < text.size(); ++k) code = (code << 6) | (text[i + size_t(k)] & 0x3f);
    i += size_t(length);
    if (code >= 0x10000) {
      code -= 0x10000;
      std::snprintf(hex, sizeof(hex), "\\u%04x\\u%04x", 0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
    } else {
      std::snprintf(hex, sizeof(hex), "\\u%04x", code);
    }
    out += hex;
  }
  return out + "\"";
}

}  // namespace

std::string python_str(const nlohmann::json& value) { return python_value(value, false); }

std::string python_json(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_float: {
      const double number = value.get<double>();
      if (std::isnan(number)) return "NaN";
      if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
      return python_float(number);
    }
    case nlohmann::json::value_t::string: return json_string(value.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + python_json(value[i]);
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        out += (first ? "" : ", ") + json_string(key) + ": " + python_json(item);
        first = false;
      }
      return out + "}";
    }
    default: return value.dump();
  }
}

std::map<std::string, std::string> run_environment(const SweepRecord& sweep, const CellRecord& cell,
                                                   const RunRecord& run, bool resume) {
  const fs::path dir = run.run_dir;
  return {{"HEADROOM_RUN_DIR", dir.string()},
          {"HEADROOM_EVENTS", (dir / protocol::kEventsFile).string()},
          {"HEADROOM_CONFIG", (dir / protocol::kConfigFile).string()},
          {"HEADROOM_CHECKPOINT_DIR", (dir / protocol::kCheckpointFolder).string()},
          {"HEADROOM_RESUME", resume ? "1" : "0"},
          {"HEADROOM_RUN_ID", std::to_string(run.id)},
          {"HEADROOM_ATTEMPT", std::to_string(run.attempt)},
          {"HEADROOM_SWEEP", sweep.name},
          {"HEADROOM_CELL", cell.hash}};
}

WorkerLaunch worker_launch(const SweepRecord& sweep, const CellRecord& cell, const RunRecord& run, bool resume,
                           const AttemptSetup& setup) {
  WorkerLaunch launch;
  const fs::path dir = run.run_dir;
  launch.environment = run_environment(sweep, cell, run, resume);
  if (cell.worker.is_null()) {
    nlohmann::json config = cell.config;
    config["threads"] = setup.threads;
    if (setup.gpus) config["device"] = "cuda";
    launch.files[std::string(protocol::kConfigFile)] = config.dump(2) + "\n";
    launch.argv = {setup.trainer_path, "--config", (dir / protocol::kConfigFile).string(), "--run-dir", dir.string()};
    if (resume) launch.argv.push_back("--resume");
    return launch;
  }
  const ProgramSpec program = program_from_json(cell.worker);
  const nlohmann::json config = nested_config(cell.config, program.nested_blocks);
  launch.files[std::string(protocol::kConfigFile)] = config.dump(2) + "\n";
  // The macros, as W&B's agent expands them: each whole token is replaced by
  // zero or more arguments.
  std::vector<std::string> args, no_hyphens, no_boolean_flags, no_equals;
  for (const auto& [name, value] : config.items()) {
    const std::string text = python_str(value);
    args.push_back("--" + name + "=" + text);
    no_hyphens.push_back(name + "=" + text);
    if (!value.is_boolean()) no_boolean_flags.push_back("--" + name + "=" + text);
    else if (value.get<bool>()) no_boolean_flags.push_back("--" + name);
    no_equals.push_back("--" + name);
    no_equals.push_back(text);
  }
  const std::string args_json = python_json(config);
  const fs::path args_file = dir / "args.json";
  const std::map<std::string, std::vector<std::string>> macros = {
      {"${env}", {"/usr/bin/env"}},
      {"${interpreter}", {program.interpreter}},
      {"${program}", {program.path}},
      {"${args}", args},
      {"${args_no_hyphens}", no_hyphens},
      {"${args_no_boolean_flags}", no_boolean_flags},
      {"${args_no_equals}", no_equals},
      {"${args_json}", {args_json}},
      {"${args_json_file}", {args_file.string()}},
      {"${project}", program.project.empty() ? std::vector<std::string>{} : std::vector<std::string>{program.project}},
      {"${entity}", program.entity.empty() ? std::vector<std::string>{} : std::vector<std::string>{program.entity}}};
  for (const auto& token : command_template(program)) {
    auto macro = macros.find(token);
    if (macro == macros.end()) {
      launch.argv.push_back(token);
      continue;
    }
    if (token == "${args_json_file}") launch.files["args.json"] = args_json + "\n";
    launch.argv.insert(launch.argv.end(), macro->second.begin(), macro->second.end());
  }
  for (const auto& [name, value] : program.environment) launch.environment[name] = value;
  launch.environment["HEADROOM_PROJECT"] = program.project;
  launch.environment["HEADROOM_ENTITY"] = program.entity;
  // Headroom's modules first, then the drop-in (so `import wandb` finds it
  // before any real wandb), then what the program would have had.
  std::string python_path = (fs::path(setup.support_folder) / "python").string();
  if (program.wandb_dropin) python_path = (fs::path(setup.support_folder) / "python" / "wandb_dropin").string() + ":" + python_path;
  auto existing = launch.environment.find("PYTHONPATH");
  const char* inherited = std::getenv("PYTHONPATH");
  if (existing != launch.environment.end() && !existing->second.empty()) python_path += ":" + existing->second;
  else if (inherited && *inherited) python_path += ":" + std::string(inherited);
  launch.environment["PYTHONPATH"] = python_path;
  return launch;
}

bool holds_checkpoint(const std::string& run_dir, const CellRecord& cell) {
  const fs::path folder = fs::path(run_dir) / protocol::kCheckpointFolder;
  std::error_code error;
  if (cell.worker.is_null()) return fs::exists(folder / protocol::kCheckpointFile, error);
  return fs::is_directory(folder, error) && !fs::is_empty(folder, error);
}

std::string launch_script(const std::string& run_dir, const WorkerLaunch& launch, const CellRecord& cell) {
  const std::string dir = shell_word(run_dir);
  std::string script = "#!/bin/sh\n# Written by headroom: the worker of " + run_dir + "\n";
  for (const auto& [name, value] : launch.environment) {
    if (name == "HEADROOM_RESUME") continue;
    script += "export " + name + "=" + shell_word(value) + "\n";
  }
  const std::string checkpoint = dir + "/" + std::string(protocol::kCheckpointFolder);
  std::vector<std::string> argv = launch.argv;
  if (cell.worker.is_null()) {
    // headroom-train takes --resume when its checkpoint file is there.
    if (!argv.empty() && argv.back() == "--resume") argv.pop_back();
    script += "set --\n[ -f " + checkpoint + "/" + std::string(protocol::kCheckpointFile) + " ] && set -- --resume\n";
    script += "export HEADROOM_RESUME=0\n[ $# -gt 0 ] && export HEADROOM_RESUME=1\n";
  } else {
    script += "set --\nexport HEADROOM_RESUME=0\n[ -n \"$(ls -A " + checkpoint +
              " 2>/dev/null)\" ] && export HEADROOM_RESUME=1\n";
  }
  script += "exec";
  for (const auto& argument : argv) script += " " + shell_word(argument);
  return script + " \"$@\"\n";
}

std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_=./:,+@%") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Status write_python_support(const std::string& folder) {
  for (const auto& file : python_support_files()) {
    const fs::path path = fs::path(folder) / "python" / file.path;
    std::error_code error;
    fs::create_directories(path.parent_path(), error);
    if (error) return Error::io("cannot create '" + path.parent_path().string() + "': " + error.message());
    std::ifstream in(path, std::ios::binary);
    const std::string current((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in && current == file.content) continue;
    HEADROOM_RETURN_IF_ERROR(write_text_file(path.string(), file.content));
  }
  return Ok{};
}

}  // namespace headroom
