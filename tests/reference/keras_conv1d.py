"""The real Keras's Conv1D and Conv1DTranspose: outputs over a spread of configurations, their
get_config(), the errors Keras raises, kernel fans, and Keras model JSON (with model.summary() text)
built from them.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_conv1d.py
-> tests/fixtures/keras_conv1d.json

Inputs and weights are not stored: they come from pattern() (the twin of test::pattern in
tests/support/fixtures.cpp), weight i = pattern(shape_i, seed + 1 + i), as keras_layers_extra.py.
Outputs are float32 Keras. Per case: "args" (what was passed to the constructor: int or 1-element
list forms, case-varied padding), "config" (Keras's get_config() once built; "config_unbuilt" when it
differs before build), shapes and "y".
"""
import math
import os
import random

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")  # see keras_conv2d_transpose.py
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_conv1d.json")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus", "swish", "leaky_relu",
               "relu6", "hard_sigmoid", "mish", "softsign", "softmax", "log_softmax", "hard_silu"]


def one(rng, v):
    """An int argument as a user may pass it: 3, [3] or (3,)."""
    return rng.choice([v, v, [v], (v,)])


def record(cls, args, shape, seed):
    """Runs cls(**args) on pattern(shape, seed); None when Keras refuses the input shape."""
    layer = cls(**args)
    unbuilt = layer.get_config()
    try:
        layer.build(shape)
    except ValueError as e:
        print("skip", cls.__name__, args, shape, e)
        return None
    layer.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(layer.weights)])
    y = np.asarray(layer(pattern(shape, seed).astype(np.float32)))
    assert tuple(layer.compute_output_shape(shape)) == y.shape
    rec = dict(args={k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}, input_shape=list(shape),
               seed=seed, output_shape=list(y.shape), y=flat(y),
               weight_shapes=[list(w.shape) for w in layer.weights], config=layer.get_config())
    if unbuilt != rec["config"]:
        rec["config_unbuilt"] = unbuilt
    return rec


def geometry(rng, max_stride):
    """kernel_size, and strides or dilation_rate (Keras refuses both > 1), in the forms users write;
    also the stride, which bounds output_padding."""
    args = dict(kernel_size=one(rng, rng.randint(1, 5)))
    if rng.random() < 0.3:
        s, d = 1, rng.randint(2, 3)
    else:
        s, d = rng.randint(1, max_stride), 1
    if s != 1 or rng.random() < 0.3:
        args["strides"] = one(rng, s)
    if d != 1 or rng.random() < 0.2:
        args["dilation_rate"] = one(rng, d)
    return args, s


def common_args(rng, paddings):
    return dict(padding=rng.choice(paddings),
                data_format=rng.choice(["channels_last", "channels_last", "channels_first"]),
                activation=rng.choice(ACTIVATIONS), use_bias=rng.random() < 0.75)


def conv1d_args(rng):
    groups = rng.choice([1, 1, 1, 2, 3])
    args, _ = geometry(rng, 3)
    paddings = ["valid", "same", "causal", "causal", "Causal", "SAME"]
    args.update(filters=groups * rng.randint(1, 2), **common_args(rng, paddings))
    if groups != 1:
        args["groups"] = groups
    return args, groups * rng.randint(1, 2)


def conv1d_transpose_args(rng):
    args, s = geometry(rng, 4)
    args.update(filters=rng.randint(1, 4), **common_args(rng, ["valid", "same", "Same"]))
    if rng.random() < 0.45:
        args["output_padding"] = one(rng, rng.randint(0, s - 1))
    return args, rng.randint(1, 3)


def shape_for(rng, args, channels):
    n, steps = rng.randint(1, 2), rng.randint(1, 9)
    return (n, steps, channels) if args["data_format"] == "channels_last" else (n, channels, steps)


