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
