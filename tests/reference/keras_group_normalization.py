"""The real Keras's GroupNormalization (tests/layers/test_group_normalization.cpp reads the fixture).

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_group_normalization.py
-> tests/fixtures/keras_group_normalization.json

Inputs and weights are not stored: x = pattern(shape, seed) and gamma/beta = pattern((C,), seed + 1/2)
scaled, the twins of test::pattern in tests/support/fixtures.cpp. Outputs are float32 Keras;
get_config() is stored before and after build (groups=-1 becomes the channel count).
"""
import json
import os

import numpy as np
import keras  # noqa: E402
from pattern import pattern, flat  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_group_normalization.json")


CASES = [
    # (input shape, groups, axis, epsilon, center, scale)
    ((2, 4, 4, 8), 4, -1, 1e-3, True, True),
    ((2, 4, 4, 8), 1, -1, 1e-3, True, True),
    ((2, 4, 4, 8), -1, -1, 1e-3, True, True),   # instance normalization
    ((2, 4, 4, 8), 8, -1, 1e-5, False, True),
    ((2, 6, 3, 3), 3, 1, 1e-3, True, False),    # channels_first
    ((2, 6, 3, 3), 2, -3, 1e-3, False, False),
    ((3, 5, 6), 2, -1, 1e-3, True, True),       # a sequence (batch, steps, channels)
    ((2, 3, 4, 6), 2, 2, 1e-4, True, True),     # a middle axis
    ((1, 7, 7, 32), 32, -1, 1e-3, True, True),  # Keras's default groups
]


def main():
    cases = []
    for k, (shape, groups, axis, epsilon, center, scale) in enumerate(CASES):
        layer = keras.layers.GroupNormalization(groups=groups, axis=axis, epsilon=epsilon, center=center, scale=scale)
        before = layer.get_config()
        layer.build(shape)
        channels = shape[axis]
        weights = []
        if scale:
            weights.append(1.0 + 0.5 * pattern((channels,), 10 * k + 1))
        if center:
            weights.append(0.3 * pattern((channels,), 10 * k + 2))
        layer.set_weights([w.astype(np.float32) for w in weights])
        x = (3.0 * pattern(shape, 10 * k) + 0.5).astype(np.float32)
        y = np.asarray(layer(x))
        cases.append({"shape": list(shape), "groups": groups, "axis": axis, "epsilon": epsilon, "center": center,
                      "scale": scale, "seed": 10 * k, "config_before_build": before,
                      "config_after_build": layer.get_config(), "weight_names": [w.path for w in layer.weights],
                      "y": flat(y)})
    errors = {}
    for name, kwargs, shape in [("too_many_groups", {"groups": 16}, (2, 4, 4, 8)),
                                ("not_a_divisor", {"groups": 3}, (2, 4, 4, 8))]:
        try:
            keras.layers.GroupNormalization(**kwargs).build(shape)
        except ValueError as e:
            errors[name] = str(e)
    try:
        keras.layers.GroupNormalization(groups=0)
    except ValueError as e:
        errors["zero_groups"] = str(e)
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases, "errors": errors}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
