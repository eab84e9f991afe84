#pragma once
// `headroom serve`: the dashboard's HTTP server (cpp-httplib). Answers GET
// only: the JSON API (api.h) over a read-only connection opened per request,
// so a running sweep's writer is never blocked (WAL readers do not block the
// writer), the page at / and its files under /static/ (web_files.h),
// embedded in the binary. Safe by default: binds 127.0.0.1; on any other
// address every request but those for /static/ (code, no data) must carry
// the token printed at start (?token=T or "Authorization: Bearer T"), as
// Jupyter does. Every answer carries a Content-Security-Policy that allows
// only this server's own scripts and styles, no framing, and no sniffing; no
// path maps to a file on disk, so nothing can be traversed. Nothing is
// compressed (see server.cc: cpp-httplib's brotli cost seconds).

#include <functional>
#include <string>

#include "common/result.h"

namespace headroom {

struct ServeOptions {
  std::string database;
  std::string host = "127.0.0.1";
  int port = 8700;       // 0: any free port
  std::string token;     // required when host is not a loopback address; empty: made at start
};

// Serves until SIGINT or SIGTERM; `on_listening` is called with the URL to
// open (token included when one is needed) once the socket is bound.
Status serve(const ServeOptions& options, const std::function<void(const std::string& url)>& on_listening);

}  // namespace headroom
