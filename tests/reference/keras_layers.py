"""The real Keras's layers (everything in layers/ but Conv2DTranspose, which has its own fixture).

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_layers.py
-> tests/fixtures/keras_layers.json

Inputs and weights are not stored: they come from pattern() (the twin of test::pattern in
tests/support/fixtures.cpp) and are given to the layers with set_weights. Outputs are float32 Keras.
Besides the layer outputs the fixture holds Keras's own model.summary() text for three
well-known Sequential models, their weight paths/shapes, get_config() keys of every layer class
and regularization-loss counts and values.
"""
import json
import os
import random

import numpy as np

# XLA's algebraic simplifier aborts on some channels_first convolutions (a jaxlib bug); without it
# the result is the same computation, just not simplified.
os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_layers.json")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus", "swish", "leaky_relu",
               "relu6", "hard_sigmoid", "mish", "softsign", "softmax", "log_softmax", "hard_silu"]


def run(layer, shape, seed, weights=None, training=False):
    x = pattern(shape, seed).astype(np.float32)
    if not layer.built:
        layer.build(shape)
    if weights is not None:
        layer.set_weights([w.astype(np.float32) for w in weights])
    y = np.asarray(layer(x, training=training)) if training else np.asarray(layer(x))
    assert tuple(layer.compute_output_shape(shape)) == y.shape, (layer.compute_output_shape(shape), y.shape)
    return y


def weight_patterns(layer, seed):
    return [pattern(tuple(w.shape), seed + 1 + i) for i, w in enumerate(layer.weights)]


# ---- Conv2D ----

def conv2d_cases(rng):
    cases, fixed = [], [
        # The autoencoder's layers and a channels_first grouped, dilated case, always present.
        dict(filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same", data_format="channels_last",
             dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True, shape=(2, 6, 5, 2)),
        dict(filters=4, kernel_size=[3, 2], strides=[1, 1], padding="valid", data_format="channels_first",
             dilation_rate=[2, 1], groups=2, activation="tanh", use_bias=True, shape=(2, 4, 7, 6)),
        dict(filters=6, kernel_size=[2, 2], strides=[2, 3], padding="same", data_format="channels_first",
             dilation_rate=[1, 1], groups=3, activation="linear", use_bias=False, shape=(1, 3, 5, 7)),
    ]
    seed = 7000
    while len(cases) < 44:
        if fixed:
            c = fixed.pop(0)
            shape = c.pop("shape")
        else:
            groups = rng.choice([1, 1, 2, 3])
            dilated = rng.random() < 0.25
            c = dict(filters=groups * rng.randint(1, 3), kernel_size=[rng.randint(1, 4), rng.randint(1, 4)],
                     strides=[1, 1] if dilated else [rng.randint(1, 3), rng.randint(1, 3)],
                     padding=rng.choice(["valid", "same"]),
                     data_format="channels_first" if rng.random() < 0.4 else "channels_last",
                     dilation_rate=[rng.randint(1, 3), rng.randint(1, 2)] if dilated else [1, 1], groups=groups,
                     activation=rng.choice(ACTIVATIONS), use_bias=rng.random() < 0.7)
            n, h, w, ch = rng.randint(1, 2), rng.randint(1, 7), rng.randint(1, 7), groups * rng.randint(1, 2)
            shape = (n, h, w, ch) if c["data_format"] == "channels_last" else (n, ch, h, w)
        layer = layers.Conv2D(**c)
        try:
            layer.build(shape)
            layer.compute_output_shape(shape)
            ok = all(d is None or d > 0 for d in layer.compute_output_shape(shape))
        except ValueError as e:
            ok = False
            print("skip conv2d", c, shape, e)
        if not ok:
            continue
        y = run(layer, shape, seed, weight_patterns(layer, seed))
        cases.append({"config": c, "input_shape": list(shape), "seed": seed, "kernel_shape": list(layer.kernel.shape),
                      "output_shape": list(y.shape), "y": flat(y)})
        seed += 4
    return cases