# Cases every spread must hold, whatever the random draw: causal with dilation and strides,
# groups, channels_first, output_padding with both paddings.
CONV1D_FIXED = [
    (dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3)),
    (dict(filters=4, kernel_size=3, padding="causal", strides=2), (2, 9, 3)),
    (dict(filters=6, kernel_size=2, padding="causal", groups=3, data_format="channels_first"), (1, 6, 7)),
    (dict(filters=4, kernel_size=5, padding="causal", dilation_rate=3, activation="relu"), (1, 4, 2)),
    (dict(filters=4, kernel_size=3, padding="same", strides=3, groups=2), (2, 8, 4)),
    (dict(filters=2, kernel_size=[4], padding="valid", dilation_rate=(2,), data_format="channels_first"), (2, 3, 9)),
    (dict(filters=3, kernel_size=1), (2, 5, 3)),
    (dict(filters=2, kernel_size=3, use_bias=False, padding="causal"), (1, 1, 2)),
]
CONV1D_TRANSPOSE_FIXED = [
    (dict(filters=3, kernel_size=3, strides=2, output_padding=1), (2, 4, 2)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1), (2, 4, 2)),
    (dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=[2], data_format="channels_first"),
     (1, 3, 5)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (2, 6, 3)),
    (dict(filters=2, kernel_size=3, dilation_rate=3, padding="valid", data_format="channels_first"), (1, 2, 4)),
    (dict(filters=4, kernel_size=2, strides=4), (1, 3, 2)),
    (dict(filters=2, kernel_size=5, strides=2, padding="same"), (1, 1, 3)),
    (dict(filters=1, kernel_size=(3,), strides=(2,), output_padding=(0,), use_bias=False), (2, 5, 1)),
]


def family(cls, fixed, draw, rng, seed, count):
    cases = []
    for args, shape in fixed:
        rec = record(cls, args, shape, seed)
        assert rec is not None
        cases.append(rec)
        seed += 10
    while len(cases) < count:
        args, channels = draw(rng)
        rec = record(cls, args, shape_for(rng, args, channels), seed)
        if rec is not None:
            cases.append(rec)
            seed += 10
    return cases


def config_cases():
    """Layers with every object argument: Keras's config, for from_config / get_config equality."""
    made = [
        layers.Conv1D(4, 3, strides=2, padding="same", data_format="channels_first", groups=2, activation="relu",
                      use_bias=False, kernel_initializer=keras.initializers.HeNormal(seed=3),
                      bias_initializer=keras.initializers.Constant(0.5),
                      kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4), bias_regularizer="l2",
                      activity_regularizer=keras.regularizers.L1(1e-3),
                      kernel_constraint=keras.constraints.MaxNorm(2.0, axis=[0, 1]),
                      bias_constraint=keras.constraints.NonNeg(), name="everything"),
        layers.Conv1D(2, (5,), padding="CAUSAL", dilation_rate=[2], trainable=False, dtype="float64"),
        layers.Conv1DTranspose(3, 4, strides=2, padding="same", output_padding=1, activation="tanh",
                               kernel_initializer="lecun_uniform", bias_initializer="ones",
                               kernel_regularizer="l1", activity_regularizer=keras.regularizers.L2(0.02),
                               kernel_constraint=keras.constraints.UnitNorm(axis=[0, 2]),
                               bias_constraint=keras.constraints.MinMaxNorm(0.5, 1.5, rate=0.5, axis=[0]),
                               name="up"),
        layers.Conv1DTranspose(2, [3], dilation_rate=(2,), data_format="channels_first", use_bias=False),
    ]
    return [{"class_name": type(l).__name__, "config": l.get_config()} for l in made]


def error_cases():
    """Argument sets (and input shapes) the real Keras refuses, with its message."""
    out = []
    tries = [
        ("Conv1D", dict(filters=0, kernel_size=3), None, "filters"),
        ("Conv1D", dict(filters=2, kernel_size=0), None, "kernel_size"),
        ("Conv1D", dict(filters=2, kernel_size=3, strides=0), None, "strides"),
        ("Conv1D", dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), None, "dilation_rate"),
        ("Conv1D", dict(filters=3, kernel_size=3, groups=2), None, "groups"),
        ("Conv1D", dict(filters=2, kernel_size=3, groups=0), None, "groups"),
        ("Conv1D", dict(filters=2, kernel_size=3, padding="full"), None, "padding"),
        ("Conv1D", dict(filters=2, kernel_size=3, data_format="NWC"), None, "data_format"),
        ("Conv1D", dict(filters=2, kernel_size=3, groups=2), (1, 5, 3), "groups"),
        ("Conv1D", dict(filters=2, kernel_size=4), (1, 3, 2), "output size"),
        ("Conv1D", dict(filters=2, kernel_size=2, dilation_rate=3), (1, 3, 2), "output size"),
        ("Conv1D", dict(filters=2, kernel_size=3), (1, 5), "ndim"),
        ("Conv1DTranspose", dict(filters=0, kernel_size=3), None, "filters"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=0), None, "kernel_size"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=0), None, "strides"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, padding="causal"), None, "padding"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=2), None, "output_padding"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, output_padding=1), None, "output_padding"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, output_padding=-1), None, "output_padding"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), None, "dilation_rate"),
        ("Conv1DTranspose", dict(filters=2, kernel_size=3), (1, 5), "ndim"),
    ]
    for cls, args, shape, needle in tries:
        try:
            layer = getattr(layers, cls)(**args)
            if shape is not None:
                layer(np.zeros(shape, np.float32))
        except (ValueError, TypeError) as e:
            out.append({"class_name": cls, "args": args, "input_shape": shape, "needle": needle,
                        "keras_error": str(e)[:300]})
            continue
        raise AssertionError(f"Keras accepted {cls} {args} {shape}")
    return out


