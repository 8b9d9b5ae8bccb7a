# The sources follow .clang-format: the test command fails on a file that clang-format would change.
find_program(STRATUM_CLANG_FORMAT NAMES clang-format clang-format-14)
if(NOT STRATUM_CLANG_FORMAT)
  message(WARNING "clang-format not found: the format check is not registered (scripts/deps.sh installs it)")
  return()
endif()
file(GLOB_RECURSE stratum_formatted CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/*.hpp ${PROJECT_SOURCE_DIR}/tests/*.cpp ${PROJECT_SOURCE_DIR}/tests/*.hpp
     ${PROJECT_SOURCE_DIR}/tools/*.cpp ${PROJECT_SOURCE_DIR}/examples/*.cpp ${PROJECT_SOURCE_DIR}/bench/*.cpp
     ${PROJECT_SOURCE_DIR}/fuzz/*.cpp)
add_test(NAME clang_format COMMAND ${STRATUM_CLANG_FORMAT} --dry-run --Werror ${stratum_formatted})
set_tests_properties(clang_format PROPERTIES LABELS "no_sanitize")
