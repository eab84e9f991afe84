# Generates a C++ file holding every workers/python/**/*.py, so that headroom
# can give a program's worker Headroom's Python modules without its source tree.
# Usage: cmake -DSOURCE_DIR=workers/python -DOUTPUT=... -P embed_worker_files.cmake
file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*.py")
list(SORT files)
set(body "")
foreach(relative IN LISTS files)
  file(READ "${SOURCE_DIR}/${relative}" text)
  string(APPEND body "    {\"${relative}\", R\"headroom_file(${text})headroom_file\"},\n")
endforeach()
set(content "// Generated from workers/python by cmake/embed_worker_files.cmake. Do not edit.\n#include \"orchestrator/scheduler/worker_files.h\"\n\nnamespace headroom {\n\nconst std::vector<EmbeddedFile>& python_support_files() {\n  static const std::vector<EmbeddedFile> all = {\n${body}  };\n  return all;\n}\n\n}  // namespace headroom\n")
include("${CMAKE_CURRENT_LIST_DIR}/write_if_changed.cmake")
write_if_changed("${OUTPUT}" "${content}")
