// headroom/worker.h: report to Headroom from a C++ training program.
//
// Header-only, C++17, no dependencies beyond the standard library and POSIX.
// Copy this one file next to your program or add workers/cpp to its include
// path. It speaks version 1 of the worker protocol (docs/events.md): the
// program reports only by appending JSON lines to the events file that the
// orchestrator names in the environment.
//
//   #include "headroom/worker.h"
//   int main(int argc, char** argv) {
//     headroom_worker::Run run;      // reads the environment
//     run.handle_sigterm();
//     double lr = run.number("lr", 1e-3);   // from config.json; may throw ConfigError
//     int64_t first = 0;
//     if (run.resuming()) first = load(run.checkpoint_dir() + "/state");  // your format
//     run.start(first);
//     for (int64_t step = first + 1; step <= steps; ++step) {
//       if (run.stop_requested()) { save(...); run.checkpoint(step - 1);
//                                   run.finish(headroom_worker::Status::preempted); }
//       ... train ...
//       run.log(step, {{"train/loss", loss}, {"train/lr", lr}});
//     }
//     run.eval(steps, {{"eval/loss", eval_loss}});
//     run.finish();                  // end "ok", exit status 0
//   }
//
// CONTRACT
//
// Environment (read once, by the constructor):
//   HEADROOM_EVENTS          the events file; when unset, HEADROOM_RUN_DIR/events.jsonl.
//                            With neither, the Run is inactive (see below).
//   HEADROOM_CONFIG          the cell's config.json; when unset, HEADROOM_RUN_DIR/config.json;
//                            with neither there is no config (every accessor gives its fallback).
//   HEADROOM_CHECKPOINT_DIR  checkpoint_dir(); when unset, HEADROOM_RUN_DIR/checkpoint.
//   HEADROOM_RESUME          "1": resuming() is true.
//
// Inactive (outside Headroom: active() is false): start, log, eval, checkpoint
// and end write nothing and touch no file, so the same program runs
// standalone. finish() still exits with the status's exit code, the config
// accessors give their fallbacks, checkpoint_dir() is "" (skip checkpointing)
// unless HEADROOM_CHECKPOINT_DIR or HEADROOM_RUN_DIR is set, and
// handle_sigterm()/stop_requested() work as they do inside Headroom.
//
// Events. Each is one JSON object on one line: "v" (1), "event", "time" (Unix
// seconds), then the event's fields. A line is built whole and written with a
// single write() call (retried on EINTR; a partial write is completed) to the
// file opened with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC on the first event, so
// it reaches the kernel at once; no stdio or iostream buffering is involved.
//   start       {"config": <config.json, whitespace removed; {} when there is
//               none or it is not a valid JSON object>, "resumed_from_step": N}
//               start(N) writes it; any other event writes start(0) first if
//               start has not been written. Once per Run: later calls do
//               nothing. A resuming program calls start(step) itself.
//   metric      log(step, values):  {"step": S, "values": {name: number|null}}
//   eval        eval(step, values): same fields
//   checkpoint  checkpoint(step):   {"step": S}; call it after the checkpoint
//               files are completely written (write to a temporary file, then
//               rename it).
//   end         end(status, error): {"status": "...", "error": "..."}; "error"
//               is omitted for ok, and for any other status an empty error is
//               replaced by a default sentence. The line is fsync'ed. After
//               end, every event call (end included) does nothing.
// Steps are whole numbers >= 0: a negative step throws std::invalid_argument
// (active or not). Values: finite doubles are written so that they read back
// exactly (shortest round-trip form); NaN and infinities are written as null.
// Metric names: a value whose name the protocol refuses (empty, over 200 bytes,
// a control character U+0000-U+001F or U+007F, not valid UTF-8), or that would
// be the run's 1,001st distinct name, is SKIPPED and the rest of the line is
// written; the first 20 skipped values are reported on stderr (which Headroom
// keeps in stderr.log). A name given twice in one call keeps its last value.
// Quotes, backslashes and non-ASCII UTF-8 in names need no care: they are
// escaped or passed through. Strings in "error" are escaped likewise; bytes
// that are not valid UTF-8 become U+FFFD.
// Write failures (the events file cannot be opened or written) throw
// std::system_error. fsync's result is not checked.
// The event calls are thread-safe (one mutex per Run); the Run is neither
// copyable nor movable.
//
// Ending. finish(status, error) writes end (unless already written; a failure
// to write is reported on stderr) and calls std::exit with exit_code(status):
// ok 0, failed 1, invalid_config 2, diverged 3, preempted 4. end() writes the
// end event without exiting. A program that returns from main without either
// leaves Headroom to judge the run by its exit status alone.
//
// SIGTERM. handle_sigterm() installs (sigaction, SA_RESTART) a handler that
// only sets a process-wide volatile std::sig_atomic_t flag; stop_requested()
// reads it. The program polls it, saves a checkpoint, calls checkpoint(step)
// and finish(Status::preempted). Both are static: the flag is the process's.
//
// Config accessors read top-level fields of config.json, which is read once by
// the constructor and checked in full to be a JSON object (RFC 8259; strings
// valid UTF-8; nesting at most 512 deep; numbers within a double's range, as
// nlohmann::json, which reads the start event, requires). config_json() is its
// raw text ("" if there is none). Nested objects and arrays are skipped; for
// those, parse config_json() with a JSON library of your own. Command-line
// flags take no part. A field that is missing or null gives the fallback.
// When a key occurs twice, the last one counts.
//   number(name, fallback)   a JSON number within a double's range, as a double
//   integer(name, fallback)  a JSON number with a whole value in int64's range
//                            (2, 2.0 and 2e0 all give 2)
//   text(name, fallback)     a JSON string, decoded (escapes, surrogate pairs)
//   boolean(name, fallback)  true or false
// They throw headroom_worker::ConfigError (a std::runtime_error naming the
// field) for a field of another type, and for every name when config.json
// cannot be read or is not a valid JSON object. Catch it and finish with
// Status::invalid_config and its what() to tell Headroom.

