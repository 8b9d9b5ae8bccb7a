#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, with Debian's clang) and runs each for a bounded time from its committed
# seed corpus, then replays every committed regression input (fuzz/regressions/<target>/). New inputs go to a
# scratch corpus in the build tree, never into the repository. Usage: scripts/fuzz.sh [SECONDS per target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${STRATUM_FUZZ_SECONDS:-30}}
cmake -S fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/artifacts
for t in coco_json jsonl states criteria attributes voc; do
  scratch=build-fuzz/corpus/$t
  mkdir -p "$scratch"
  echo "fuzz_$t: ${seconds}s from fuzz/corpus/$t"
  # -rss_limit_mb: a forged size must be refused, not allocated; -timeout: no input may take a second.
  dict=(); [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")  # a target's tokens, when it has a dictionary
  build-fuzz/fuzz_$t "$scratch" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/fuzz_$t- 2>build-fuzz/fuzz_$t.log ||
    { tail -50 build-fuzz/fuzz_$t.log; echo "fuzz_$t: FAILED (artifacts in build-fuzz/artifacts)"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/fuzz_$t.log | tr '\n' ' '
  echo
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    build-fuzz/fuzz_$t fuzz/regressions/$t/* >build-fuzz/regress_$t.log 2>&1 ||
      { tail -30 build-fuzz/regress_$t.log; echo "fuzz_$t: a regression input fails again"; exit 1; }
    echo "fuzz_$t: $(ls fuzz/regressions/$t | wc -l) regression inputs pass"
  fi
done
echo "fuzz: all targets ran ${seconds}s without a finding"
