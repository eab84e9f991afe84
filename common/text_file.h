#pragma once
// Writing a whole text file, with an error that names it; text made safe for
// a terminal; UTF-8 checked.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace headroom {

// Creates or truncates `path` and writes `content`; an I/O error naming the
// path when any step fails.
Status write_text_file(const std::string& path, const std::string& content);

// `text` with every control byte other than newline and tab, and every byte
// that is not part of valid UTF-8, written as \xNN, so that text from a
// user's file or a worker's output can never move the cursor, clear the
// screen or ring the bell of the terminal showing it.
std::string printable(const std::string& text);

// The byte offset of the first byte of `text` that is not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF included);
// nullopt when all of it is.
std::optional<size_t> first_invalid_utf8(std::string_view text);

}  // namespace headroom