#ifndef HEADROOM_WORKER_H
#define HEADROOM_WORKER_H

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <locale>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

// Floating-point std::to_chars/from_chars where the standard library has them
// (libstdc++ 11+); otherwise classic-locale streams. Define
// HEADROOM_WORKER_NO_FLOAT_CHARCONV to force the streams.
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L && !defined(HEADROOM_WORKER_NO_FLOAT_CHARCONV)
#define HEADROOM_WORKER_FLOAT_CHARCONV 1
#else
#define HEADROOM_WORKER_FLOAT_CHARCONV 0
#endif

namespace headroom_worker {

// How a worker ended; the end event's "status" and the process exit status.
enum class Status { ok, failed, invalid_config, diverged, preempted };

// A config field of the wrong type, or a config.json that is not usable.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline constexpr std::size_t kMaxMetricNameBytes = 200;
inline constexpr std::size_t kMaxMetricNamesPerRun = 1000;
inline constexpr int kMaxConfigDepth = 512;

inline volatile std::sig_atomic_t stop_flag = 0;
inline void on_sigterm(int) { stop_flag = 1; }

inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

inline constexpr std::string_view status_name(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::failed: return "failed";
    case Status::invalid_config: return "invalid_config";
    case Status::diverged: return "diverged";
    case Status::preempted: return "preempted";
  }
  return "failed";
}

// The length of the well-formed UTF-8 sequence at s[i] (1 to 4); 0 when the
// bytes there are not one (overlong forms, surrogates, past U+10FFFF, cut short).
inline std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Appends `s` as a JSON string: quotes, backslash and control characters
// escaped, valid UTF-8 passed through, invalid bytes replaced by U+FFFD.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\xef\xbf\xbd";
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

inline void append_integer(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// A finite double in the shortest form that reads back exactly; null otherwise.
inline void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == 0) {
    out += std::signbit(value) ? "-0.0" : "0";  // "-0" would read back as the integer 0
    return;
  }
#if HEADROOM_WORKER_FLOAT_CHARCONV
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
#else
  std::ostringstream stream;
  stream.imbue(std::locale::classic());
  stream.precision(17);
  stream << value;
  out += stream.str();
#endif
}

