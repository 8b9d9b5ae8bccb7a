# The evidence pack (stratum report, docs/evidence_pack.md) on generated data like the demo's (300 frames with
# scene attributes, provenance, out-of-distribution probes and an overconfident detector; its frames frozen as a
# baseline and a window of 200 frames with 30 points more night compared with it in two windows of 100) and the
# criteria of examples/criteria.json:
#   - evidence_check.py: evidence.json validates against docs/evidence.schema.json (python3-jsonschema); every
#     number the HTML shows equals the JSON's; the Markdown's tables are the HTML's; every section; nothing
#     outside the file; under 2 MB; and, first, each check fails on a tampered copy;
#   - evidence_browser.py: the page in headless Chromium (Debian's chromium) renders (a screenshot, not blank),
#     needs no sideways scrolling at 1366 px, logs no console error, requests nothing from the network, shows
#     every section and plot, and every number it shows equals evidence.json; each check fails on a tampered
#     copy;
#   - the same pack from the frame stream (same numbers; only the trail's inputs and command differ);
#   - bad criteria exit with status 1 naming the criterion's index and field (a drift criterion without a
#     baseline too); a missing --criteria with 2.
if(NOT (TARGET stratum_cli AND TARGET stratum_synth))
  return()
endif()
set(ev_dir ${CMAKE_CURRENT_BINARY_DIR}/evidence)
file(MAKE_DIRECTORY ${ev_dir})
set(ev_criteria ${PROJECT_SOURCE_DIR}/examples/criteria.json)
set(ev_slicing --slice-by weather,timeofday,rig,provenance --joint weather*timeofday --ood-attribute probe=ood)
add_test(NAME evidence_data
         COMMAND $<TARGET_FILE:stratum_synth> --images 300 --seed 7 --ood-probes 0.05 --miscalibration 0.1
                 --gt ${ev_dir}/gt.json --dt ${ev_dir}/dt.json --jsonl ${ev_dir}/frames.jsonl)
add_test(NAME evidence_window
         COMMAND $<TARGET_FILE:stratum_synth> --images 200 --seed 8 --ood-probes 0.05 --miscalibration 0.1 --shift night
                 --gt ${ev_dir}/window_gt.json --dt ${ev_dir}/window_dt.json --jsonl ${ev_dir}/window.jsonl)
add_test(NAME evidence_baseline
         COMMAND $<TARGET_FILE:stratum_cli> baseline freeze --stream ${ev_dir}/frames.jsonl --categories ${ev_dir}/gt.json
                 --slice-by weather,timeofday,rig -o ${ev_dir}/baseline.stb)
set_tests_properties(evidence_baseline PROPERTIES DEPENDS evidence_data)
set_tests_properties(evidence_data evidence_window evidence_baseline PROPERTIES FIXTURES_SETUP fx_evidence_data)
set(ev_drift --baseline ${ev_dir}/baseline.stb --window ${ev_dir}/window.jsonl --window-frames 100
             --ap-replicates 50)
add_test(NAME evidence_report
         COMMAND $<TARGET_FILE:stratum_cli> report ${ev_dir}/gt.json ${ev_dir}/dt.json ${ev_slicing}
                 --bootstrap 100 --seed 3 --criteria ${ev_criteria} ${ev_drift} -o ${ev_dir}/pack)
add_test(NAME evidence_report_stream
         COMMAND $<TARGET_FILE:stratum_cli> report --stream ${ev_dir}/frames.jsonl --categories ${ev_dir}/gt.json
                 ${ev_slicing} --bootstrap 100 --seed 3 --criteria ${ev_criteria} ${ev_drift} -o ${ev_dir}/pack_stream)
set_tests_properties(evidence_report evidence_report_stream PROPERTIES FIXTURES_REQUIRED fx_evidence_data)
set_tests_properties(evidence_report PROPERTIES FIXTURES_SETUP fx_evidence_pack)
set_tests_properties(evidence_report_stream PROPERTIES FIXTURES_SETUP fx_evidence_pack_stream)
add_test(NAME evidence_check
         COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/evidence_check.py ${ev_dir}/pack
                 ${PROJECT_SOURCE_DIR}/docs/evidence.schema.json --self-test)
add_test(NAME evidence_browser
         COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/evidence_browser.py ${ev_dir}/pack --self-test
                 --screenshot ${ev_dir}/screenshot.png)
set_tests_properties(evidence_check evidence_browser PROPERTIES FIXTURES_REQUIRED fx_evidence_pack TIMEOUT 300)
add_test(NAME evidence_stream_same
         COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/evidence_check.py --same ${ev_dir}/pack
                 ${ev_dir}/pack_stream)
set_tests_properties(evidence_stream_same PROPERTIES FIXTURES_REQUIRED "fx_evidence_pack;fx_evidence_pack_stream")
set(ev_expect ${STRATUM_PYTHON} ${CMAKE_CURRENT_BINARY_DIR}/cli_check.py expect)
set(ev_bad ${PROJECT_SOURCE_DIR}/tests/data/evidence)
add_test(NAME evidence_bad_class
         COMMAND ${ev_expect} 1 "criteria[1].class: 'zebra' is not an evaluated class" -- $<TARGET_FILE:stratum_cli>
                 report ${ev_dir}/gt.json ${ev_dir}/dt.json --criteria ${ev_bad}/bad_class.json -o ${ev_dir}/bad)
add_test(NAME evidence_bad_metric
         COMMAND ${ev_expect} 1 "bad_metric.json: criteria[0].metric: unknown metric 'mAP'" --
                 $<TARGET_FILE:stratum_cli> report ${ev_dir}/gt.json ${ev_dir}/dt.json
                 --criteria ${ev_bad}/bad_metric.json -o ${ev_dir}/bad)
add_test(NAME evidence_bad_slice
         COMMAND ${ev_expect} 1 "criteria[0].slice: 'weather=hail' is not a slice of the audit" --
                 $<TARGET_FILE:stratum_cli> report ${ev_dir}/gt.json ${ev_dir}/dt.json --slice-by weather
                 --criteria ${ev_bad}/bad_slice.json -o ${ev_dir}/bad)
add_test(NAME evidence_no_criteria
         COMMAND ${ev_expect} 2 "report needs --criteria FILE" -- $<TARGET_FILE:stratum_cli> report
                 ${ev_dir}/gt.json ${ev_dir}/dt.json -o ${ev_dir}/bad)
add_test(NAME evidence_drift_without_baseline
         COMMAND ${ev_expect} 1 "criteria[8].metric: drift needs a baseline and a window" --
                 $<TARGET_FILE:stratum_cli> report ${ev_dir}/gt.json ${ev_dir}/dt.json ${ev_slicing}
                 --criteria ${ev_criteria} -o ${ev_dir}/bad)
set_tests_properties(evidence_bad_class evidence_bad_metric evidence_bad_slice evidence_no_criteria
                     evidence_drift_without_baseline
                     PROPERTIES FIXTURES_REQUIRED fx_evidence_data)
