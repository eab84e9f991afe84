#include "orchestrator/serve/web_files.h"

namespace headroom {

const WebFile* find_web_file(std::string_view path) {
  for (const auto& file : web_files()) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

std::string_view content_type_of(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

}  // namespace headroom
