"""The real Keras's newer layers (LayerNormalization, Embedding, GlobalAverage/MaxPooling2D,
Cropping2D) and real Keras 3 model JSON for minidl's config loader.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_layers_extra.py
-> tests/fixtures/keras_layers_extra.json

Inputs and weights are not stored: they come from pattern() (the twin of test::pattern in
tests/support/fixtures.cpp) and are given to the layers with set_weights. Embedding indices are
indices(shape, seed, input_dim): element i is k * input_dim // 1000 with k = (i * 7919 + seed * 104729)
% 1000, the integer form of pattern(). Outputs are float32 Keras.
Besides the outputs the fixture holds each layer's get_config() (keys and values), and for the
models their model.to_json() text and predictions, with weight i = pattern(shape_i, seed + 1 + i)
(+ 2 for a BatchNormalization moving_variance).
"""
import os

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")  # see keras_layers.py
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_layers_extra.json")


def weight_patterns(weights, seed):
    return [pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(weights)]


def run(layer, x):
    layer.build(x.shape)
    layer.set_weights(weight_patterns(layer.weights, SEED[0]))
    y = np.asarray(layer(x))
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape
    return y


SEED = [0]


def record(layer, shape, seed, x=None, **extra):
    """Runs `layer` on pattern(shape, seed) (or x) and keeps its output and config."""
    SEED[0] = seed
    unbuilt = layer.get_config()
    if x is None:
        x = pattern(shape, seed).astype(np.float32)
    y = run(layer, x)
    rec = dict(extra, input_shape=list(shape), seed=seed, output_shape=list(y.shape), y=flat(y),
               weight_shapes=[list(w.shape) for w in layer.weights], config=layer.get_config())
    if unbuilt != rec["config"]:  # LayerNormalization's int axis becomes a list when built
        rec["config_unbuilt"] = unbuilt
    return rec


# ---- LayerNormalization ----

def layer_norm_cases():
    cases, seed = [], 20000
    for shape, kw, offset in [
            ((3, 5), dict(), 0.0),
            ((2, 3, 4), dict(), 0.0),
            ((2, 4, 3), dict(axis=1), 0.0),
            ((2, 3, 4, 2), dict(axis=[1, 2]), 0.0),
            ((2, 3, 2, 4), dict(axis=[1, 3]), 0.0),
            ((2, 3, 2, 4), dict(axis=[-1, 1]), 0.0),
            ((2, 2, 3, 2), dict(axis=[1, 2, 3]), 0.0),
            ((3, 6), dict(center=False), 0.0),
            ((3, 6), dict(scale=False), 0.0),
            ((2, 3, 4), dict(center=False, scale=False), 0.0),
            ((3, 6), dict(epsilon=0.5), 0.0),
            ((3, 6), dict(epsilon=1e-6), 0.0),
            ((3, 6), dict(epsilon=0.0), 0.0),
            ((3, 1), dict(), 0.0),  # one element: output is beta
            ((4, 8), dict(), 20.0),  # a large mean
            ((3, 6), dict(rms_scaling=True), 0.0),
            ((2, 3, 4), dict(rms_scaling=True, axis=[1, 2]), 0.0),
            ((3, 6), dict(rms_scaling=True, center=False, scale=False), 0.0),
            ((3, 6), dict(rms_scaling=True, epsilon=0.25), 0.0),
    ]:
        x = (pattern(shape, seed) + offset).astype(np.float32)
        layer = layers.LayerNormalization(name=f"ln_{seed}", **kw)
        cases.append(record(layer, shape, seed, x=x, kwargs=kw, offset=offset))
        seed += 10
    return cases


# ---- Embedding ----

def embedding_cases():
    cases, seed = [], 21000
    for shape, input_dim, output_dim, mask_zero in [((3,), 5, 2, False), ((2, 4), 7, 3, False),
                                                    ((2, 3, 2), 4, 5, False), ((4, 3), 6, 1, True),
                                                    ((2, 5), 1, 3, False), ((1, 1), 3, 4, True)]:
        x = indices(shape, seed, input_dim).astype(np.int32)
        layer = layers.Embedding(input_dim, output_dim, mask_zero=mask_zero, name=f"emb_{seed}")
        rec = record(layer, shape, seed, x=x, input_dim=input_dim, output_dim=output_dim, mask_zero=mask_zero)
        rec["indices"] = x.reshape(-1).tolist()  # for reading the fixture; the test recomputes them
        if mask_zero:
            rec["mask"] = np.asarray(layer.compute_mask(x)).reshape(-1).tolist()
        cases.append(rec)
        seed += 10
    return cases


# ---- GlobalAveragePooling2D / GlobalMaxPooling2D ----

