"""The real Keras 3's TimeDistributed wrapper, for minidl's tests/layers/test_time_distributed.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_time_distributed.py
-> tests/fixtures/keras_time_distributed.json

Each case is a functional model x (-> Masking) -> TimeDistributed(layer) (-> a masked mean over time when
masked, so the mask's effect shows). Input i is pattern(shape, seed + i) (masked cases zero the later
timesteps of some rows), weight j (model.weights order) pattern(shape_j, seed + 100 + j), except
BatchNormalization's moving variance, abs(pattern) + 0.5. For every case: the outputs with
training=False and (for the batch-normalization case) training=True, the gradients of
loss = sum(y * pattern(y.shape, seed + 200)) w.r.t. the input and the trainable weights
(jax.grad through model.stateless_call, training=False unless `training`), the moving statistics
after one training call, get_config() and the model's config.
"""
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_time_distributed.json")


def inner(kind):
    if kind == "dense":
        return layers.Dense(4, activation="tanh", name="d")
    if kind == "conv":
        return layers.Conv2D(3, 3, strides=2, padding="same", activation="relu", name="c")
    if kind == "sequential_bn":
        return keras.Sequential([layers.Dense(4, name="d1"), layers.BatchNormalization(momentum=0.8, name="bn"),
                                 layers.Activation("relu", name="act")], name="block")
    if kind == "flatten_dense":
        return keras.Sequential([layers.Flatten(name="f"), layers.Dense(2, name="d2")], name="head")
    raise ValueError(kind)


def case(name, kind, shape, seed, lengths=None, training=False):
    keras.utils.clear_session()
    x = keras.Input(shape[1:], name="x")
    h = layers.Masking(0.0, name="mask")(x) if lengths else x
    td = layers.TimeDistributed(inner(kind), name="td")
    y = td(h)
    model = keras.Model(x, y, name="model")
    xv = pattern(shape, seed).astype(np.float32)
    if lengths:
        for b, n in enumerate(lengths):
            xv[b, n:] = 0.0
    weights = []
    for j, w in enumerate(model.weights):
        v = pattern(tuple(w.shape), seed + 100 + j).astype(np.float32)
        if "moving_variance" in w.path:
            v = np.abs(v) + 0.5
        weights.append(v)
    model.set_weights(weights)
    ys = np.asarray(model(xv, training=False))
    coeff = pattern(ys.shape, seed + 200).astype(np.float32)
    trainable = [v for v, w in zip(weights, model.weights) if w.trainable]
    non_trainable = [v for v, w in zip(weights, model.weights) if not w.trainable]

    def loss(tw, xs):
        out, _ = model.stateless_call(tw, non_trainable, xs, training=training)
        return jax.numpy.sum(out * coeff)
    gw, gx = jax.grad(loss, argnums=(0, 1))(trainable, xv)
    rec = dict(name=name, kind=kind, seed=seed, shape=list(shape), lengths=lengths, training=training,
               weights=[dict(path=w.path, shape=list(w.shape), trainable=w.trainable) for w in model.weights],
               output=dict(shape=list(ys.shape), y=flat(ys)), grads_input=flat(np.asarray(gx)),
               grads_weights=[flat(np.asarray(g)) for g in gw],
               layer_config=td.get_config(), model_config=model.get_config())
    if lengths:
        rec["output_mask"] = flat(np.asarray(td.compute_mask(xv, np.any(xv != 0, axis=tuple(range(2, xv.ndim))))))
    if training:
        yt, nt = model.stateless_call(trainable, non_trainable, xv, training=True)
        rec["output_training"] = flat(np.asarray(yt))
        rec["moving_after_training"] = [flat(np.asarray(v)) for v in nt]
    return rec


def main():
    cases = [
        case("dense", "dense", (2, 5, 3), 81000),
        case("dense_masked", "dense", (3, 4, 3), 82000, lengths=[4, 2, 1]),
        case("conv", "conv", (2, 3, 5, 5, 2), 83000),
        case("sequential_bn_inference", "sequential_bn", (3, 4, 3), 84000),
        case("sequential_bn_training", "sequential_bn", (3, 4, 3), 85000, training=True),
        case("flatten_dense", "flatten_dense", (2, 3, 2, 2, 2), 86000),
    ]
    write_fixture(OUT, {"keras": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
