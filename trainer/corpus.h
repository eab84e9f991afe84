#pragma once
// Loads a text corpus as character ids (see vocabulary.h) and splits it into
// training and validation parts deterministically.

#include <cstdint>
#include <optional>
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

// Why load_corpus(path, min_split_length, test_split) would throw, or nothing
// if it would not; counts characters without keeping them, so the
// orchestrator checks a corpus before launching workers on it.
std::optional<std::string> corpus_problem(const std::string& path, size_t min_split_length, bool test_split);

// The shortest split a task's windows fit in: a window of seq_len characters
// (mlm) or seq_len + 1 (lm: inputs and next-character targets), plus one.
size_t shortest_split_for(const std::string& task, int64_t seq_len);

}  // namespace headroom::trainer
