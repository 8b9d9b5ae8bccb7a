# Every example compiles in CI (examples/CMakeLists.txt) and runs here: those that read a COCO case on a
# conformance case, the others (synthetic data from fixed seeds) without arguments.
set(_case ${PROJECT_SOURCE_DIR}/tests/data/coco/basic)
foreach(ex coco_eval sliced_eval bootstrap_interval audit_report baseline_freeze)
  if(TARGET example_${ex})
    add_test(NAME example_${ex} COMMAND example_${ex} ${_case}/gt.json ${_case}/dt.json)
  endif()
endforeach()
foreach(ex failure_rates score_drift calibration_report drift_window live_inference)
  if(TARGET example_${ex})
    add_test(NAME example_${ex} COMMAND example_${ex})
  endif()
endforeach()
# The Python live-inference example (examples/live_stream.py) piped into `stratum stream -` and `stratum audit
# --stream -`: the same JSON as the frames read from a file; a refused frame names its line and field.
if(TARGET stratum_cli)
  add_test(NAME live_stream_pipe
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/live_stream_check.py $<TARGET_FILE:stratum_cli>
                   ${PROJECT_SOURCE_DIR}/examples ${CMAKE_CURRENT_BINARY_DIR}/live_stream_pipe)
endif()
