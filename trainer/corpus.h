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
  std::vector<uint8_t> validation;  // the last 5% (the first half of it when a test split is asked for)
  std::vector<uint8_t> test;        // the second half of the last 5% when asked for, else empty
};

// `path` is a file, or a folder whose *.txt files are read in name order.
// Non-printable runs become one space and runs of spaces collapse, as in the
// prototype. Throws CorpusError when the path is unreadable, holds no text, or
// either split is shorter than `min_split_length` characters.
// With `test_split` the held-out 5% is halved into validation and test, so
// the training text is the same either way.
Corpus load_corpus(const std::string& path, size_t min_split_length, bool test_split = false);

}  // namespace headroom::trainer
