# Drift against a frozen baseline on windows with no shift and with known shifts (tests/drift_check.py): the
# false-alarm rate of the family, the power per injected shift, the untouched features.
if(TARGET stratum_synth AND TARGET stratum_cli)
  add_test(NAME drift_simulated
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/drift_check.py $<TARGET_FILE:stratum_synth>
                   $<TARGET_FILE:stratum_cli> ${CMAKE_CURRENT_BINARY_DIR}/drift_simulated)
endif()
