#pragma once
// Writing a whole text file, with an error that names it.

#include <string>

#include "common/result.h"

namespace headroom {

// Creates or truncates `path` and writes `content`; an I/O error naming the
// path when any step fails.
Status write_text_file(const std::string& path, const std::string& content);

}  // namespace headroom
