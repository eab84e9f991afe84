# write_if_changed(PATH CONTENT): writes CONTENT to PATH only when it differs
# from what is there, so a generated file's timestamp moves (and what depends
# on it rebuilds) only when its content does. Shared by the generators run
# with `cmake -P` (embed_migrations, embed_worker_files, version_header).
function(write_if_changed path content)
  set(previous "")
  if(EXISTS "${path}")
    file(READ "${path}" previous)
  endif()
  if(NOT "${previous}" STREQUAL "${content}")
    file(WRITE "${path}" "${content}")
  endif()
endfunction()
