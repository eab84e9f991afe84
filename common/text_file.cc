#include "common/text_file.h"

#include <fstream>

namespace headroom {

Status write_text_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return Error::io("cannot write '" + path + "'");
  return Ok{};
}

}  // namespace headroom
