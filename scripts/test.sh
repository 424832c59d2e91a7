#!/usr/bin/env bash
# Installs what is missing, builds minidl and runs every test through CTest.
#   scripts/test.sh              optimised build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   scripts/test.sh --tsan       ThreadSanitizer build in build-tsan/ running the multi-threaded tests
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${MINIDL_BUILD_PACKAGES[@]}" dataset-fashion-mnist

build_dir=build
# Sanitizer builds: -O1 and line tables only (-g1) compile in about half the time of -O2 -g, and the
# reports still name file and line.
sanitizer_flags=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  # Benchmarks are not tests; skipping them keeps the sanitizer build within CI's time.
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "${sanitizer_flags[@]}" -DMINIDL_SANITIZE=ON -DMINIDL_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # New tensor memory and kernel scratch start as NaNs (core/allocator.h): a kernel reading what it
  # never wrote fails the tests instead of reusing an old block's values unnoticed.
  export MINIDL_FILL_UNINITIALIZED=${MINIDL_FILL_UNINITIALIZED:-1}
fi
tests_regex=""
if [ "${1:-}" = "--tsan" ]; then
  build_dir=build-tsan
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "${sanitizer_flags[@]}" -DMINIDL_TSAN=ON -DMINIDL_BUILD_BENCH=OFF -DMINIDL_BUILD_EXAMPLES=OFF)
  tests_regex="threads"
  # OpenBLAS is not instrumented: keep its GEMMs on the calling thread so TSan sees every access.
  export OPENBLAS_NUM_THREADS=1 MINIDL_NUM_THREADS=2
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
fi
jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_args[@]}"
if [ -n "$tests_regex" ]; then
  cmake --build "$build_dir" -j"$jobs" --target test_layers
  cd "$build_dir"
  ctest --output-on-failure -R "$tests_regex"
  exit 0
fi
cmake --build "$build_dir" -j"$jobs"
cd "$build_dir"
ctest --output-on-failure -j"$jobs"
