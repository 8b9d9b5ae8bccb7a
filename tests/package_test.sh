#!/usr/bin/env bash
# Packaging: install the build tree, build the consumer with find_package(stratum) against it, and build the
# consumer again with add_subdirectory on the source tree. Both run on a conformance case.
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
case_dir="$src/tests/data/coco/basic"
ap=0.29534534414269986
cmake -S "$src/tests/consumer" -B "$work/find" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/find" >/dev/null
"$work/find/consumer" "$case_dir/gt.json" "$case_dir/dt.json" "$ap"
test -f "$work/prefix/include/stratum/stratum.hpp"
cmake -S "$src/tests/consumer" -B "$work/sub" -DSTRATUM_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/sub" >/dev/null
"$work/sub/consumer" "$case_dir/gt.json" "$case_dir/dt.json" "$ap"
echo "package: find_package and add_subdirectory consumers OK"