// The power of ten of a JSON number token's first significant digit
// (123 -> 2, 0.05e-3 -> -5), saturating; a very negative number for zero.
inline std::int64_t decimal_exponent(std::string_view token) {
  std::size_t i = token.substr(0, 1) == "-" ? 1 : 0;
  std::int64_t exponent = 0;
  bool found = false;
  std::int64_t integer_digits = 0;
  for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
    if (token[i] != '0') found = true;
    if (found) ++integer_digits;
  }
  if (found) {
    exponent = integer_digits - 1;
  } else if (i < token.size() && token[i] == '.') {
    std::int64_t zeros = 0;
    for (++i; i < token.size() && token[i] == '0'; ++i) ++zeros;
    if (i >= token.size() || token[i] < '1' || token[i] > '9') return -(std::int64_t(1) << 40);  // zero
    exponent = -(zeros + 1);
  } else {
    return -(std::int64_t(1) << 40);
  }
  const std::size_t e = token.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::size_t k = e + 1;
    const bool negative = k < token.size() && token[k] == '-';
    if (k < token.size() && (token[k] == '-' || token[k] == '+')) ++k;
    std::int64_t written = 0;
    for (; k < token.size(); ++k) written = std::min<std::int64_t>(written * 10 + (token[k] - '0'), 1000000000);
    exponent += negative ? -written : written;
  }
  return exponent;
}

// Parses a JSON number token (already checked against the grammar) as
// strtod would, a value too small for a double giving zero; false when it is
// too large (which nlohmann::json, like this header, refuses).
inline bool parse_double(std::string_view token, double& value) {
#if HEADROOM_WORKER_FLOAT_CHARCONV
  const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
  if (result.ec == std::errc() && result.ptr == token.data() + token.size()) return std::isfinite(value);
#else
  std::istringstream stream{std::string(token)};
  stream.imbue(std::locale::classic());
  stream >> value;
  if (!stream.fail() && stream.peek() == std::char_traits<char>::eof()) return std::isfinite(value);
#endif
  // Out of range: an overflow, or an underflow to zero.
  if (decimal_exponent(token) > 0) return false;
  value = token.substr(0, 1) == "-" ? -0.0 : 0.0;
  return true;
}

inline bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A strict JSON (RFC 8259) reader over a text: validates values, skipping
// them, and decodes strings.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  std::size_t position() const { return i_; }
  const std::string& problem() const { return problem_; }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void skip_space() {
    while (!at_end() && is_json_space(s_[i_])) ++i_;
  }
  bool expect(char c) {
    if (peek() != c) return fail(std::string("expected '") + c + "'");
    ++i_;
    return true;
  }
  bool fail(const std::string& what) {
    if (problem_.empty()) problem_ = what + " at byte " + std::to_string(i_);
    return false;
  }

  // Checks and skips one value (leading whitespace included).
  bool value(int depth) {
    skip_space();
    if (depth > kMaxConfigDepth) return fail("values nested too deep");
    switch (peek()) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string(nullptr);
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number();
        return fail(at_end() ? "a value is missing" : "not a JSON value");
    }
  }

  // Checks a string at the cursor; decodes it into *out unless out is null.
  bool string(std::string* out) {
    if (!expect('"')) return false;
    while (true) {
      if (at_end()) return fail("a string is not closed");
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return fail("a control character in a string");
      if (c == '\\') {
        if (!escape(out)) return false;
        continue;
      }
      const std::size_t n = utf8_length(s_, i_);
      if (n == 0) return fail("a string that is not valid UTF-8");
      if (out) out->append(s_.data() + i_, n);
      i_ += n;
    }
  }

  bool number() {
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (digit()) ++i_;
    } else {
      return fail("a malformed number");
    }
    if (peek() == '.') {
      ++i_;
      if (!digit()) return fail("a malformed number");
      while (digit()) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digit()) return fail("a malformed number");
      while (digit()) ++i_;
    }
    double value = 0;
    if (!parse_double(s_.substr(start, i_ - start), value)) return fail("a number too large for a double");
    return true;
  }

 private:
  bool digit() const { return peek() >= '0' && peek() <= '9'; }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("not a JSON value");
    i_ += word.size();
    return true;
  }

  bool object(int depth) {
    ++i_;  // '{'
    skip_space();
    if (peek() == '}') {
      ++i_;
      return true;
    }
    while (true) {
      skip_space();
      if (peek() != '"') return fail("expected a key");
      if (!string(nullptr)) return false;
      skip_space();
      if (!expect(':') || !value(depth + 1)) return false;
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      return expect('}');
    }
  }

  bool array(int depth) {
    ++i_;  // '['
    skip_space();
    if (peek() == ']') {
      ++i_;
      return true;
    }
    while (true) {
      if (!value(depth + 1)) return false;
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      return expect(']');
    }
  }

  int hex4() {
    if (s_.size() - i_ < 4) return -1;
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_ + static_cast<std::size_t>(k)];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return -1;
      }
    }
    i_ += 4;
    return v;
  }

  bool escape(std::string* out) {
    ++i_;  // the backslash
    if (at_end()) return fail("a string is not closed");
    const char c = s_[i_++];
    char plain = 0;
    switch (c) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': {
        const int unit = hex4();
        if (unit < 0) return fail("a malformed \\u escape");
        std::uint32_t cp = static_cast<std::uint32_t>(unit);
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail("a lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (s_.substr(i_, 2) != "\\u") return fail("a lone high surrogate");
          i_ += 2;
          const int low = hex4();
          if (low < 0) return fail("a malformed \\u escape");
          if (low < 0xdc00 || low > 0xdfff) return fail("a lone high surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (static_cast<std::uint32_t>(low) - 0xdc00);
        }
        if (out) append_utf8(*out, cp);
        return true;
      }
      default:
        --i_;
        return fail("an unknown escape");
    }
    if (out) *out += plain;
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string problem_;
};

