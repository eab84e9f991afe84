#pragma once
// Helpers for tests that work at the user's level: real files in a fresh
// temporary folder and the real headroom / headroom-train binaries.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace headroom::testing {

// A fresh folder, removed when the object goes away.
class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/name and returns its full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_status = -1;
  std::string out, err;
};

// Runs a program (argv[0] is a path) in `working_dir` and captures its output.
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& working_dir);
// The same with variables added to (or replacing in) the test's environment.
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& working_dir,
                          const std::map<std::string, std::string>& environment);

std::string headroom_binary();
std::string trainer_binary();
std::string test_worker_binary();
std::string read_file(const std::filesystem::path& path);

// A tiny text corpus (about 40 kB of English-like text) written into `folder`;
// returns its path. Keeps trainer tests independent of installed docs.
std::string write_small_corpus(const TemporaryFolder& folder);

}  // namespace headroom::testing
