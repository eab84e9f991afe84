#pragma once
// Loads a text corpus as character ids (see vocabulary.h) and splits it into
// training and validation parts deterministically.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace headroom::trainer {

// A corpus that cannot be used; the message names the path.
class CorpusError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Corpus {
  std::vector<uint8_t> train;       // the first 95% of the text
  std::vector<uint8_t> validation;  // the last 5%
};

// `path` is a file, or a folder whose *.txt files are read in name order.
// Non-printable runs become one space and runs of spaces collapse, as in the
// prototype. Throws CorpusError when the path is unreadable, holds no text, or
// either split is shorter than `min_split_length` characters.
Corpus load_corpus(const std::string& path, size_t min_split_length);

}  // namespace headroom::trainer
