#pragma once
// Writing a whole text file, with an error that names it; and text made safe
// for a terminal.

#include <string>

#include "common/result.h"

namespace headroom {

// Creates or truncates `path` and writes `content`; an I/O error naming the
// path when any step fails.
Status write_text_file(const std::string& path, const std::string& content);

// `text` with every control byte other than newline and tab written as \xNN,
// so that text from a user's file or a worker's output can never move the
// cursor, clear the screen or ring the bell of the terminal showing it.
std::string printable(const std::string& text);

}  // namespace headroom
