# COCO evaluation at scale, compared with pycocotools' doubles using == (../shared/conformance/scale/): at tens
# of thousands of precision entries per mean, numpy's summation order shows in the last bits.
set(scale_ref ${STRATUM_SHARED_DIR}/conformance/scale/expected_stats.json)
if(NOT TARGET stratum_cli OR NOT TARGET stratum_synth OR NOT EXISTS ${scale_ref})
  return()
endif()
foreach(key coco_val_seed1 images20k_seed7)
  add_test(NAME conformance_scale_${key}
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/scale_check.py $<TARGET_FILE:stratum_synth>
                   $<TARGET_FILE:stratum_cli> ${scale_ref} ${key} ${CMAKE_CURRENT_BINARY_DIR}/scale/${key})
  # Generating and evaluating a million detections: once, in the optimised build.
  set_tests_properties(conformance_scale_${key} PROPERTIES LABELS "no_sanitize")
endforeach()
