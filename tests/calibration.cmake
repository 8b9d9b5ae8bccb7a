# The audit's calibration on simulated detectors of known calibration (tests/calibration_check.py).
if(TARGET stratum_synth AND TARGET stratum_cli)
  add_test(NAME calibration_simulated
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/calibration_check.py $<TARGET_FILE:stratum_synth>
                   $<TARGET_FILE:stratum_cli> ${CMAKE_CURRENT_BINARY_DIR}/calibration_simulated)
endif()