def global_pooling_cases():
    cases, seed = [], 22000
    for kind, cls in [("average", layers.GlobalAveragePooling2D), ("max", layers.GlobalMaxPooling2D)]:
        for fmt in ["channels_last", "channels_first"]:
            for keepdims in [False, True]:
                for shape in [(2, 3, 4, 5), (1, 1, 1, 3)]:
                    layer = cls(data_format=fmt, keepdims=keepdims, name=f"gp_{seed}")
                    cases.append(record(layer, shape, seed, kind=kind, data_format=fmt, keepdims=keepdims))
                    seed += 1
    return cases


# ---- Cropping2D ----

def cropping_cases():
    cases, seed = [], 23000
    for cropping, fmt, shape in [(1, "channels_last", (2, 5, 6, 3)), (1, "channels_first", (2, 3, 5, 6)),
                                 ((1, 2), "channels_last", (1, 4, 7, 2)), ((2, 0), "channels_first", (1, 2, 6, 3)),
                                 (((1, 0), (2, 3)), "channels_last", (2, 4, 8, 2)),
                                 (((0, 2), (1, 0)), "channels_first", (1, 3, 5, 4)),
                                 (((0, 0), (0, 0)), "channels_last", (1, 2, 3, 2)),
                                 (((3, 0), (0, 0)), "channels_last", (1, 5, 2, 1))]:
        layer = layers.Cropping2D(cropping=cropping, data_format=fmt, name=f"crop_{seed}")
        cases.append(record(layer, shape, seed, cropping=cropping, data_format=fmt))
        seed += 1
    return cases


def permute_cases():
    cases, seed = [], 24000
    for dims, shape in [((2, 1), (2, 3, 4)), ((1, 2), (2, 3, 4)), ((3, 1, 2), (2, 4, 5, 3)), ((2, 3, 1), (1, 3, 4, 5)),
                        ((1,), (3, 2))]:
        layer = layers.Permute(dims, name=f"permute_{seed}")
        cases.append(record(layer, shape, seed, dims=list(dims)))
        seed += 1
    return cases


# ---- Keras 3 models ----

def set_pattern_weights(model, seed):
    """Weight i is pattern(shape, seed + 1 + i), plus 2 for a moving_variance (kept positive)."""
    values = weight_patterns(model.weights, seed)
    model.set_weights([v + 2 if w.path.endswith("moving_variance") else v for v, w in zip(values, model.weights)])


def two_inputs():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    ha = layers.Dense(5, activation="relu", name="da")(a)
    hb = layers.Dense(5, activation="tanh", name="db")(b)
    s = layers.Add(name="add")([ha, hb])
    c = layers.Concatenate(name="cat")([s, a, b])
    y = layers.Dense(2, name="out")(c)
    return keras.Model([a, b], y, name="two_inputs"), [(3, 4), (3, 3)]


def shared_layer():
    x = keras.Input((6,), name="x")
    z = keras.Input((6,), name="z")
    shared = layers.Dense(4, activation="sigmoid", name="shared")
    u = shared(x)
    v = shared(z)
    w = shared(layers.Dense(6, name="pre")(x))  # a third call, on a computed tensor
    m = layers.Concatenate(axis=-1, name="cat")([u, v, w])
    y = layers.Dense(3, activation="softmax", name="head")(layers.Subtract(name="sub")([u, v]))
    y = layers.Concatenate(name="final")([y, m])
    return keras.Model(inputs=[x, z], outputs=y, name="shared_layer"), [(2, 6), (2, 6)]


def conditional():
    """Image plus label: the label's embedding is normalized, projected and added to the image."""
    img = keras.Input((6, 6, 2), name="image")
    label = keras.Input((1,), name="label")
    e = layers.Embedding(5, 8, name="embed")(label)  # (N, 1, 8)
    e = layers.LayerNormalization(name="ln")(e)
    e = layers.Dense(2 * 6 * 6, name="proj")(layers.Flatten(name="flat")(e))
    e = layers.Reshape((6, 6, 2), name="to_map")(e)
    h = layers.Add(name="join")([img, e])
    h = layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu", name="up")(h)  # 12x12
    h = layers.Cropping2D(((1, 2), (2, 1)), name="crop")(h)  # 9x9
    h = layers.LayerNormalization(axis=[1, 2], name="ln2")(h)
    h = layers.GlobalAveragePooling2D(name="gap")(h)
    y = layers.Dense(1, activation="sigmoid", name="score")(h)
    return keras.Model([img, label], y, name="conditional"), [(3, 6, 6, 2), ("label", 3, 1)]


