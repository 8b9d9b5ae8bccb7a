# Every example compiles in CI (examples/CMakeLists.txt) and runs here on a conformance case.
set(_case ${PROJECT_SOURCE_DIR}/tests/data/coco/basic)
foreach(ex coco_eval sliced_eval)
  if(TARGET example_${ex})
    add_test(NAME example_${ex} COMMAND example_${ex} ${_case}/gt.json ${_case}/dt.json)
  endif()
endforeach()
