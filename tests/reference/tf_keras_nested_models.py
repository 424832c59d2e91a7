"""tf.keras (Keras 2, the tf_keras package) configs of functional models holding other models, for
minidl's tests/optim/test_nested_models.cpp: Keras 2 numbers a nested model's calls from 1 wherever it
refers to them (its node 0 was the model's own "built-in" node), in inbound nodes and output_layers
alike, for a Functional and for a Sequential that starts with an Input; Keras 3 (keras_nested_models.py)
only in input_layers/output_layers and only for a Functional.

Regenerate (pip's tensorflow-cpu + tf_keras in their own venv; building and testing minidl never needs them):
    /work/venv-tf2/bin/python tests/reference/tf_keras_nested_models.py
-> tests/fixtures/tf_keras_nested_models.json

Input i is pattern(shape, seed + i), weight j (model.get_weights() order) pattern(shape_j, seed + 100 + j).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tf_keras_nested_models.json")


def siamese():
    """A three-output encoder called twice, and Sequentials with and without an Input on its outputs."""
    keras.backend.clear_session()
    x = keras.Input((4,), name="enc_in")
    h = layers.Dense(5, activation="tanh", name="h")(x)
    enc = keras.Model(x, [layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h), h], name="encoder")
    head = keras.Sequential([keras.Input((2,)), layers.Dense(3, activation="relu", name="hd")], name="head")
    tail = keras.Sequential([layers.Dense(2, name="td")], name="tail")  # built by its first call
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    ma, va, ha = enc(a)
    mb, vb, _ = enc(b)
    diff = layers.Subtract(name="diff")([ma, mb])
    return keras.Model([a, b], [diff, head(vb), tail(ha), va], name="siamese"), [(3, 4), (3, 4)]


def record(name, build, seed):
    model, shapes = build()
    inputs = [pattern(s, seed + i).astype(np.float32) for i, s in enumerate(shapes)]
    weights = [pattern(w.shape, seed + 100 + j).astype(np.float32) for j, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    outs = model.predict(inputs, verbose=0)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    again = keras.Model.from_config(model.get_config())  # tf.keras reads its own numbering back
    again.set_weights(weights)
    for o, r in zip(outs, again.predict(inputs, verbose=0)):
        np.testing.assert_allclose(o, r, rtol=1e-6, atol=1e-7)
    return dict(name=name, seed=seed, input_shapes=[list(s) for s in shapes],
                weight_shapes=[list(w.shape) for w in weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs], config=model.get_config())


def main():
    write_fixture(OUT, {"tf_keras": keras.__version__, "cases": [record("siamese", siamese, 55000)]})


if __name__ == "__main__":
    main()