def fan_cases():
    """Keras's fans and glorot_uniform limit for the kernels these layers build."""
    out = []
    for cls, args, shape in [("Conv1D", dict(filters=8, kernel_size=3), (1, 5, 4)),
                             ("Conv1D", dict(filters=6, kernel_size=5, groups=3), (1, 9, 6)),
                             ("Conv1D", dict(filters=16, kernel_size=7, data_format="channels_first"), (1, 32, 20)),
                             ("Conv1DTranspose", dict(filters=8, kernel_size=3), (1, 5, 4)),
                             ("Conv1DTranspose", dict(filters=24, kernel_size=4, strides=2), (1, 5, 40))]:
        layer = getattr(layers, cls)(**args)
        layer.build(shape)
        ks = tuple(layer.kernel.shape)
        fan_in, fan_out = compute_fans(ks)
        out.append({"class_name": cls, "args": args, "input_shape": list(shape), "kernel_shape": list(ks),
                    "fan_in": fan_in, "fan_out": fan_out, "glorot_limit": math.sqrt(6.0 / (fan_in + fan_out)),
                    "keras_max_abs": float(np.max(np.abs(np.asarray(layer.kernel))))})
    return out


# ---- Keras 3 models ----

def decoder():
    """A sequence decoder: causal dilated and grouped convolutions, then transposed upsampling."""
    x = keras.Input((10, 3), name="tokens")
    h = layers.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu", name="causal")(x)
    h = layers.Conv1D(6, 3, strides=2, padding="same", groups=3, activation="gelu", name="down")(h)  # 5 steps
    h = layers.Conv1DTranspose(4, 4, strides=2, padding="same", name="up")(h)  # 10
    h = layers.Conv1DTranspose(4, 3, strides=2, output_padding=1, activation="tanh", name="up2",
                               kernel_regularizer="l2", bias_constraint=keras.constraints.NonNeg())(h)  # 22
    y = layers.Conv1D(2, 1, name="head")(h)
    return keras.Model(x, y, name="conv1d_decoder"), (2, 10, 3)


def channels_first_seq():
    return keras.Sequential([
        keras.Input((3, 8)),
        layers.Conv1D(4, 3, padding="causal", data_format="channels_first", activation="swish", name="c"),
        layers.Conv1DTranspose(2, 3, strides=2, padding="same", data_format="channels_first", name="t"),
        layers.Conv1D(2, (2,), dilation_rate=(3,), data_format="channels_first", use_bias=False, name="d"),
    ], name="conv1d_channels_first"), (2, 3, 8)


def model_cases():
    cases, seed = [], 31000
    for build in [decoder, channels_first_seq]:
        keras.backend.clear_session()
        model, shape = build()
        model.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32)
                           for i, w in enumerate(model.weights)])
        x = pattern(shape, seed - 1).astype(np.float32)
        y = np.asarray(model.predict(x, verbose=0))
        lines = []
        model.summary(print_fn=lambda s, line_break=True: lines.append(s))
        cases.append({"name": model.name, "json": model.to_json(), "summary": "".join(lines), "seed": seed,
                      "inputs": [{"shape": list(shape), "seed": seed - 1}],
                      "weights": [{"path": w.path, "shape": list(w.shape)} for w in model.weights],
                      "output_shape": list(y.shape), "y": flat(y)})
        seed += 100
    return cases


def main():
    rng = random.Random(1717)
    fixture = {
        "keras": keras.__version__,
        "conv1d": family(layers.Conv1D, CONV1D_FIXED, conv1d_args, rng, 30000, 56),
        "conv1d_transpose": family(layers.Conv1DTranspose, CONV1D_TRANSPOSE_FIXED, conv1d_transpose_args, rng,
                                   30600, 52),
        "configs": config_cases(),
        "errors": error_cases(),
        "fans": fan_cases(),
        "models": model_cases(),
    }
    write_fixture(OUT, fixture)


if __name__ == "__main__":
    main()
