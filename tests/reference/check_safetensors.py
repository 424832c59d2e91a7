#!/usr/bin/python3
"""Checks a safetensors file written by minidl with plain NumPy (and the real `safetensors`
package when it can be imported): the layout follows the spec and the values equal the expected
ones in tests/fixtures/safetensors_reference.json.

The C++ test "safetensors re-saves the reference file for tests/reference/check_safetensors.py"
loads tests/fixtures/safetensors_reference.safetensors and saves it again with minidl; point it at a
file and check that file (from the repository root, after building):
  MINIDL_SAFETENSORS_EXPORT=/tmp/minidl_export.safetensors \
      build/tests/test_core "safetensors re-saves the reference file for tests/reference/check_safetensors.py"
  /usr/bin/python3 tests/reference/check_safetensors.py /tmp/minidl_export.safetensors

Last run (minidl's first io branch): plain NumPy and safetensors 0.8.0 (from a venv with
--system-site-packages, see safetensors_reference.py) both read the file; every tensor, dtype,
shape and value, and the metadata, matched; every tensor was aligned to its element size.
The unit tests never run this script.
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "..", "fixtures", "safetensors_reference.json")
NUMPY_DTYPE = {"F32": "<f4", "F64": "<f8"}


def read_plain(path):
    """The spec, by hand: u64 header size, JSON header, then the tiled data buffer."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, f"header length {n} is not padded to a multiple of 8"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    cursor = 0
    for begin, end, name in spans:
        assert begin == cursor, f"{name}: hole or overlap at {begin} (expected {cursor})"
        cursor = end
    assert cursor == len(data), f"data buffer has {len(data)} bytes, tensors cover {cursor}"
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dt = np.dtype(NUMPY_DTYPE[info["dtype"]])
        assert (8 + n + begin) % dt.itemsize == 0, f"{name} is not aligned to {dt.itemsize} bytes"
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(info["shape"])
    return tensors, metadata


def compare(label, tensors, metadata, expected):
    assert metadata == expected["metadata"], f"{label}: metadata {metadata} != {expected['metadata']}"
    assert set(tensors) == set(expected["tensors"]), f"{label}: names {sorted(tensors)}"
    for name, e in expected["tensors"].items():
        t = tensors[name]
        assert t.dtype == np.dtype(NUMPY_DTYPE[e["dtype"]]), f"{label}: {name} dtype {t.dtype}"
        assert list(t.shape) == e["shape"], f"{label}: {name} shape {t.shape}"
        want = np.array(e["data"], dtype=t.dtype).reshape(e["shape"])
        assert np.array_equal(t, want), f"{label}: {name} values differ"
        assert np.array_equal(np.signbit(t), np.signbit(want)), f"{label}: {name} signs of zero differ"
    print(f"{label}: {len(tensors)} tensors and {len(metadata)} metadata entries match")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    with open(EXPECTED) as f:
        expected = json.load(f)
    compare("plain NumPy", *read_plain(path), expected)
    try:
        import safetensors
        from safetensors import safe_open
        from safetensors.numpy import load_file
    except ImportError:
        print("safetensors package not importable: checked with plain NumPy only")
        return
    with safe_open(path, framework="np") as f:
        metadata = f.metadata() or {}
    compare(f"safetensors {safetensors.__version__}", load_file(path), metadata, expected)


if __name__ == "__main__":
    main()
