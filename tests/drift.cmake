# Drift against a frozen baseline on windows with no shift and with known shifts (tests/drift_check.py): the
# false-alarm rate of the family, the power per injected shift, the untouched features. A statistical check of
# about ten minutes on 2 cores (eight streams of 100,000 frames; the AP bootstrap of the no-shift and recall
# windows is most of it): not repeated under the sanitizers, which the drift code meets in test_drift,
# test_drift_ap, the state-concept and baseline tests, cli_baseline and example_drift_window.
if(TARGET stratum_synth AND TARGET stratum_cli)
  add_test(NAME drift_simulated
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/drift_check.py $<TARGET_FILE:stratum_synth>
                   $<TARGET_FILE:stratum_cli> ${CMAKE_CURRENT_BINARY_DIR}/drift_simulated)
  set_tests_properties(drift_simulated PROPERTIES LABELS "no_sanitize")
endif()
