#!/usr/bin/env bash
# The first command to run: installs what is missing, builds minidl and runs the example.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${MINIDL_BUILD_PACKAGES[@]}"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target minidl_tiny_mlp
./build/examples/minidl_tiny_mlp
