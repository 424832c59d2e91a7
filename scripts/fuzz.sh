#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each from its seed corpus.
#   scripts/fuzz.sh [seconds per harness, default 60]
# A crash, hang, leak or sanitizer report fails the script; libFuzzer writes the input that caused it
# (crash-*, timeout-*, leak-*) into build-fuzz/findings/ -- add it to tests/fuzz/corpus/<harness>/
# and turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${MINIDL_BUILD_PACKAGES[@]}" clang
seconds=${1:-60}

# -O1 with line tables only: libFuzzer's recommended level, and half the compile time of -O2 -g.
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_COMPILER=clang++ -DMINIDL_FUZZ=ON \
  -DMINIDL_BUILD_TESTS=OFF -DMINIDL_BUILD_BENCH=OFF -DMINIDL_BUILD_EXAMPLES=OFF
cmake --build build-fuzz -j"$(nproc)" --target fuzz_safetensors fuzz_idx fuzz_layer_config fuzz_image
mkdir -p build-fuzz/findings
for harness in safetensors idx layer_config image; do
  work=build-fuzz/corpus/$harness
  mkdir -p "$work"
  echo "== fuzz_$harness for ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ./build-fuzz/fuzz_$harness -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
      -artifact_prefix=build-fuzz/findings/ -print_final_stats=1 "$work" "tests/fuzz/corpus/$harness"
done
echo "fuzzing: no crash, hang or sanitizer report"
