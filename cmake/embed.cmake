# embed_files(OUT FILE...): write OUT, a C file defining
#   const struct dib_embedded dib_embedded[] = {{"name", bytes, len}, ...};
# so that shipped data files live in the binary.
function(embed_files out)
  string(REPLACE ";" "|" files "${ARGN}")
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DFILES=${files}"
      -P ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${ARGN} ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding data files" VERBATIM)
endfunction()

# embed_dir(OUT SYMBOL DIR STAMP): write OUT, a C file defining
#   const struct dib_embedded SYMBOL[] = {{"path/in/DIR", bytes, len}, ...};
# with every file under DIR, listed when the build runs (the web UI's
# names carry content hashes, unknown at configure time); rebuilt when
# STAMP, the last output of what fills DIR, changes.
function(embed_dir out symbol dir stamp)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} -DDIR=${dir}
      -P ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${stamp} ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${dir}" VERBATIM)
endfunction()
