#!/usr/bin/env bash
# Builds everything and runs all tests: a Release build, then the same suite under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

# Options are cached per build tree: set every one, so that an earlier configure cannot switch tests off.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATUM_BUILD_TESTS=ON -DSTRATUM_BUILD_BENCH=ON \
      -DSTRATUM_BUILD_EXAMPLES=ON -DSTRATUM_BUILD_TOOLS=ON -DSTRATUM_BUILD_MPI_EXAMPLE=ON -DSTRATUM_SANITIZE=OFF
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --no-tests=error

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATUM_SANITIZE=ON -DSTRATUM_BUILD_BENCH=OFF \
      -DSTRATUM_BUILD_TESTS=ON -DSTRATUM_BUILD_EXAMPLES=ON -DSTRATUM_BUILD_TOOLS=ON -DSTRATUM_BUILD_MPI_EXAMPLE=ON \
      -DCMAKE_CXX_FLAGS="-O1"
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE no_sanitize --no-tests=error

# Fuzzing: every parser and deserializer, a bounded time each, then the committed regression inputs.
bash scripts/fuzz.sh "${STRATUM_FUZZ_SECONDS:-30}"