# ---- Dense ----

def dense_cases():
    cases, seed = [], 8000
    for shape, units, activation, use_bias in [((3, 4), 5, "linear", True), ((2, 7), 3, "relu", False),
                                               ((2, 3, 4), 5, "sigmoid", True), ((1, 2, 3, 4), 2, "tanh", True),
                                               ((4, 1), 6, "softmax", True), ((2, 5, 3), 4, "gelu", False),
                                               ((3, 6), 1, "swish", True), ((2, 2, 8), 3, "elu", True)]:
        layer = layers.Dense(units, activation=activation, use_bias=use_bias)
        layer.build(shape)
        y = run(layer, shape, seed, weight_patterns(layer, seed))
        cases.append({"config": {"units": units, "activation": activation, "use_bias": use_bias},
                      "input_shape": list(shape), "seed": seed, "output_shape": list(y.shape), "y": flat(y)})
        seed += 4
    return cases


# ---- BatchNormalization ----

def batch_norm_cases():
    cases, seed = [], 9000
    for shape, axis, center, scale, epsilon in [((4, 3), -1, True, True, 1e-3), ((2, 3, 4, 5), -1, True, True, 1e-3),
                                                ((2, 3, 4, 5), 1, True, True, 1e-3), ((3, 2, 5), 1, False, True, 1e-2),
                                                ((2, 4, 3, 2), -1, True, False, 1e-3), ((5, 2, 2), 2, True, True, 0.5)]:
        layer = layers.BatchNormalization(axis=axis, momentum=0.9, epsilon=epsilon, center=center, scale=scale)
        layer.build(shape)
        c = shape[axis]
        weights = []
        if scale:
            weights.append(pattern((c,), seed + 1) + 1.5)  # gamma
        if center:
            weights.append(pattern((c,), seed + 2))  # beta
        weights.append(pattern((c,), seed + 3) * 0.5)  # moving_mean
        weights.append(pattern((c,), seed + 4) * 0.5 + 1.0)  # moving_variance (positive)
        y_inference_before = run(layer, shape, seed, weights)
        y_train = np.asarray(layer(pattern(shape, seed).astype(np.float32), training=True))
        y_inference = np.asarray(layer(pattern(shape, seed).astype(np.float32), training=False))
        cases.append({"config": {"axis": axis, "momentum": 0.9, "epsilon": epsilon, "center": center, "scale": scale},
                      "input_shape": list(shape), "seed": seed, "y_inference_before": flat(y_inference_before),
                      "y_train": flat(y_train), "moving_mean": flat(layer.moving_mean),
                      "moving_variance": flat(layer.moving_variance), "y_inference": flat(y_inference)})
        seed += 8
    return cases


# ---- weightless layers ----

def pooling_cases():
    cases, seed = [], 10000
    for kind in ["max", "average"]:
        for pool, strides, padding, fmt, shape in [
                ([2, 2], None, "valid", "channels_last", (2, 5, 7, 3)), ([2, 2], None, "same", "channels_last", (2, 5, 7, 3)),
                ([3, 3], [2, 2], "valid", "channels_last", (1, 7, 8, 2)), ([3, 3], [2, 2], "same", "channels_first", (1, 2, 7, 8)),
                ([2, 3], [1, 2], "same", "channels_first", (2, 3, 5, 6)), ([3, 2], [3, 1], "valid", "channels_first", (1, 2, 9, 4)),
                ([2, 2], [1, 1], "same", "channels_last", (1, 4, 4, 2)), ([3, 3], [1, 3], "same", "channels_last", (2, 5, 5, 1)),
                ([1, 2], [2, 1], "valid", "channels_last", (1, 3, 4, 2)), ([4, 4], [3, 3], "same", "channels_first", (1, 1, 6, 5))]:
            cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
            y = run(cls(pool_size=pool, strides=strides, padding=padding, data_format=fmt), shape, seed)
            cases.append({"kind": kind, "pool_size": pool, "strides": strides, "padding": padding, "data_format": fmt,
                          "input_shape": list(shape), "seed": seed, "output_shape": list(y.shape), "y": flat(y)})
            seed += 1
    return cases


