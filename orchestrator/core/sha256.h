#pragma once
// SHA-256 of a byte string as lowercase hex (OpenSSL's implementation).

#include <string>
#include <string_view>

namespace headroom {

std::string sha256_hex(std::string_view bytes);

}  // namespace headroom
