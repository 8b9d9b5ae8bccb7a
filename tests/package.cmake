# find_package(stratum) from a consumer project against the installed tree, and add_subdirectory.
add_test(NAME package_consumer
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package_test.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/package_work)
set_tests_properties(package_consumer PROPERTIES LABELS "no_sanitize" RUN_SERIAL TRUE)