def upsampling_cases():
    cases, seed = [], 11000
    for size, interpolation, fmt, shape in [([2, 2], "nearest", "channels_last", (2, 3, 4, 2)),
                                            ([2, 3], "nearest", "channels_first", (1, 2, 3, 2)),
                                            ([2, 2], "bilinear", "channels_last", (2, 3, 4, 2)),
                                            ([3, 2], "bilinear", "channels_first", (1, 2, 4, 3)),
                                            ([1, 4], "bilinear", "channels_last", (1, 2, 3, 1)),
                                            ([3, 3], "bilinear", "channels_last", (1, 1, 2, 2))]:
        y = run(layers.UpSampling2D(size=size, interpolation=interpolation, data_format=fmt), shape, seed)
        cases.append({"size": size, "interpolation": interpolation, "data_format": fmt, "input_shape": list(shape),
                      "seed": seed, "output_shape": list(y.shape), "y": flat(y)})
        seed += 1
    return cases


def zero_padding_cases():
    cases, seed = [], 12000
    for padding, fmt, shape in [([[1, 1], [1, 1]], "channels_last", (2, 2, 3, 2)),
                                ([[1, 2], [0, 3]], "channels_last", (1, 3, 2, 2)),
                                ([[2, 0], [1, 2]], "channels_first", (1, 2, 3, 2))]:
        y = run(layers.ZeroPadding2D(padding=padding, data_format=fmt), shape, seed)
        cases.append({"padding": padding, "data_format": fmt, "input_shape": list(shape), "seed": seed,
                      "output_shape": list(y.shape), "y": flat(y)})
        seed += 1
    return cases


def flatten_reshape_cases():
    flatten, reshape, seed = [], [], 13000
    for fmt, shape in [("channels_last", (2, 3, 4, 5)), ("channels_first", (2, 3, 4, 5)), ("channels_first", (2, 3, 4)),
                       ("channels_first", (2, 5))]:
        y = run(layers.Flatten(data_format=fmt), shape, seed)
        flatten.append({"data_format": fmt, "input_shape": list(shape), "seed": seed, "output_shape": list(y.shape),
                        "y": flat(y)})
        seed += 1
    for target, shape in [([3, 4], (2, 12)), ([-1, 2], (2, 3, 4)), ([4, -1], (2, 3, 4)), ([2, 3, 2], (1, 12))]:
        y = run(layers.Reshape(target), shape, seed)
        reshape.append({"target_shape": target, "input_shape": list(shape), "seed": seed,
                        "output_shape": list(y.shape), "y": flat(y)})
        seed += 1
    return flatten, reshape


def activation_cases():
    leaky, act, seed = [], [], 14000
    for slope in [None, 0.1, 0.0, 2.0]:
        layer = layers.LeakyReLU() if slope is None else layers.LeakyReLU(negative_slope=slope)
        y = run(layer, (3, 7), seed)
        leaky.append({"negative_slope": slope, "input_shape": [3, 7], "seed": seed, "y": flat(y)})
        seed += 1
    for name in ACTIVATIONS + ["exponential", "silu", "celu", "log_sigmoid", "hard_tanh"]:
        y = run(layers.Activation(name), (2, 3, 5), seed)
        act.append({"activation": name, "input_shape": [2, 3, 5], "seed": seed, "y": flat(y)})
        seed += 1
    return leaky, act


# ---- Sequential models ----

def autoencoder():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same"),
        layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same"),
        layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same"),
    ])


def dcgan_generator():
    return keras.Sequential([
        keras.Input((100,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"),
    ])


def dcgan_discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ])