// A config.json read: its top-level fields (raw value text), its compact form.
struct Config {
  struct Field {
    std::string name;
    std::string raw;  // the value's JSON text as written
  };
  std::vector<Field> fields;
  std::string compact = "{}";  // the object without whitespace, for the start event
  std::string problem;         // empty when the text is a valid JSON object
};

// Removes the whitespace outside strings of valid JSON text.
inline std::string compact_json(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\') {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (!is_json_space(c)) {
      out += c;
      in_string = c == '"';
    }
  }
  return out;
}

inline Config parse_config(std::string_view text) {
  Config config;
  if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);  // a UTF-8 byte order mark
  JsonReader reader(text);
  std::vector<Config::Field> fields;
  bool ok = [&] {
    reader.skip_space();
    if (reader.peek() != '{') return reader.fail("the config is not a JSON object");
    if (!reader.value(0)) return false;
    reader.skip_space();
    if (!reader.at_end()) return reader.fail("text after the config object");
    return true;
  }();
  if (!ok) {
    config.problem = reader.problem();
    return config;
  }
  // Valid: walk the top level again, keeping each field's raw value.
  JsonReader walk(text);
  walk.skip_space();
  walk.expect('{');
  walk.skip_space();
  while (walk.peek() == '"') {
    Config::Field field;
    walk.string(&field.name);
    walk.skip_space();
    walk.expect(':');
    walk.skip_space();
    const std::size_t start = walk.position();
    walk.value(1);
    field.raw = std::string(text.substr(start, walk.position() - start));
    fields.push_back(std::move(field));
    walk.skip_space();
    if (walk.peek() == ',') walk.expect(',');
    walk.skip_space();
  }
  config.fields = std::move(fields);
  config.compact = compact_json(text);
  return config;
}

inline bool read_file(const std::string& path, std::string& text, std::string& problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    problem = "cannot read " + path + ": " + std::generic_category().message(errno);
    return false;
  }
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = "cannot read " + path + ": " + std::generic_category().message(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

// Why `name` is not a metric name; empty when it is one.
inline std::string metric_name_problem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.size() > kMaxMetricNameBytes) return "the name is longer than 200 bytes";
  for (const char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "the name has a control character";
  }
  if (!valid_utf8(name)) return "the name is not valid UTF-8";
  return "";
}