def sequential():
    return keras.Sequential([
        keras.Input((5, 5, 2)),
        layers.Conv2D(3, 3, padding="same", activation="relu", name="conv"),
        layers.GlobalMaxPooling2D(keepdims=True, name="gmp"),
        layers.Flatten(name="flat"),
        layers.LayerNormalization(rms_scaling=True, name="rms"),
        layers.Dense(2, name="out"),
    ], name="seq"), [(2, 5, 5, 2)]


def sequential_built():
    """No Input: built with build(), then the config gains an InputLayer and a build_config."""
    model = keras.Sequential([layers.Dense(3, activation="relu", name="d"), layers.LayerNormalization(name="ln")],
                             name="seq_built")
    model.build((None, 4))
    return model, [(3, 4)]


def sequential_called():
    """No Input: built by a first call, which fixes the InputLayer's batch axis to that batch's size."""
    model = keras.Sequential([layers.Embedding(6, 2, name="e"), layers.Flatten(name="f"), layers.Dense(2, name="d")],
                             name="seq_called")
    model(indices((2, 3), 1, 6).astype(np.float32))
    return model, [("label", 2, 3)]


def channels_first_model():
    x = keras.Input((2, 7, 6), name="x")
    h = layers.Cropping2D((1, 2), data_format="channels_first", name="crop")(x)
    g = layers.GlobalMaxPooling2D(data_format="channels_first", keepdims=True, name="gmp")(h)
    h = layers.Multiply(name="gate")([h, layers.Activation("sigmoid", name="sig")(g)])
    h = layers.GlobalAveragePooling2D(data_format="channels_first", name="gap")(h)
    return keras.Model(x, h, name="channels_first"), [(2, 2, 7, 6)]


def int_ids():
    """Integer ids, as Keras users feed an Embedding: Input(dtype="int32")."""
    ids = keras.Input((3,), dtype="int32", name="ids")
    e = layers.Embedding(7, 4, mask_zero=True, name="embed")(ids)
    e = layers.LayerNormalization(epsilon=1e-5, name="ln")(e)
    h = layers.Dense(5, activation="gelu", name="hidden")(layers.Flatten(name="flat")(e))
    h = layers.BatchNormalization(name="bn")(h)
    h = layers.Dropout(0.4, name="drop")(h)
    return keras.Model(ids, layers.Dense(2, name="out")(h), name="int_ids"), [("label", 4, 3)]


def nested():
    """A Sequential block and a functional block used as layers of an outer model."""
    block = keras.Sequential([keras.Input((4,)), layers.Dense(6, activation="relu", name="d1"),
                              layers.BatchNormalization(name="bn"), layers.Dropout(0.3, name="drop")], name="block")
    u = keras.Input((6,), name="u")
    inner = keras.Model(u, layers.Dense(3, activation="tanh", name="d2")(layers.LayerNormalization(name="ln")(u)),
                        name="inner")
    x = keras.Input((4,), name="x")
    y = layers.Dense(2, name="out")(inner(block(x)))
    return keras.Model(x, y, name="nested"), [(3, 4)]


def compiled():
    """A compiled model: to_json() carries Keras's compile_config."""
    x = keras.Input((3,), name="x")
    model = keras.Model(x, layers.Dense(1, name="out")(layers.Dense(4, activation="relu", name="h")(x)),
                        name="compiled")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model, [(2, 3)]


def model_cases():
    cases, seed = [], 24000
    for build in [two_inputs, shared_layer, conditional, sequential, channels_first_model, int_ids, nested, compiled,
                  sequential_built, sequential_called]:
        keras.backend.clear_session()
        model, input_specs = build()
        set_pattern_weights(model, seed)
        xs, descr = [], []
        for k, spec in enumerate(input_specs):
            if spec[0] == "label":
                xs.append(indices(spec[1:], seed - 1 - k, 5).astype(np.float32 if build is conditional else np.int32))
                descr.append({"shape": list(spec[1:]), "seed": seed - 1 - k, "indices_below": 5})
            else:
                xs.append(pattern(spec, seed - 1 - k).astype(np.float32))
                descr.append({"shape": list(spec), "seed": seed - 1 - k})
        y = np.asarray(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        cases.append({"name": model.name, "json": model.to_json(), "seed": seed, "inputs": descr,
                      "weights": [{"path": w.path, "shape": list(w.shape)} for w in model.weights],
                      "output_shape": list(y.shape), "y": flat(y)})
        seed += 100
    return cases


def main():
    fixture = {
        "keras": keras.__version__,
        "layer_normalization": layer_norm_cases(),
        "embedding": embedding_cases(),
        "global_pooling": global_pooling_cases(),
        "cropping": cropping_cases(),
        "permute": permute_cases(),
        "models": model_cases(),
    }
    write_fixture(OUT, fixture)


if __name__ == "__main__":
    main()
