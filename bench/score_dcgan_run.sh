#!/bin/sh
# Scores every generator a minidl_dcgan run kept (generator_epoch_NNN.safetensors from --save-every,
# and the final generator.safetensors) with bench/gan_sample_quality.py: 1000 samples each from
# `minidl_dcgan --generate 1000` (seed 42), plus real images as the ceiling. One table, one row per
# epoch, so a long run's trajectory is measured rather than eyeballed.
#   bench/score_dcgan_run.sh out/dcgan50 [build]
set -eu
run=${1:?usage: bench/score_dcgan_run.sh RUN_DIR [BUILD_DIR]}
build=${2:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- real=real
for weights in "$run"/generator_epoch_*.safetensors "$run"/generator.safetensors; do
  [ -f "$weights" ] || continue
  name=$(basename "$weights" .safetensors | sed 's/^generator_epoch_0*/epoch_/; s/^generator$/final/')
  "$build/examples/minidl_dcgan" --generate 1000 --weights "$weights" --out "$tmp/$name" >/dev/null
  set -- "$@" "$name=$tmp/$name/generated.png"
done
/usr/bin/python3 "$(dirname "$0")/gan_sample_quality.py" "$@"