inline bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// mkdir -p.
inline void make_directories(const std::string& path) {
  std::size_t slash = 0;
  do {
    slash = path.find('/', slash + 1);
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0777) != 0) {
      const int error = errno;
      if (error != EEXIST && !is_directory(prefix)) {
        throw std::system_error(error, std::generic_category(), "cannot create " + prefix);
      }
    }
  } while (slash != std::string::npos);
  if (!is_directory(path)) throw std::system_error(ENOTDIR, std::generic_category(), "cannot create " + path);
}

}  // namespace detail

class Run {
 public:
  // Reads the environment (and config.json); opens nothing yet.
  Run() {
    const std::string run_dir = detail::env("HEADROOM_RUN_DIR");
    events_path_ = detail::env("HEADROOM_EVENTS");
    if (events_path_.empty() && !run_dir.empty()) events_path_ = run_dir + "/events.jsonl";
    std::string config_path = detail::env("HEADROOM_CONFIG");
    if (config_path.empty() && !run_dir.empty()) config_path = run_dir + "/config.json";
    checkpoint_dir_ = detail::env("HEADROOM_CHECKPOINT_DIR");
    if (checkpoint_dir_.empty() && !run_dir.empty()) checkpoint_dir_ = run_dir + "/checkpoint";
    resuming_ = detail::env("HEADROOM_RESUME") == "1";
    if (!config_path.empty()) {
      if (detail::read_file(config_path, config_text_, config_.problem)) {
        config_ = detail::parse_config(config_text_);
        if (!config_.problem.empty()) config_.problem = config_path + ": " + config_.problem;
      } else {
        config_text_.clear();
      }
    }
  }

  ~Run() {
    if (fd_ >= 0) ::close(fd_);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Whether Headroom runs this program (an events file is named).
  bool active() const { return !events_path_.empty(); }
  // HEADROOM_RESUME is "1": restore from checkpoint_dir().
  bool resuming() const { return resuming_; }
  // The folder for checkpoint files, created if missing (throws
  // std::system_error if it cannot be); "" when the environment names none.
  std::string checkpoint_dir() const {
    if (!checkpoint_dir_.empty()) detail::make_directories(checkpoint_dir_);
    return checkpoint_dir_;
  }

  // --- config.json -------------------------------------------------------
  const std::string& config_json() const { return config_text_; }

  double number(std::string_view name, double fallback) const {
    const std::string* raw = field(name, "a number");
    if (!raw) return fallback;
    if ((*raw)[0] != '-' && ((*raw)[0] < '0' || (*raw)[0] > '9')) type_error(name, "a number", *raw);
    double value = 0;
    if (!detail::parse_double(*raw, value)) type_error(name, "a number in a double's range", *raw);
    return value;
  }

  std::int64_t integer(std::string_view name, std::int64_t fallback) const {
    const std::string* raw = field(name, "a whole number");
    if (!raw) return fallback;
    std::int64_t value = 0;
    const char* first = raw->data();
    const char* last = raw->data() + raw->size();
    const auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc() && result.ptr == last) return value;
    double real = 0;
    // Not a number, an integer literal past int64, or (2^63 being the first
    // double past int64's range) a value that is not a whole int64.
    if (result.ec != std::errc() || !detail::parse_double(*raw, real) || real != std::floor(real) ||
        real < -9223372036854775808.0 || real >= 9223372036854775808.0) {
      type_error(name, "a whole number in int64's range", *raw);
    }
    return static_cast<std::int64_t>(real);
  }

  std::string text(std::string_view name, std::string_view fallback) const {
    const std::string* raw = field(name, "a string");
    if (!raw) return std::string(fallback);
    std::string value;
    detail::JsonReader reader(*raw);
    if (raw->empty() || (*raw)[0] != '"' || !reader.string(&value)) type_error(name, "a string", *raw);
    return value;
  }

  bool boolean(std::string_view name, bool fallback) const {
    const std::string* raw = field(name, "true or false");
    if (!raw) return fallback;
    if (*raw == "true") return true;
    if (*raw == "false") return false;
    type_error(name, "true or false", *raw);
  }

