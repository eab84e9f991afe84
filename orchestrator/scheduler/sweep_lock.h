#pragma once
// One orchestrator per sweep: an exclusive flock on a file beside the
// database. The kernel drops the lock when its holder exits, however it
// exits (kill -9 included), so a crash never leaves a stale lock behind.

#include <memory>
#include <string>

#include "common/result.h"

namespace headroom {

class SweepLock {
 public:
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

  // Takes the lock of `sweep` in `database` without waiting; a busy error
  // naming the holder's pid when another process has it.
  static Result<std::unique_ptr<SweepLock>> acquire(const std::string& database, const std::string& sweep);

  const std::string& path() const { return path_; }

 private:
  SweepLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace headroom
