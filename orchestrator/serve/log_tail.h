#pragma once
// The last lines of a run's output file (stdout.log, stderr.log), for the
// dashboard's run page. The caller names the file from the database (the
// run's folder and the protocol's file name), never from a request, so a
// client cannot choose what is read. A symbolic link in the file's place is
// not followed and anything but a regular file (a FIFO a worker left there)
// is not read: the dashboard shows output, not whatever a link points at.

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace headroom {

struct LogTail {
  bool exists = false;     // a regular file is there (the worker may not have started yet)
  std::string text;        // the last lines, each with its newline (the last maybe without)
  uint64_t bytes = 0;      // the file's size
  bool truncated = false;  // earlier output was left out
};

// Reads at most the last `max_bytes` of `file` and keeps its last `lines`
// lines; a line cut by `max_bytes` is dropped whole. A missing file is
// exists = false; a link, a non-regular file or a read error is an io error.
Result<LogTail> read_log_tail(const std::filesystem::path& file, size_t lines, size_t max_bytes);

}  // namespace headroom