def long_names():
    """Names longer than the first column: rich wraps at spaces and cuts longer words."""
    return keras.Sequential([
        keras.Input((4,)),
        layers.Dense(3, name="a_dense_layer_with_a_name_longer_than_the_column"),
        layers.BatchNormalization(name="normalization_of_the_output"),
        layers.Dense(2, name="abcdefghijklmnopqrstuvwxyz_0123"),
    ], name="long_names")


def model_record(build):
    keras.backend.clear_session()
    model = build()
    lines = []
    model.summary(print_fn=lambda s, line_break=True: lines.append(s))
    return {"summary": "".join(lines), "name": model.name,
            "weights": [{"path": w.path, "shape": list(w.shape), "trainable": bool(w.trainable)} for w in model.weights],
            "trainable_count": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "non_trainable_count": int(sum(np.prod(w.shape) for w in model.non_trainable_weights))}


def config_keys():
    makers = {
        "Dense": lambda: layers.Dense(2), "Conv2D": lambda: layers.Conv2D(2, 3),
        "Conv2DTranspose": lambda: layers.Conv2DTranspose(2, 3), "BatchNormalization": layers.BatchNormalization,
        "MaxPooling2D": layers.MaxPooling2D, "AveragePooling2D": lambda: layers.AveragePooling2D(2),
        "UpSampling2D": layers.UpSampling2D, "Dropout": lambda: layers.Dropout(0.5), "Flatten": layers.Flatten,
        "Reshape": lambda: layers.Reshape((2,)), "ZeroPadding2D": layers.ZeroPadding2D,
        "Activation": lambda: layers.Activation("relu"), "LeakyReLU": layers.LeakyReLU,
        "Sequential": lambda: keras.Sequential([layers.Dense(2)]),
    }
    out = {name: sorted(make().get_config().keys()) for name, make in makers.items()}
    out["Dense+activity_regularizer"] = sorted(layers.Dense(2, activity_regularizer="l2").get_config().keys())
    return out


def regularization():
    """Loss counts after build and after a call, and their values with pattern() weights."""
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.Input((5, 5, 2)),
        layers.Conv2D(3, 3, kernel_regularizer="l2", bias_regularizer="l1", activity_regularizer="l2"),
        layers.Flatten(),
        layers.Dense(4, kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.02)),
        layers.Dense(2, activity_regularizer=keras.regularizers.L1(0.05)),
    ])
    seed = 15000
    model.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(model.weights)])
    after_build = [float(v) for v in model.losses]
    model(pattern((3, 5, 5, 2), seed).astype(np.float32))
    after_call = [float(v) for v in model.losses]
    model.trainable = False  # weight penalties go (trainable weights only), the activity terms stay
    frozen = [float(v) for v in model.losses]
    model.trainable = True
    model.layers[0].trainable = False
    first_frozen = [float(v) for v in model.losses]
    return {"seed": seed, "input_shape": [3, 5, 5, 2], "after_build": after_build, "after_call": after_call,
            "frozen": frozen, "first_layer_frozen": first_frozen}


def main():
    rng = random.Random(2718)
    flatten, reshape = flatten_reshape_cases()
    leaky, act = activation_cases()
    fixture = {
        "keras": keras.__version__,
        "conv2d": conv2d_cases(rng),
        "dense": dense_cases(),
        "batch_normalization": batch_norm_cases(),
        "pooling": pooling_cases(),
        "upsampling": upsampling_cases(),
        "zero_padding": zero_padding_cases(),
        "flatten": flatten,
        "reshape": reshape,
        "leaky_relu": leaky,
        "activation": act,
        "models": {"autoencoder": model_record(autoencoder), "dcgan_generator": model_record(dcgan_generator),
                   "dcgan_discriminator": model_record(dcgan_discriminator),
                   "long_names": model_record(long_names)},
        "config_keys": config_keys(),
        "regularization": regularization(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"), ensure_ascii=False)
    print({k: len(v) for k, v in fixture.items() if isinstance(v, list)}, os.path.getsize(OUT) // 1024, "KiB")


if __name__ == "__main__":
    main()
