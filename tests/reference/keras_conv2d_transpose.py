"""The real Keras's Conv2DTranspose on 160 random configurations spanning every argument.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_conv2d_transpose.py
-> tests/fixtures/keras_conv2d_transpose.json

Keras 3's TensorFlow backend refuses dilation on CPU, hence jax. Inputs, kernel and bias are
not stored: they come from pattern() (shared with tests/reference/torch_conv.py and re-implemented
in tests/support/fixtures.cpp), and are set with layer.set_weights. Outputs are float32 Keras.
"""
import json
import os
import random

import numpy as np

# XLA's algebraic simplifier aborts on some channels_first transposed convolutions with unequal
# strides (a jaxlib bug: "Window dimensions do not match RHS shape"); without it the result is
# the same computation, just not simplified.
os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")
import keras  # noqa: E402
from pattern import pattern  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_conv2d_transpose.json")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus", "swish", "leaky_relu",
               "relu6", "hard_sigmoid", "mish", "softsign", "exponential", "softmax", "log_softmax", "hard_silu"]


def config(rng, i):
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    dilated = rng.random() < 0.2
    if dilated:
        sh = sw = 1
        dh, dw = rng.randint(1, 3), rng.randint(1, 3)
    else:
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        dh = dw = 1
    op = None
    if rng.random() < 0.4:
        op = [rng.randint(0, sh - 1), rng.randint(0, sw - 1)]
    padding = rng.choice(["valid", "same", "SAME", "Valid"])
    fmt = "channels_first" if rng.random() < 0.35 else "channels_last"
    cfg = dict(filters=rng.randint(1, 4), kernel_size=[kh, kw], strides=[sh, sw], padding=padding,
               output_padding=op, data_format=fmt, dilation_rate=[dh, dw], activation=rng.choice(ACTIVATIONS),
               use_bias=rng.random() < 0.7)
    n, h, w, c = rng.randint(1, 2), rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3)
    return cfg, (n, h, w, c), 5000 + 4 * i


def main():
    rng = random.Random(4242)
    cases = []
    while len(cases) < 160:
        cfg, (n, h, w, c), seed = config(rng, len(cases))
        layer = keras.layers.Conv2DTranspose(**cfg)
        shape = (n, h, w, c) if cfg["data_format"] == "channels_last" else (n, c, h, w)
        x = pattern(shape, seed).astype(np.float32)
        try:
            layer.build(shape)
        except ValueError as e:  # e.g. an output size <= 0: skip, it is not a valid Keras layer
            print("skip", cfg, e)
            continue
        weights = [pattern(tuple(layer.kernel.shape), seed + 1).astype(np.float32)]
        if cfg["use_bias"]:
            weights.append(pattern((cfg["filters"],), seed + 2).astype(np.float32))
        layer.set_weights(weights)
        y = np.asarray(layer(x))
        assert tuple(layer.compute_output_shape(shape)) == y.shape
        cases.append({"config": cfg, "input_shape": list(shape), "seed": seed,
                      "kernel_shape": list(layer.kernel.shape), "output_shape": list(y.shape),
                      "y": [float(f"{v:.8g}") for v in y.reshape(-1)]})
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases}, f, separators=(",", ":"))
    print(len(cases), "cases,", os.path.getsize(OUT) // 1024, "KiB")


if __name__ == "__main__":
    main()
