# tests/man/check_install.cmake - `cmake --install` into a staging directory
# (as `make install DESTDIR=...` does) lays down the binary and the page.
# BUILD: the build tree; STAGE: a scratch directory inside it.
file(REMOVE_RECURSE ${STAGE})
set(ENV{DESTDIR} ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix /opt/bl
                RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${log}")
endif()
foreach(f ${STAGE}/opt/bl/bin/bayeslens ${STAGE}/opt/bl/share/man/man1/bayeslens.1)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "install did not create ${f}:\n${log}")
  endif()
endforeach()
file(READ ${STAGE}/opt/bl/share/man/man1/bayeslens.1 page LIMIT 400)
if(NOT page MATCHES "\\.TH BAYESLENS 1")
  message(FATAL_ERROR "installed bayeslens.1 is not the manual page")
endif()
file(REMOVE_RECURSE ${STAGE})
message(STATUS "install: bin/bayeslens and share/man/man1/bayeslens.1")
