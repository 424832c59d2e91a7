"""What the Keras reference scripts share with the C++ tests: pattern(), the twin of test::pattern in
tests/support/fixtures.cpp (inputs and weights are recomputed on both sides, never stored),
indices() (its integer form: token ids, test::pattern_indices), flat(), how reference outputs are written to the JSON fixtures, and write_fixture()."""
import json
import os

import numpy as np


def pattern(shape, seed):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919 + seed * 104729) % 1000) / 500.0 - 1.0).reshape(shape)


def indices(shape, seed, input_dim):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919 + seed * 104729) % 1000) * input_dim // 1000).reshape(shape)


def flat(y, digits=8):
    assert np.all(np.isfinite(y)), "a non-finite reference value"
    return [float(f"{v:.{digits}g}") for v in np.asarray(y, dtype=np.float64).reshape(-1)]


def write_fixture(path, fixture):
    """Compact JSON; prints the count of each family and the size."""
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"), ensure_ascii=False)
    print({k: len(v) for k, v in fixture.items() if isinstance(v, list)}, os.path.getsize(path) // 1024, "KiB")
