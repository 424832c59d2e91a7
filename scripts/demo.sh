#!/usr/bin/env bash
# The first command to run: installs what is missing, builds minidl, trains the convolutional
# autoencoder on Fashion-MNIST for one epoch and says where its pictures are.
#   scripts/demo.sh [autoencoder flags...]   e.g. scripts/demo.sh --denoise --epochs 2
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${MINIDL_BUILD_PACKAGES[@]}" dataset-fashion-mnist

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target minidl_autoencoder minidl_dcgan
./build/examples/minidl_autoencoder --epochs 1 --out out/autoencoder "$@"
echo
echo "Pictures: out/autoencoder/reconstructions.png (originals above, reconstructions below)"
echo "          out/autoencoder/loss.png (loss per epoch)"
echo "Next: ./build/examples/minidl_dcgan --epochs 5 --out out/dcgan   (about 15 minutes on 2 cores)"
