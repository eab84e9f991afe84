#include "trainer/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace headroom::trainer {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> text_files(const std::string& path) {
  std::error_code error;
  auto status = fs::status(path, error);
  if (error || !fs::exists(status)) throw CorpusError("corpus '" + path + "' does not exist");
  if (fs::is_regular_file(status)) return {path};
  if (!fs::is_directory(status)) throw CorpusError("corpus '" + path + "' is not a file or folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  if (error) throw CorpusError("corpus folder '" + path + "' cannot be read: " + error.message());
  if (files.empty()) throw CorpusError("corpus folder '" + path + "' has no .txt files");
  std::sort(files.begin(), files.end());
  return files;
}

// Calls emit(id) for each of the file's characters as ids 0..94, one space
// (id 0) for any run of non-printable bytes or spaces; `last_was_space`
// carries across files, which are joined with one space as the prototype
// joins them.
template <class Emit>
void read_characters(const fs::path& file, bool& last_was_space, Emit&& emit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CorpusError("corpus file '" + file.string() + "' cannot be opened");
  if (!last_was_space) {
    emit(uint8_t(0));
    last_was_space = true;
  }
  for (auto it = std::istreambuf_iterator<char>(in); it != std::istreambuf_iterator<char>(); ++it) {
    unsigned char byte = static_cast<unsigned char>(*it);
    bool printable = byte > 0x20 && byte <= 0x7e;
    if (printable) {
      emit(static_cast<uint8_t>(byte - 0x20));
      last_was_space = false;
    } else if (!last_was_space) {
      emit(uint8_t(0));
      last_was_space = true;
    }
  }
}

// The held-out part (5%) and its test half, as load_corpus splits `total` characters.
size_t train_end(size_t total) { return total * 95 / 100; }
size_t validation_end(size_t total, bool test_split) {
  return test_split ? train_end(total) + (total - train_end(total)) / 2 : total;
}

std::optional<std::string> size_problem(const std::string& path, size_t total, size_t min_split_length,
                                        bool test_split) {
  const size_t validation = validation_end(total, test_split) - train_end(total);
  const size_t test = total - validation_end(total, test_split);
  const size_t shortest = test_split ? std::min(validation, test) : validation;
  if (shortest >= min_split_length) return std::nullopt;
  const size_t factor = test_split ? 40 : 20;
  return "corpus '" + path + "' is too small: " + std::to_string(total) + " characters, need at least " +
         std::to_string(min_split_length * factor) + " so that the " +
         (test_split ? "validation and test halves of the 5% held out each hold" : "5% validation split holds") +
         " one sequence";
}

}  // namespace

Corpus load_corpus(const std::string& path, size_t min_split_length, bool test_split) {
  std::vector<uint8_t> ids;
  bool last_was_space = true;
  for (const auto& file : text_files(path)) read_characters(file, last_was_space, [&](uint8_t id) { ids.push_back(id); });
  if (auto problem = size_problem(path, ids.size(), min_split_length, test_split)) throw CorpusError(*problem);
  Corpus corpus;
  corpus.train.assign(ids.begin(), ids.begin() + train_end(ids.size()));
  corpus.validation.assign(ids.begin() + train_end(ids.size()), ids.begin() + validation_end(ids.size(), test_split));
  corpus.test.assign(ids.begin() + validation_end(ids.size(), test_split), ids.end());
  return corpus;
}

std::optional<std::string> corpus_problem(const std::string& path, size_t min_split_length, bool test_split) {
  try {
    size_t total = 0;
    bool last_was_space = true;
    for (const auto& file : text_files(path)) read_characters(file, last_was_space, [&](uint8_t) { ++total; });
    return size_problem(path, total, min_split_length, test_split);
  } catch (const CorpusError& error) {
    return error.what();
  }
}

size_t shortest_split_for(const std::string& task, int64_t seq_len) {
  const int64_t window = task == "lm" ? seq_len + 1 : seq_len;
  return size_t(std::max<int64_t>(window, 1)) + 1;
}

}  // namespace headroom::trainer
