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

// Appends the file's characters as ids 0..94, one space for any run of
// non-printable bytes or spaces.
void append_characters(const fs::path& file, std::vector<uint8_t>& ids) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CorpusError("corpus file '" + file.string() + "' cannot be opened");
  // Files are joined with one space, as the prototype joins them.
  bool last_was_space = ids.empty() || ids.back() == 0;
  if (!last_was_space) {
    ids.push_back(0);
    last_was_space = true;
  }
  for (auto it = std::istreambuf_iterator<char>(in); it != std::istreambuf_iterator<char>(); ++it) {
    unsigned char byte = static_cast<unsigned char>(*it);
    bool printable = byte > 0x20 && byte <= 0x7e;
    if (printable) {
      ids.push_back(static_cast<uint8_t>(byte - 0x20));
      last_was_space = false;
    } else if (!last_was_space) {
      ids.push_back(0);
      last_was_space = true;
    }
  }
}

}  // namespace

Corpus load_corpus(const std::string& path, size_t min_split_length, bool test_split) {
  std::vector<uint8_t> ids;
  for (const auto& file : text_files(path)) append_characters(file, ids);
  const size_t cut = ids.size() * 95 / 100;
  const size_t test_cut = test_split ? cut + (ids.size() - cut) / 2 : ids.size();
  Corpus corpus;
  corpus.train.assign(ids.begin(), ids.begin() + cut);
  corpus.validation.assign(ids.begin() + cut, ids.begin() + test_cut);
  corpus.test.assign(ids.begin() + test_cut, ids.end());
  const size_t shortest = test_split ? std::min(corpus.validation.size(), corpus.test.size()) : corpus.validation.size();
  if (shortest < min_split_length) {
    const size_t factor = test_split ? 40 : 20;
    throw CorpusError("corpus '" + path + "' is too small: " + std::to_string(ids.size()) +
                      " characters, need at least " + std::to_string(min_split_length * factor) + " so that the " +
                      (test_split ? "validation and test halves of the 5% held out each hold" : "5% validation split holds") +
                      " one sequence");
  }
  return corpus;
}

}  // namespace headroom::trainer
