#pragma once
// Headroom's Python modules (workers/python: the `headroom` helper and the
// `wandb` drop-in), embedded in the binary at build time so that a program's
// worker gets them wherever headroom runs (cmake/embed_worker_files.cmake).

#include <string>
#include <vector>

namespace headroom {

struct EmbeddedFile {
  std::string path;  // relative to workers/python, e.g. "wandb_dropin/wandb/__init__.py"
  std::string content;
};

const std::vector<EmbeddedFile>& python_support_files();

}  // namespace headroom
