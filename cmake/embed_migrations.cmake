# Generates a C++ file holding every schema/NNN_*.sql migration, so the
# headroom binary can create and upgrade databases without its source tree.
# Usage: cmake -DSCHEMA_DIR=... -DOUTPUT=... -P embed_migrations.cmake
file(GLOB migrations "${SCHEMA_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT migrations)
set(body "")
foreach(path IN LISTS migrations)
  get_filename_component(name "${path}" NAME)
  string(SUBSTRING "${name}" 0 3 number)
  math(EXPR version "${number}")
  file(READ "${path}" sql)
  string(APPEND body "    {${version}, \"${name}\", R\"headroom_sql(${sql})headroom_sql\"},\n")
endforeach()
set(content "// Generated from schema/*.sql by cmake/embed_migrations.cmake. Do not edit.\n#include \"orchestrator/store/migrations.h\"\n\nnamespace headroom {\n\nconst std::vector<Migration>& migrations() {\n  static const std::vector<Migration> all = {\n${body}  };\n  return all;\n}\n\n}  // namespace headroom\n")
include("${CMAKE_CURRENT_LIST_DIR}/write_if_changed.cmake")
write_if_changed("${OUTPUT}" "${content}")
