#include "tests/support/test_support.h"

#include <unistd.h>

#include <boost/process.hpp>
#include <fstream>
#include <random>
#include <sstream>

namespace headroom::testing {

namespace fs = std::filesystem;
namespace bp = boost::process;

TemporaryFolder::TemporaryFolder() {
  std::random_device seed;
  path_ = fs::temp_directory_path() /
          ("headroom-test-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
  fs::create_directories(path_);
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code error;
  fs::remove_all(path_, error);
}

std::string TemporaryFolder::write(const std::string& name, const std::string& content) const {
  fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  return file.string();
}

CommandResult run_command(const std::vector<std::string>& argv, const fs::path& working_dir) {
  return run_command(argv, working_dir, {});
}

CommandResult run_command(const std::vector<std::string>& argv, const fs::path& working_dir,
                          const std::map<std::string, std::string>& environment) {
  bp::ipstream out, err;
  // Through env(1): Boost 1.74's environment editing reads past short keys (ASan).
  std::string program = argv[0];
  std::vector<std::string> arguments;
  if (!environment.empty()) {
    program = "/usr/bin/env";
    for (const auto& [name, value] : environment) arguments.push_back(name + "=" + value);
    arguments.push_back(argv[0]);
  }
  arguments.insert(arguments.end(), argv.begin() + 1, argv.end());
  bp::child child(bp::exe = program, bp::args = arguments, bp::start_dir = working_dir.string(),
                  bp::std_in < bp::null, bp::std_out > out, bp::std_err > err);
  CommandResult result;
  // Read both pipes on this thread: small outputs only (tests), so read err after out.
  std::stringstream out_text, err_text;
  out_text << out.rdbuf();
  err_text << err.rdbuf();
  child.wait();
  result.exit_status = child.exit_code();
  result.out = out_text.str();
  result.err = err_text.str();
  return result;
}

std::string headroom_binary() { return std::string(HEADROOM_BINARY_DIR) + "/headroom"; }
std::string test_worker_binary() { return std::string(HEADROOM_BINARY_DIR) + "/headroom-test-worker"; }
std::string trainer_binary() { return std::string(HEADROOM_BINARY_DIR) + "/headroom-train"; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string write_small_corpus(const TemporaryFolder& folder) {
  static const char* kWords[] = {"the", "attention", "head", "rank", "matrix", "sequence", "token",
                                 "model", "layer", "embedding", "of", "a", "is", "and", "to",
                                 "size", "low", "bottleneck", "softmax", "query", "key", "value"};
  std::mt19937 generator(42);
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string text;
  while (text.size() < 40000) {
    text += kWords[pick(generator)];
    text += (generator() % 9 == 0) ? ".\n" : " ";
  }
  return folder.write("corpus/text.txt", text);
}

}  // namespace headroom::testing
