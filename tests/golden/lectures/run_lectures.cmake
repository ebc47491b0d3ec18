# Live screenshots of each lecture: every examples/NAME.lens is run in batch
# mode (in a scratch copy of examples/) and, after its last step, screenshot
# at 80x24 and 200x60, through the same renderer as the live screen; each
# NAME_COLSxROWS.txt is compared with the file of that name here through
# NUMDIFF (text byte for byte, numbers to the last printed digit, or as
# NAME.tol says with its reasons).
# BAYESLENS_UPDATE_GOLDEN=1 rewrites them: read every changed file.
set(work ${WORK}/lectures)
file(REMOVE_RECURSE ${work})
file(COPY ${EXAMPLES}/ DESTINATION ${work} FILES_MATCHING PATTERN "*.lens")
file(GLOB scripts RELATIVE ${work} ${work}/*.lens)
list(SORT scripts)
set(bad "")
set(count 0)
foreach(script ${scripts})
  get_filename_component(name ${script} NAME_WE)
  file(READ ${work}/${script} body)
  file(WRITE ${work}/${name}.shot
    "${body}\nscreenshot ${name}_80x24.txt cols=80 rows=24\n"
    "screenshot ${name}_200x60.txt cols=200 rows=60\n")
  execute_process(COMMAND ${BIN} -x ${name}.shot WORKING_DIRECTORY ${work}
    OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(APPEND bad "${name} (exit ${rc}: ${err})")
    continue()
  endif()
  foreach(f ${name}_80x24.txt ${name}_200x60.txt)
    math(EXPR count "${count} + 1")
    if(DEFINED ENV{BAYESLENS_UPDATE_GOLDEN} AND "$ENV{BAYESLENS_UPDATE_GOLDEN}" STREQUAL "1")
      file(COPY ${work}/${f} DESTINATION ${DIR})
    elseif(NOT EXISTS ${DIR}/${f})
      list(APPEND bad "${f} (no golden)")
    else()
      # NAME.tol beside the goldens loosens some lines of both sizes, each
      # rule with its reason (tests/numdiff.sh).
      set(rules "")
      if(EXISTS ${DIR}/${name}.tol)
        set(rules ${DIR}/${name}.tol)
      endif()
      execute_process(COMMAND sh ${NUMDIFF} ${DIR}/${f} ${work}/${f} ${rules} RESULT_VARIABLE diff)
      if(NOT diff EQUAL 0)
        execute_process(COMMAND diff -u ${DIR}/${f} ${work}/${f})
        list(APPEND bad ${f})
      endif()
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "lecture screens differ from the goldens: ${bad}")
endif()
message(STATUS "${count} lecture screens match")