  // --- events ------------------------------------------------------------
  // Writes the start event (once; later calls do nothing).
  void start(std::int64_t resumed_from_step = 0) {
    check_step(resumed_from_step);
    if (!active()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    start_locked(resumed_from_step);
  }

  void log(std::int64_t step, std::initializer_list<std::pair<std::string_view, double>> values) {
    values_event("metric", step, std::vector<std::pair<std::string_view, double>>(values.begin(), values.end()));
  }
  // Any range of (name, number) pairs: std::map<std::string, double>,
  // std::vector<std::pair<std::string, float>>, std::unordered_map, ...
  template <class Values, class = decltype(std::begin(std::declval<const Values&>()))>
  void log(std::int64_t step, const Values& values) {
    values_event("metric", step, pairs(values));
  }

  void eval(std::int64_t step, std::initializer_list<std::pair<std::string_view, double>> values) {
    values_event("eval", step, std::vector<std::pair<std::string_view, double>>(values.begin(), values.end()));
  }
  template <class Values, class = decltype(std::begin(std::declval<const Values&>()))>
  void eval(std::int64_t step, const Values& values) {
    values_event("eval", step, pairs(values));
  }

  // Says that a checkpoint of `step` is completely written.
  void checkpoint(std::int64_t step) {
    check_step(step);
    if (!active()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    start_locked(0);
    std::string line = head("checkpoint");
    line += ",\"step\":";
    detail::append_integer(line, step);
    line += "}\n";
    write_line(line, false);
  }

  // Writes the end event (fsync'ed) without exiting; once.
  void end(Status status, std::string_view error = {}) {
    if (!active()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    start_locked(0);
    std::string line = head("end");
    line += ",\"status\":";
    detail::append_json_string(line, detail::status_name(status));
    if (status != Status::ok) {
      line += ",\"error\":";
      detail::append_json_string(line, error.empty() ? default_error(status) : error);
    }
    line += "}\n";
    write_line(line, true);
    ended_ = true;
  }

  // Writes the end event (unless written) and exits with exit_code(status).
  [[noreturn]] void finish(Status status = Status::ok, std::string_view error = {}) {
    try {
      end(status, error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "headroom_worker: cannot write the end event: %s\n", e.what());
    }
    std::exit(exit_code(status));
  }

  static constexpr int exit_code(Status status) {
    switch (status) {
      case Status::ok: return 0;
      case Status::failed: return 1;
      case Status::invalid_config: return 2;
      case Status::diverged: return 3;
      case Status::preempted: return 4;
    }
    return 1;
  }

  // --- SIGTERM -----------------------------------------------------------
  static void handle_sigterm() {
    struct sigaction action {};
    action.sa_handler = &detail::on_sigterm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (::sigaction(SIGTERM, &action, nullptr) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot handle SIGTERM");
    }
  }
  static bool stop_requested() { return detail::stop_flag != 0; }

 private:
  [[noreturn]] static void type_error(std::string_view name, const char* wanted, const std::string& raw) {
    std::string shown = raw.size() > 60 ? raw.substr(0, 57) + "..." : raw;
    throw ConfigError("config field '" + std::string(name) + "' is not " + wanted + " (it is " + shown + ")");
  }

  // The raw text of the last top-level field `name`; null when it is missing
  // or null. Throws when config.json is unusable.
  const std::string* field(std::string_view name, const char* wanted) const {
    if (!config_.problem.empty()) {
      throw ConfigError("config field '" + std::string(name) + "' cannot be read as " + wanted + ": " +
                        config_.problem);
    }
    for (auto it = config_.fields.rbegin(); it != config_.fields.rend(); ++it) {
      if (it->name == name) return it->raw == "null" ? nullptr : &it->raw;
    }
    return nullptr;
  }

  static void check_step(std::int64_t step) {
    if (step < 0) throw std::invalid_argument("headroom_worker: a step is negative: " + std::to_string(step));
  }

  static std::string_view default_error(Status status) {
    switch (status) {
      case Status::ok: return "";
      case Status::failed: return "the worker failed";
      case Status::invalid_config: return "the worker's config is invalid";
      case Status::diverged: return "the training loss became NaN or infinite";
      case Status::preempted: return "stopped by SIGTERM after a checkpoint";
    }
    return "the worker failed";
  }

  template <class Values>
  static std::vector<std::pair<std::string_view, double>> pairs(const Values& values) {
    std::vector<std::pair<std::string_view, double>> out;
    for (const auto& [name, value] : values) out.emplace_back(std::string_view(name), static_cast<double>(value));
    return out;
  }

  static std::string head(const char* kind) {
    std::string line = "{\"v\":1,\"event\":\"";
    line += kind;
    line += "\",\"time\":";
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    detail::append_number(line, std::chrono::duration<double>(now).count());
    return line;
  }

  void start_locked(std::int64_t resumed_from_step) {
    if (started_ || ended_) return;
    std::string line = head("start");
    line += ",\"config\":";
    line += config_.problem.empty() ? config_.compact : std::string("{}");
    line += ",\"resumed_from_step\":";
    detail::append_integer(line, resumed_from_step);
    line += "}\n";
    write_line(line, false);
    started_ = true;
  }

  void skip(std::string_view name, const std::string& why) {
    if (skipped_ < 20) {
      std::string shown;
      detail::append_json_string(shown, name.substr(0, 80));
      std::fprintf(stderr, "headroom_worker: skipped the value of metric %s: %s\n", shown.c_str(), why.c_str());
    } else if (skipped_ == 20) {
      std::fprintf(stderr, "headroom_worker: further skipped metric values are not reported\n");
    }
    ++skipped_;
  }

  void values_event(const char* kind, std::int64_t step, const std::vector<std::pair<std::string_view, double>>& values) {
    check_step(step);
    if (!active()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    start_locked(0);
    std::string line = head(kind);
    line += ",\"step\":";
    detail::append_integer(line, step);
    line += ",\"values\":{";
    // A name given twice keeps its last value.
    std::unordered_map<std::string_view, std::size_t> last;
    if (values.size() > 1) {
      for (std::size_t i = 0; i < values.size(); ++i) last[values[i].first] = i;
    }
    bool first = true;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto& [name, value] = values[i];
      if (values.size() > 1 && last[name] != i) continue;
      if (std::string problem = detail::metric_name_problem(name); !problem.empty()) {
        skip(name, problem);
        continue;
      }
      if (names_.size() >= detail::kMaxMetricNamesPerRun && !names_.count(std::string(name))) {
        skip(name, "the run has 1000 distinct metric names already");
        continue;
      }
      names_.insert(std::string(name));
      if (!first) line += ',';
      first = false;
      detail::append_json_string(line, name);
      line += ':';
      detail::append_number(line, value);
    }
    line += "}}\n";
    write_line(line, false);
  }

  // One write() of the whole line (completed if partial), to the file opened
  // on the first call.
  void write_line(const std::string& line, bool durable) {
    if (fd_ < 0) {
      do {
        fd_ = ::open(events_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      } while (fd_ < 0 && errno == EINTR);
      if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "cannot open the events file " + events_path_);
      }
    }
    // After a failed write left part of a line, a newline first ends that
    // torn line (which readers refuse) so that this one stands on its own.
    std::string prefixed;
    if (torn_) prefixed = "\n" + line;
    const std::string& whole = torn_ ? prefixed : line;
    const char* data = whole.data();
    std::size_t left = whole.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = n < 0 ? errno : EIO;
        torn_ = torn_ || left < whole.size();
        throw std::system_error(error, std::generic_category(), "cannot write the events file " + events_path_);
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    torn_ = false;
    if (durable) {
      while (::fsync(fd_) != 0 && errno == EINTR) {
      }
    }
  }

  std::string events_path_;
  std::string checkpoint_dir_;
  bool resuming_ = false;
  std::string config_text_;
  detail::Config config_;

  std::mutex mutex_;
  int fd_ = -1;
  bool started_ = false;
  bool ended_ = false;
  bool torn_ = false;  // a write failed partway through a line
  std::unordered_set<std::string> names_;
  std::size_t skipped_ = 0;
};

}  // namespace headroom_worker

#endif  // HEADROOM_WORKER_H
