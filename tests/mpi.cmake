# Tests of the MPI example (examples/mpi/mpi_eval.cpp, target stratum_mpi_eval), when MPI is found: on
# conformance cases converted to JSONL, `mpiexec -n 2` (and -n 3: an uneven split) prints the same bytes as the
# single-process `stratum stream --json` on the same input, pooled and sliced; bad input makes every rank exit
# with status 1 and one message naming the line.
#
# examples/ is configured after tests/, so the target does not exist yet here: the tests are registered at the
# end of the top-level directory (cmake_language(DEFER)), once every target is known.

if(NOT (STRATUM_BUILD_EXAMPLES AND STRATUM_BUILD_MPI_EXAMPLE))
  return()
endif()
find_package(MPI COMPONENTS CXX QUIET)
if(NOT MPI_CXX_FOUND OR NOT MPIEXEC_EXECUTABLE)
  return()
endif()

set(mpi_check ${CMAKE_CURRENT_BINARY_DIR}/mpi_check.py)
file(WRITE ${mpi_check} [=[
"""Checks of the MPI example (generated from tests/mpi.cmake).

  mpi_check.py same STRATUM MPIEXEC MPI_EVAL NP CASE_DIR WORK_DIR [OPTIONS...]
  mpi_check.py bad MPIEXEC MPI_EVAL NP MESSAGE_PART STREAM
"""
import os
import subprocess
import sys

MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe"]


def run(args):
    r = subprocess.run(args, capture_output=True, timeout=600)
    if r.returncode != 0:
        print("command failed:", " ".join(args), "\n", r.stderr.decode(errors="replace"))
        sys.exit(1)
    return r.stdout


def same(stratum, mpiexec, mpi_eval, np, case, work, options):
    os.makedirs(work, exist_ok=True)
    frames = os.path.join(work, "frames.jsonl")
    run([stratum, "convert", f"{case}/gt.json", f"{case}/dt.json", "-o", frames])
    params = ["--params", f"{case}/params.json"]
    want = run([stratum, "stream", frames, "--json", "--threads", "1"] + params + options)
    got = run([mpiexec] + MPI_FLAGS + ["-n", np, mpi_eval, frames] + params + options)
    if got != want:
        print("mpiexec output differs from stratum stream --json")
        print("--- stream\n", want.decode()[:2000], "\n--- mpi\n", got.decode()[:2000])
        sys.exit(1)
    print(f"identical ({len(want)} bytes)")


def bad(mpiexec, mpi_eval, np, part, stream):
    r = subprocess.run([mpiexec] + MPI_FLAGS + ["-n", np, mpi_eval, stream], capture_output=True, text=True,
                       timeout=120)
    ok = r.returncode != 0 and r.stdout == "" and part in r.stderr and r.stderr.count("stratum_mpi_eval: error") == 1
    print(r.stderr.strip().splitlines()[0] if r.stderr.strip() else "(no message)")
    if not ok:
        print(f"expected a failure with one message containing {part!r}; status {r.returncode}, stderr:\n{r.stderr}")
        sys.exit(1)


mode = sys.argv[1]
if mode == "same":
    same(*sys.argv[2:8], sys.argv[8:])
elif mode == "bad":
    bad(*sys.argv[2:])
else:
    sys.exit(f"unknown mode {mode}")
]=])

file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mpi)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/mpi/bad.jsonl
     "{\"stratum_stream\": 1, \"categories\": [{\"id\": 1}]}\n{\"frame_id\": 1}\n{\"frame_id\": 2}\n{\"frame_id\": 3, \"dt\": [{\"category_id\": 2, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]}\n")

function(stratum_register_mpi_tests python check mpiexec data work sanitize)
  if(NOT TARGET stratum_mpi_eval OR NOT TARGET stratum_cli)
    return()
  endif()
  set(slices --slice-by weather,timeofday,provenance --joint weather*timeofday)
  set(names)
  foreach(spec "basic;2" "basic;3" "class_agnostic;2" "empty_and_missing;3" "custom_params;2" "large;2")
    list(GET spec 0 case)
    list(GET spec 1 np)
    add_test(NAME mpi_same_${case}_n${np}
             COMMAND ${python} ${check} same $<TARGET_FILE:stratum_cli> ${mpiexec} $<TARGET_FILE:stratum_mpi_eval>
                     ${np} ${data}/${case} ${work}/${case}_n${np} ${slices})
    list(APPEND names mpi_same_${case}_n${np})
  endforeach()
  add_test(NAME mpi_same_basic_n2_pooled
           COMMAND ${python} ${check} same $<TARGET_FILE:stratum_cli> ${mpiexec} $<TARGET_FILE:stratum_mpi_eval>
                   2 ${data}/basic ${work}/basic_pooled)
  add_test(NAME mpi_bad_input
           COMMAND ${python} ${check} bad ${mpiexec} $<TARGET_FILE:stratum_mpi_eval> 2
                   "bad.jsonl: line 4 (frame 3): dt[0].category_id: category 2 is not declared in the stream's categories (2 frames read"
                   ${work}/bad.jsonl)
  list(APPEND names mpi_same_basic_n2_pooled mpi_bad_input)
  # Each test starts 2 or 3 processes: run them one at a time.
  set_tests_properties(${names} PROPERTIES RUN_SERIAL TRUE LABELS mpi)
  if(sanitize)
    # Open MPI leaves its own allocations (and those of the plugins it dlopen()s and unloads, whose stacks
    # LeakSanitizer cannot name) at exit: leak detection is off for these tests only. Every other check of
    # AddressSanitizer and UndefinedBehaviorSanitizer stays on in every rank; the code they run outside MPI
    # (reader, evaluator, serialization) is leak-checked by test_jsonl, test_coco_stream and the cli_ tests.
    set_tests_properties(${names} PROPERTIES
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  endif()
endfunction()

# The arguments are expanded now (EVAL), since the deferred call runs in the top-level directory's scope.
cmake_language(EVAL CODE "
  cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]] CALL stratum_register_mpi_tests
    [[${STRATUM_PYTHON}]] [[${mpi_check}]] [[${MPIEXEC_EXECUTABLE}]] [[${CMAKE_CURRENT_SOURCE_DIR}/data/coco]]
    [[${CMAKE_CURRENT_BINARY_DIR}/mpi]] [[${STRATUM_SANITIZE}]])")
