# The docs quote example programs (a ```cpp block after a link to examples/<name>.cpp): every quoted line must
# still be in that program, which ctest compiles and runs (tests/examples.cmake).
add_test(NAME docs_quotes COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/docs_quotes.py ${PROJECT_SOURCE_DIR})
