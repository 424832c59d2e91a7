#!/usr/bin/python3
"""Writes the safetensors fixtures tests/core/test_safetensors.cpp loads.

  tests/fixtures/safetensors_reference.safetensors     written here with plain NumPy + struct + json,
                                                       following the format's spec byte by byte
  tests/fixtures/safetensors_reference_hf.safetensors  written by the real `safetensors` package
                                                       (only when it can be imported)
  tests/fixtures/safetensors_reference.json            the expected names, dtypes, shapes, values
                                                       and metadata of both files

Regenerate (from the repository root):
  /usr/bin/python3 tests/reference/safetensors_reference.py
Debian's python3 has NumPy but not `safetensors`; to also write the _hf file, run it from a venv
that sees the system packages:
  /usr/bin/python3 -m venv --system-site-packages /tmp/stvenv && /tmp/stvenv/bin/pip install safetensors
  /tmp/stvenv/bin/python tests/reference/safetensors_reference.py
(the committed _hf file was written by safetensors 0.8.0 this way).
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")

rng = np.random.default_rng(20240601)
tensors = {
    "weight": rng.standard_normal((3, 4)).astype(np.float32),
    "bias": np.array([0.5, -1.25, 3.0e-39, 3.4028235e38], dtype=np.float32),  # subnormal and max float32
    "double": np.array([np.pi, -0.0, 1e-300, 1e300, -2.5, 1.0 / 3.0] * 2, dtype=np.float64).reshape(2, 3, 2),
    "scalar": np.array(2.5, dtype=np.float64),           # 0-d
    "empty": np.zeros((0, 3), dtype=np.float32),          # no elements: data_offsets [b, b]
    "layer.0/kernel": rng.uniform(-1, 1, (2, 2, 1)).astype(np.float64),
}
metadata = {"format": "pt", "note": "written by NumPy \u2713", "epoch": "7"}

DTYPE = {np.float32: "F32", np.float64: "F64"}


def write_plain(path):
    """The spec: u64 little-endian header size, JSON header padded with spaces, then the data.

    Deliberately not the reference writer's order: the data goes in reverse name order and the
    JSON keys in yet another order (metadata last), so a reader must follow data_offsets.
    """
    data_order = sorted(tensors, reverse=True)
    header, offset, chunks = {}, 0, []
    for name in data_order:
        raw = tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": DTYPE[tensors[name].dtype.type], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    keyed = {name: header[name] for name in sorted(header, key=lambda n: (len(n), n))}
    keyed["__metadata__"] = metadata
    text = json.dumps(keyed, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def write_expected(path):
    out = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        out["tensors"][name] = {"dtype": DTYPE[t.dtype.type], "shape": list(t.shape),
                                "data": [float(v) for v in t.reshape(-1)]}
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)  # repr of a double round-trips exactly
        f.write("\n")


def main():
    write_plain(os.path.join(FIXTURES, "safetensors_reference.safetensors"))
    write_expected(os.path.join(FIXTURES, "safetensors_reference.json"))
    try:
        import safetensors
        from safetensors.numpy import load_file, save_file
    except ImportError:
        print("safetensors not importable: kept the existing safetensors_reference_hf.safetensors")
        return
    hf = os.path.join(FIXTURES, "safetensors_reference_hf.safetensors")
    save_file(tensors, hf, metadata=metadata)
    # The real library must read our plain file back to the same values.
    back = load_file(os.path.join(FIXTURES, "safetensors_reference.safetensors"))
    assert set(back) == set(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and back[name].shape == t.shape, name
        assert np.array_equal(back[name], t), name
    print("wrote both fixtures; safetensors", safetensors.__version__, "reads the NumPy-written file identically")


if __name__ == "__main__":
    main()
