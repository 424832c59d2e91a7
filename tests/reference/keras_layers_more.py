"""The real Keras 3's 1-D pooling/padding layers, activation layers, RepeatVector, Identity and the
regularisation layers' configs, for tests/layers/test_layers_more.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_layers_more.py
-> tests/fixtures/keras_layers_more.json

Each case: class_name and Keras's get_config() (the test builds the layer from that config through
minidl's layer registry), the input pattern(input_shape, seed) (+ offset), a mask where given,
weights pattern(shape_i, seed + 1 + i) (PReLU's alpha), Keras's float32 output y, and the gradients
of sum(y * pattern(output_shape, seed + 500)) with respect to the input (dx) and the weights (dw).
The regularisation layers (random in training) keep their configs only; "model" is a Keras 3
Sequential Conv1D -> MaxPooling1D -> GlobalAveragePooling1D -> Dense as model.to_json() text with
its prediction.
"""
import json
import os

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")  # see keras_layers.py
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_layers_more.json")


def record(layer, shape, seed, offset=0.0, mask=None):
    x = (pattern(shape, seed) + offset).astype(np.float32)
    layer.build(shape)
    layer.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(layer.weights)])
    m = None if mask is None else jnp.asarray(np.asarray(mask, dtype=bool))
    y = np.asarray(layer(x, mask=m) if m is not None else layer(x))
    assert tuple(layer.compute_output_shape(shape)) == y.shape
    p = pattern(y.shape, seed + 500).astype(np.float32)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def loss(xx, tvv):
        kw = {"mask": m} if m is not None else {}
        out, _ = layer.stateless_call(tvv, ntv, xx, **kw)
        return jnp.sum(out * p)

    dx, dw = jax.grad(loss, argnums=(0, 1))(jnp.asarray(x), tv)
    rec = dict(class_name=layer.__class__.__name__, config=layer.get_config(), input_shape=list(shape), seed=seed,
               offset=offset, output_shape=list(y.shape), y=flat(y), dx=flat(dx),
               weight_shapes=[list(w.shape) for w in layer.weights], dw=[flat(g) for g in dw])
    if mask is not None:
        rec["mask"] = np.asarray(mask, dtype=np.float64).reshape(-1).tolist()
        rec["mask_shape"] = list(np.asarray(mask).shape)
    return rec


def mask_of(shape, seed):
    m = pattern(shape, seed) > -0.4
    m[:, 0] = True  # every sample keeps a step
    return m


def cases():
    out, seed = [], 41000

    def add(layer, shape, **kw):
        nonlocal seed
        seed += 10
        out.append(record(layer, shape, seed, **kw))

    for cls in (layers.MaxPooling1D, layers.AveragePooling1D):
        add(cls(pool_size=2), (2, 7, 3))
        add(cls(pool_size=3, strides=2, padding="same"), (2, 7, 3))
        add(cls(pool_size=3, strides=2, data_format="channels_first"), (2, 3, 8))
        add(cls(pool_size=4, strides=3, padding="same"), (1, 9, 2))
        add(cls(pool_size=2, strides=1, padding="same", data_format="channels_first"), (2, 4, 5))
        add(cls(pool_size=1, padding="valid"), (1, 5, 2))
    for cls in (layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D):
        add(cls(), (2, 5, 3))
        add(cls(keepdims=True), (2, 5, 3))
        add(cls(data_format="channels_first"), (2, 3, 5))
        add(cls(data_format="channels_first", keepdims=True), (2, 3, 5))
    add(layers.GlobalAveragePooling1D(), (3, 6, 2), mask=mask_of((3, 6), 5))
    add(layers.GlobalAveragePooling1D(keepdims=True), (2, 5, 3), mask=mask_of((2, 5), 6))
    # channels_first: the (batch, steps) mask is over the last axis (minidl takes it when it is also
    # the input's leading axes, so channels == steps here).
    add(layers.GlobalAveragePooling1D(data_format="channels_first"), (2, 4, 4), mask=mask_of((2, 4), 9))
    add(layers.UpSampling1D(), (2, 4, 3))
    add(layers.UpSampling1D(size=3), (1, 3, 2))
    add(layers.ZeroPadding1D(), (2, 4, 3))
    add(layers.ZeroPadding1D(padding=(2, 0)), (2, 3, 2))
    add(layers.ZeroPadding1D(padding=(1, 3), data_format="channels_first"), (2, 2, 3))
    add(layers.Cropping1D(), (2, 5, 3))
    add(layers.Cropping1D(cropping=(2, 0)), (2, 5, 2))
    add(layers.Cropping1D(cropping=(0, 3)), (1, 6, 2))
    add(layers.RepeatVector(3), (2, 4))
    add(layers.RepeatVector(1), (3, 2))
    add(layers.ReLU(), (3, 5))
    add(layers.ReLU(max_value=0.5), (2, 3, 4))
    add(layers.ReLU(negative_slope=0.1, threshold=0.2), (3, 5))
    add(layers.ReLU(max_value=0.6, negative_slope=0.25, threshold=0.1), (2, 7))
    add(layers.ELU(), (3, 5))
    add(layers.ELU(alpha=0.5), (2, 3, 4))
    add(layers.Softmax(), (2, 5))
    add(layers.Softmax(axis=1), (2, 3, 4))
    add(layers.Softmax(), (3, 6), mask=mask_of((3, 6), 7))
    add(layers.Softmax(), (2, 3, 4), mask=mask_of((2, 3, 4), 8))
    add(layers.PReLU(), (2, 3, 4))
    add(layers.PReLU(shared_axes=[1]), (2, 3, 4))
    add(layers.PReLU(shared_axes=[1, 2]), (2, 3, 2, 4))
    add(layers.PReLU(alpha_initializer="ones", alpha_regularizer="l2", alpha_constraint="non_neg"), (2, 5))
    add(layers.Identity(), (2, 3))
    # Several axes normalised together (Keras 3: exp(x - logsumexp(x, axis))).
    add(layers.Softmax(axis=[1, 2]), (2, 3, 4))
    add(layers.Softmax(axis=(-1, 1)), (2, 3, 2, 4))
    add(layers.Softmax(axis=[1]), (2, 3, 4))
    add(layers.Softmax(axis=[1, 2]), (2, 3, 4), mask=mask_of((2, 3, 4), 12))
    return out


def regularisation_configs():
    return [{"class_name": l.__class__.__name__, "config": l.get_config()} for l in [
        layers.SpatialDropout1D(0.3), layers.SpatialDropout1D(0.5, seed=7),
        layers.SpatialDropout2D(0.25), layers.SpatialDropout2D(0.4, seed=3, data_format="channels_first"),
        layers.GaussianNoise(0.2), layers.GaussianNoise(0.5, seed=11),
        layers.GaussianDropout(0.3), layers.GaussianDropout(0.1, seed=5)]]


def model_case():
    seed = 42000
    model = keras.Sequential([keras.Input((9, 2)), layers.Conv1D(4, 3, activation="relu"),
                              layers.MaxPooling1D(2), layers.GlobalAveragePooling1D(), layers.Dense(3)])
    model.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(model.weights)])
    x = pattern((2, 9, 2), seed).astype(np.float32)
    return dict(json=model.to_json(), seed=seed, input_shape=[2, 9, 2], y=flat(model.predict(x, verbose=0)))


if __name__ == "__main__":
    write_fixture(OUT, {"keras_version": keras.__version__, "cases": cases(),
                        "regularisation": regularisation_configs(), "model": model_case()})
