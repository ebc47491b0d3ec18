# Run one command script in batch mode and compare its output (stdout, then
# stderr, then the exit status) with NAME.out beside it through NUMDIFF
# (tests/numdiff.sh): numbers within a tolerance, all other text byte for
# byte. NAME.tol beside it, if present, holds the tolerances and why.
# Used for tests/cmd/*.lens and examples/*.lens; SCRIPT's directory is
# copied to WORK/NAME and the script runs there.
# BAYESLENS_UPDATE_GOLDEN=1 rewrites NAME.out instead: read the diff before
# committing.
get_filename_component(dir ${SCRIPT} DIRECTORY)
get_filename_component(name ${SCRIPT} NAME_WE)
set(expected ${dir}/${name}.out)
# Run in a scratch copy of tests/cmd so that exports never litter the sources.
set(work ${WORK}/${name})
file(REMOVE_RECURSE ${work})
file(COPY ${dir}/ DESTINATION ${work} PATTERN "*.out" EXCLUDE PATTERN "*.tol" EXCLUDE)
execute_process(COMMAND ${BIN} -x ${name}.lens
  WORKING_DIRECTORY ${work}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(got "${out}--- stderr\n${err}--- exit ${rc}\n")
if(DEFINED ENV{BAYESLENS_UPDATE_GOLDEN} AND "$ENV{BAYESLENS_UPDATE_GOLDEN}" STREQUAL "1")
  file(WRITE ${expected} "${got}")
  message(STATUS "updated ${expected}")
  return()
endif()
if(NOT EXISTS ${expected})
  message(FATAL_ERROR "missing ${expected}; run with BAYESLENS_UPDATE_GOLDEN=1 to create it")
endif()
set(rules "")
if(EXISTS ${dir}/${name}.tol)
  set(rules ${dir}/${name}.tol)
endif()
file(WRITE ${work}.got "${got}")
execute_process(COMMAND sh ${NUMDIFF} ${expected} ${work}.got ${rules} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  execute_process(COMMAND diff -u ${expected} ${work}.got)
  message(FATAL_ERROR "output of ${name}.lens differs from ${name}.out (numdiff status ${diff})")
endif()
