#pragma once
// The character vocabulary of the text tasks: printable ASCII 0x20..0x7e map to
// ids 0..94; every other byte run becomes one space (as in the prototype).

#include <cstdint>

namespace headroom::trainer {

inline constexpr int64_t kCharacterVocabulary = 95;
inline constexpr int64_t kMaskToken = kCharacterVocabulary;  // mlm input only

}  // namespace headroom::trainer
