"""The real Keras's DepthwiseConv2D and SeparableConv2D on 48 configurations each, their get_config()
with every argument set, and a Keras 3 model using both for minidl's config loader.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_depthwise_separable.py
-> tests/fixtures/keras_depthwise_separable.json

Inputs and weights are not stored: they come from pattern() (the twin of test::pattern in
tests/support/fixtures.cpp), weight i = pattern(shape_i, seed + 1 + i), given with set_weights.
Outputs are float32 Keras. Each case keeps the keyword arguments it was made with ("kwargs"; ints
stay ints, pairs are lists), Keras's get_config() and the weight shapes.
The configurations cycle through both data formats, padding (also in mixed case), depth_multiplier
1..3, strides, dilation and both together (Keras allows strides > 1 with dilation_rate > 1 for these
two layers, unlike Conv2D), kernel sizes, activations and use_bias.
"""
import json
import os
import random

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")  # see keras_conv2d_transpose.py
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_depthwise_separable.json")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus", "swish", "leaky_relu",
               "relu6", "hard_sigmoid", "mish", "softsign", "softmax", "log_softmax", "hard_silu"]
PADDINGS = ["valid", "same", "valid", "same", "Same", "VALID"]
# (strides, dilation_rate): ints or pairs, including both > 1 at once.
WINDOWS = [(1, 1), (2, 1), ([2, 1], 1), (1, 2), (1, [1, 2]), (2, 2), ([1, 3], [2, 1]), (3, 1)]
KERNELS = [3, [1, 1], [2, 3], [3, 1], 2, [1, 2]]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def weight_patterns(weights, seed):
    return [pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(weights)]


def case(layer_cls, kwargs, rng, seed):
    strides, dilation = pair(kwargs["strides"]), pair(kwargs["dilation_rate"])
    k = pair(kwargs["kernel_size"])
    spatial = [rng.randint((k[a] - 1) * dilation[a] + 1, (k[a] - 1) * dilation[a] + 1 + 2 * strides[a])
               for a in range(2)]
    n, c = rng.randint(1, 2), rng.randint(1, 3)
    shape = (n, *spatial, c) if kwargs["data_format"] == "channels_last" else (n, c, *spatial)
    layer = layer_cls(**kwargs)
    x = pattern(shape, seed).astype(np.float32)
    layer.build(shape)
    layer.set_weights(weight_patterns(layer.weights, seed))
    y = np.asarray(layer(x))
    assert tuple(layer.compute_output_shape(shape)) == y.shape
    return {"kwargs": kwargs, "input_shape": list(shape), "seed": seed, "output_shape": list(y.shape), "y": flat(y),
            "weight_shapes": [list(w.shape) for w in layer.weights],
            "weight_paths": [w.path for w in layer.weights], "config": layer.get_config()}


def base_kwargs(i, rng):
    strides, dilation = WINDOWS[i % len(WINDOWS)]
    return dict(kernel_size=KERNELS[i % len(KERNELS)], strides=strides, padding=PADDINGS[i % len(PADDINGS)],
                depth_multiplier=1 + i % 3, data_format="channels_first" if (i // 2) % 2 else "channels_last",
                dilation_rate=dilation, activation=ACTIVATIONS[(i * 5) % len(ACTIVATIONS)], use_bias=i % 4 != 3)


def depthwise_cases():
    rng, cases = random.Random(31), []
    for i in range(48):
        kw = dict(base_kwargs(i, rng), name=f"dw_{i}")
        cases.append(case(layers.DepthwiseConv2D, kw, rng, 30000 + 10 * i))
    return cases


def separable_cases():
    rng, cases = random.Random(32), []
    for i in range(48):
        kw = dict(base_kwargs(i + 1, rng), filters=1 + (i * 7) % 4, name=f"sep_{i}")
        cases.append(case(layers.SeparableConv2D, kw, rng, 31000 + 10 * i))
    return cases


def full_configs():
    """Every argument away from its default (mirrored by hand in the C++ test). Keras's L1 keeps its factor
    as a float32 tensor and writes it back rounded to float32, so the L1 factors here are powers of two."""
    dw = layers.DepthwiseConv2D(
        kernel_size=(3, 2), strides=(2, 1), padding="same", depth_multiplier=2, data_format="channels_first",
        dilation_rate=(1, 1), activation="relu", use_bias=False,
        depthwise_initializer=keras.initializers.HeUniform(seed=7),
        bias_initializer=keras.initializers.Constant(0.5),
        depthwise_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4), bias_regularizer="l2",
        activity_regularizer=keras.regularizers.L1(2.0 ** -10),
        depthwise_constraint=keras.constraints.MaxNorm(2.0, axis=[0, 1, 2]),
        bias_constraint=keras.constraints.NonNeg(), name="dw_full")
    sep = layers.SeparableConv2D(
        filters=5, kernel_size=3, strides=1, padding="valid", data_format="channels_last", dilation_rate=2,
        depth_multiplier=3, activation="tanh", use_bias=True,
        depthwise_initializer=keras.initializers.RandomNormal(mean=0.1, stddev=0.2, seed=1),
        pointwise_initializer=keras.initializers.LecunNormal(seed=2),
        bias_initializer=keras.initializers.Ones(),
        depthwise_regularizer=keras.regularizers.L2(1e-3), pointwise_regularizer=keras.regularizers.L1(2.0 ** -13),
        bias_regularizer=None, activity_regularizer=keras.regularizers.L1(0.5),
        depthwise_constraint=keras.constraints.UnitNorm(axis=[0, 1]), pointwise_constraint="non_neg",
        bias_constraint=keras.constraints.MinMaxNorm(0.1, 1.5, rate=0.5, axis=[0]), name="sep_full")
    defaults = [layers.DepthwiseConv2D(3, name="dw_default"), layers.SeparableConv2D(4, 3, name="sep_default")]
    return {layer.name: layer.get_config() for layer in [dw, sep] + defaults}


def model_case():
    """Both layers in a functional model, one SeparableConv2D channels_first behind a Permute."""
    keras.backend.clear_session()
    x = keras.Input((7, 6, 3), name="x")
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu", name="dw")(x)
    h = layers.SeparableConv2D(4, (3, 2), strides=2, padding="same", depth_multiplier=2, name="sep")(h)
    h = layers.Permute((3, 1, 2), name="to_cf")(h)
    h = layers.SeparableConv2D(2, 2, data_format="channels_first", activation="tanh", use_bias=False,
                               name="sep_cf")(h)
    h = layers.DepthwiseConv2D((2, 1), strides=(1, 2), dilation_rate=1, data_format="channels_first",
                               name="dw_cf")(h)
    y = layers.Dense(3, name="out")(layers.Flatten(name="flat")(h))
    model = keras.Model(x, y, name="depthwise_separable")
    seed = 32000
    model.set_weights(weight_patterns(model.weights, seed))
    xs = pattern((2, 7, 6, 3), seed - 1).astype(np.float32)
    y = np.asarray(model.predict(xs, verbose=0))
    return {"name": model.name, "json": model.to_json(), "seed": seed, "input": {"shape": [2, 7, 6, 3], "seed": seed - 1},
            "weights": [{"path": w.path, "shape": list(w.shape)} for w in model.weights],
            "output_shape": list(y.shape), "y": flat(y)}


def main():
    fixture = {"keras": keras.__version__, "depthwise": depthwise_cases(), "separable": separable_cases(),
               "configs": full_configs(), "model": model_case()}
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(len(fixture["depthwise"]), "depthwise,", len(fixture["separable"]), "separable,",
          os.path.getsize(OUT) // 1024, "KiB")


if __name__ == "__main__":
    main()
