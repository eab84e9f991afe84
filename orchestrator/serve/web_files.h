#pragma once
// The dashboard's files, embedded in the binary at build time (no CDN, no
// file read at run time: it works offline and no URL reaches the disk): the
// page's own code from web/dashboard/ and the third-party code it uses from
// web/vendor/ (uPlot, pinned by web/package-lock.json; scripts/vendor-web
// refreshes the copies). cmake/embed_web_files.cmake writes the table.

#include <string_view>
#include <vector>

namespace headroom {

struct WebFile {
  std::string_view path;     // as served: "/static/app.js", "/static/vendor/uPlot.iife.min.js"
  std::string_view content;  // the file's bytes
};

// Every embedded file (generated).
const std::vector<WebFile>& web_files();

// The file served at `path`, or nullptr.
const WebFile* find_web_file(std::string_view path);

// The Content-Type for a file name by its extension (text/javascript, text/css,
// text/html, image/svg+xml; text/plain for anything else, which nosniff keeps so).
std::string_view content_type_of(std::string_view path);

}  // namespace headroom
