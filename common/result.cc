#include "common/result.h"

namespace headroom {

std::string Diagnostic::to_string() const {
  std::string text;
  if (!where.file.empty()) {
    text = where.file + ":";
    if (where.line > 0) {
      text += std::to_string(where.line) + ":";
      if (where.column > 0) text += std::to_string(where.column) + ":";
    }
    text += " ";
  }
  return text + message;
}

namespace {
Error single(ErrorKind kind, std::string message, Location where = {}) {
  return Error{kind, {Diagnostic{std::move(where), std::move(message)}}};
}
}  // namespace

Error Error::invalid(std::string message, Location where) {
  return single(ErrorKind::invalid_input, std::move(message), std::move(where));
}
Error Error::invalid(std::vector<Diagnostic> diagnostics) {
  return Error{ErrorKind::invalid_input, std::move(diagnostics)};
}
Error Error::io(std::string message) { return single(ErrorKind::io, std::move(message)); }
Error Error::corrupt(std::string message) { return single(ErrorKind::corrupt, std::move(message)); }
Error Error::busy(std::string message) { return single(ErrorKind::busy, std::move(message)); }
Error Error::internal(std::string message) { return single(ErrorKind::internal, std::move(message)); }

std::string Error::to_string() const {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) text += "\n";
    text += diagnostic.to_string();
  }
  return text;
}

int exit_status(ErrorKind kind) { return kind == ErrorKind::invalid_input ? 2 : 1; }

}  // namespace headroom
