# cmake -DNM=nm -DOBJECT=cudanet_cpu_<level>.o -DKEEP=cudanet_cpu_kernels_<level> -P check_cpu_level.cmake
# Fails when a symbol OBJECT defines is global other than KEEP: two levels would
# then share it at link time, and one of them would run the other's code
# (cmake/cpu_levels.cmake).
execute_process(COMMAND ${NM} -g --defined-only ${OBJECT} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} ${OBJECT} failed")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(bad "")
foreach(line ${lines})
  if(line MATCHES "^[0-9a-fA-F]* *[A-Za-z] (.+)$" AND NOT CMAKE_MATCH_1 STREQUAL KEEP)
    string(APPEND bad "\n  ${line}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${OBJECT}: global symbols besides ${KEEP} (would be shared across CPU levels):${bad}")
endif()
