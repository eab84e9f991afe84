#include "orchestrator/scheduler/sweep_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "orchestrator/core/sha256.h"

namespace headroom {

SweepLock::~SweepLock() { ::close(fd_); }  // closing releases the lock

Result<std::unique_ptr<SweepLock>> SweepLock::acquire(const std::string& database, const std::string& sweep) {
  // Sweep names may hold any character: the file is named by a hash prefix.
  const std::string path = database + ".lock-" + sha256_hex(sweep).substr(0, 16);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::io("cannot open lock file '" + path + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    ssize_t length = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    if (error == EWOULDBLOCK) {
      std::string pid = length > 0 ? std::string(holder, size_t(length)) : std::string("unknown");
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Error::busy("sweep '" + sweep + "' is being run by another orchestrator (pid " + pid +
                         "); wait for it, or stop it first");
    }
    return Error::io("cannot lock '" + path + "': " + std::strerror(error));
  }
  // Who holds it, for the message above; the lock itself is the flock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    // Only the message suffers; the lock holds.
  }
  return std::unique_ptr<SweepLock>(new SweepLock(fd, path));
}

}  // namespace headroom
