# Every example compiles in CI (examples/CMakeLists.txt) and runs here: those that read a COCO case on a
# conformance case, the others (synthetic data from fixed seeds) without arguments.
set(_case ${PROJECT_SOURCE_DIR}/tests/data/coco/basic)
foreach(ex coco_eval sliced_eval bootstrap_interval audit_report baseline_freeze)
  if(TARGET example_${ex})
    add_test(NAME example_${ex} COMMAND example_${ex} ${_case}/gt.json ${_case}/dt.json)
  endif()
endforeach()
foreach(ex failure_rates score_drift calibration_report drift_window)
  if(TARGET example_${ex})
    add_test(NAME example_${ex} COMMAND example_${ex})
  endif()
endforeach()
