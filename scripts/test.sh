#!/usr/bin/env bash
# Installs what is missing, builds minidl and runs every test through CTest.
#   scripts/test.sh              optimised build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${MINIDL_BUILD_PACKAGES[@]}" dataset-fashion-mnist

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  # Benchmarks are not tests; skipping them keeps the sanitizer build within CI's time.
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINIDL_SANITIZE=ON -DMINIDL_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j"$jobs"
cd "$build_dir"
ctest --output-on-failure -j"$jobs"
