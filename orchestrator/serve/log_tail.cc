#include "orchestrator/serve/log_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace headroom {
namespace {

// Closes the descriptor on every path out.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// The start of the last `lines` lines of `text` (a final newline ends the
// last line rather than starting an empty one).
size_t start_of_last_lines(const std::string& text, size_t lines) {
  if (lines == 0) return text.size();
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  for (size_t seen = 0; end > 0; --end) {
    if (text[end - 1] == '\n' && ++seen == lines) return end;
  }
  return 0;
}

}  // namespace

Result<LogTail> read_log_tail(const std::filesystem::path& file, size_t lines, size_t max_bytes) {
  LogTail tail;
  // O_NOFOLLOW: a link in the file's place is refused (ELOOP), not followed.
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  FileDescriptor descriptor{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (descriptor.fd < 0) {
    if (errno == ENOENT) return tail;
    return Error::io("cannot read '" + file.string() + "': " + std::strerror(errno));
  }
  struct stat status {};
  if (::fstat(descriptor.fd, &status) != 0)
    return Error::io("cannot stat '" + file.string() + "': " + std::strerror(errno));
  if (!S_ISREG(status.st_mode))
    return Error::io("'" + file.string() + "' is not a regular file: not read");
  tail.exists = true;
  tail.bytes = uint64_t(status.st_size);
  const uint64_t offset = tail.bytes > max_bytes ? tail.bytes - max_bytes : 0;
  std::string text(size_t(tail.bytes - offset), '\0');
  size_t filled = 0;
  while (filled < text.size()) {
    const ssize_t got =
        ::pread(descriptor.fd, text.data() + filled, text.size() - filled, off_t(offset + filled));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::io("cannot read '" + file.string() + "': " + std::strerror(errno));
    if (got == 0) break;  // the file shrank meanwhile
    filled += size_t(got);
  }
  text.resize(filled);
  size_t start = 0;
  if (offset > 0) {
    // The first line read began before the window: drop it rather than show half of it.
    const size_t newline = text.find('\n');
    start = newline == std::string::npos ? text.size() : newline + 1;
    tail.truncated = true;
  }
  const size_t kept = std::max(start, start_of_last_lines(text, lines));
  tail.truncated = tail.truncated || kept > 0;
  tail.text = text.substr(kept);
  return tail;
}

}  // namespace headroom
