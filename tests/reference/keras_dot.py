"""The real Keras 3's Dot merge layer (batchwise dot products along one axis of each input, and the
cosine similarity with normalize=True), for minidl's tests/layers/test_dot.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_dot.py
-> tests/fixtures/keras_dot.json

Each case: Keras's get_config() (the test builds the layer from it through minidl's layer registry),
the two input shapes, inputs pattern(shape_i, seed + i), Keras's output y and the gradients of
sum(y * pattern(y.shape, seed + 500)) with respect to both inputs. "model": a Keras 3 functional
cosine-similarity model (two Dense branches into Dot(axes=1, normalize=True)) as model.to_json()
text, its weights pattern(shape_j, 9100 + j) and its prediction on pattern((3, 4), 9000 + i).
"""
import json
import os

import numpy as np

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_dot.json")


def record(axes, normalize, shape_a, shape_b, seed, zero_row=False):
    layer = layers.Dot(axes=axes, normalize=normalize)
    a = pattern(shape_a, seed).astype(np.float32)
    b = pattern(shape_b, seed + 1).astype(np.float32)
    if zero_row:
        a[0] = 0.0  # normalize: Keras's norm floor (1e-7) keeps an all-zero sample finite
    y = np.asarray(layer([a, b]))
    assert tuple(layer.compute_output_shape([shape_a, shape_b])) == y.shape
    p = pattern(y.shape, seed + 500).astype(np.float32)
    da, db = jax.grad(lambda u, v: jnp.sum(layer([u, v]) * p), argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    # An all-zero sample's gradient is NaN in Keras too (rsqrt(0) = inf, times the 0 that minimum()
    # passes back): only its forward value is kept.
    return dict(config=layer.get_config(), shapes=[list(shape_a), list(shape_b)], seed=seed, zero_row=zero_row,
                output_shape=list(y.shape), y=flat(y), da=None if zero_row else flat(da),
                db=None if zero_row else flat(db))


def cosine_model():
    keras.utils.clear_session()
    u = keras.Input((4,), name="u")
    v = keras.Input((4,), name="v")
    eu = layers.Dense(3, name="eu")(u)
    ev = layers.Dense(3, name="ev")(v)
    model = keras.Model([u, v], layers.Dot(axes=1, normalize=True, name="cos")([eu, ev]), name="cosine")
    model.set_weights([pattern(tuple(w.shape), 9100 + j).astype(np.float32) for j, w in enumerate(model.weights)])
    x = [pattern((3, 4), 9000 + i).astype(np.float32) for i in range(2)]
    y = np.asarray(model(x))
    return dict(model_json=json.loads(model.to_json()), weight_shapes=[list(w.shape) for w in model.weights],
                output_shape=list(y.shape), y=flat(y))


def main():
    cases, seed = [], 90000
    for axes, normalize, sa, sb in [
        (1, False, (3, 4), (3, 4)),           # (batch, 1)
        (-1, True, (3, 4), (3, 4)),           # cosine similarity
        ((1, 2), False, (2, 3, 5), (2, 4, 3)),  # Keras's docstring example: (2, 5, 4)
        (2, False, (2, 3, 5), (2, 4, 5)),     # attention-like scores (2, 3, 4)
        ((2, 1), True, (2, 3, 4), (2, 4, 2)),
        ((1, 1), False, (2, 4), (2, 4, 3)),   # rank 2 with rank 3: (2, 3)
        ((2, 1), False, (2, 3, 4), (2, 4)),   # rank 3 with rank 2: (2, 3)
        (-1, False, (2, 2, 3, 4), (2, 5, 4)),  # rank 4: middle axes kept (2, 2, 3, 5)
        ((1, 3), True, (2, 4, 3), (2, 2, 3, 4)),  # (2, 3, 2, 3)
        ((-2, -1), False, (2, 4, 3), (2, 3, 4)),
    ]:
        seed += 10
        cases.append(record(axes, normalize, sa, sb, seed))
    seed += 10
    cases.append(record(1, True, (3, 4), (3, 4), seed, zero_row=True))
    write_fixture(OUT, {"cases": cases, "model": [cosine_model()]})


if __name__ == "__main__":
    main()
