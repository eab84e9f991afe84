# Generates a C++ file holding the dashboard's files (web/dashboard/*) and the
# vendored third-party code it uses (web/vendor/*), served by headroom serve
# under /static/ (orchestrator/serve/web_files.h). Bytes, not raw string
# literals: no content can collide with a delimiter, and -Wpedantic's limit on
# a literal's length (65,536 characters) never binds.
# Usage: cmake -DWEB_DIR=web -DOUTPUT=... -P embed_web_files.cmake
set(arrays "")
set(entries "")
set(index 0)
foreach(folder dashboard vendor)
  file(GLOB files RELATIVE "${WEB_DIR}/${folder}" "${WEB_DIR}/${folder}/*")
  list(SORT files)
  foreach(name IN LISTS files)
    if(IS_DIRECTORY "${WEB_DIR}/${folder}/${name}")
      continue()
    endif()
    # The name becomes a URL path and a C++ string literal: plain names only.
    if(NOT name MATCHES "^[A-Za-z0-9._-]+$")
      message(FATAL_ERROR "web/${folder}/${name}: only letters, digits, '.', '_' and '-' in the dashboard's file names")
    endif()
    if(folder STREQUAL "dashboard")
      set(served "/static/${name}")
    else()
      set(served "/static/vendor/${name}")
    endif()
    file(READ "${WEB_DIR}/${folder}/${name}" hex HEX)
    string(LENGTH "${hex}" hex_length)
    math(EXPR size "${hex_length} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    # An empty file still needs an array of one element.
    if(size EQUAL 0)
      set(bytes "0")
    endif()
    string(APPEND arrays "const unsigned char file_${index}[] = {${bytes}};\n")
    string(APPEND entries "      {\"${served}\", {reinterpret_cast<const char*>(file_${index}), ${size}}},\n")
    math(EXPR index "${index} + 1")
  endforeach()
endforeach()
set(content "// Generated from web/ by cmake/embed_web_files.cmake. Do not edit.\n#include \"orchestrator/serve/web_files.h\"\n\nnamespace headroom {\nnamespace {\n\n${arrays}\n}  // namespace\n\nconst std::vector<WebFile>& web_files() {\n  static const std::vector<WebFile> all = {\n${entries}  };\n  return all;\n}\n\n}  // namespace headroom\n")
include("${CMAKE_CURRENT_LIST_DIR}/write_if_changed.cmake")
write_if_changed("${OUTPUT}" "${content}")
