# Scene-attribute tables through the command line (tests/attributes_check.py): the real BDD100K table joined to
# the ground truth reproduces pycocotools' slices; random CSV tables read as Python's csv module reads them.
if(TARGET stratum_cli)
  add_test(NAME attributes_join
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/attributes_check.py $<TARGET_FILE:stratum_cli>
                   ${STRATUM_SHARED_DIR} ${CMAKE_CURRENT_BINARY_DIR}/attributes_join)
endif()
