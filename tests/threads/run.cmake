# Run tests/threads/threads.lens with OPENBLAS_NUM_THREADS=1 and =2 and
# compare the two outputs with NUMDIFF under threads.tol: a result must not
# depend on how many threads OpenBLAS splits a product or a factorisation
# over, beyond the rounding the tolerances name.
set(work ${WORK}/threads)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
foreach(t 1 2)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=${t} ${BIN} -x ${DIR}/threads.lens
    WORKING_DIRECTORY ${work} OUTPUT_FILE ${work}/out${t}.txt ERROR_FILE ${work}/err${t}.txt
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(READ ${work}/err${t}.txt err)
    message(FATAL_ERROR "threads.lens with ${t} thread(s) failed (${rc}): ${err}")
  endif()
endforeach()
execute_process(COMMAND sh ${NUMDIFF} ${work}/out1.txt ${work}/out2.txt ${DIR}/threads.tol
  RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "threads.lens: 1 and 2 OpenBLAS threads disagree (numdiff status ${diff})")
endif()
