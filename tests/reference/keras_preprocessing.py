"""The real Keras's Rescaling and Normalization (with adapt) for tests/layers/test_preprocessing.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_preprocessing.py
-> tests/fixtures/keras_preprocessing.json

Inputs and adapt data are pattern(shape, seed) * 3 + 1 (pattern() is the twin of test::pattern);
adapt batches are listed as (shape, seed) pairs. Each case keeps the layer's kwargs, get_config()
after the call, the weights after adapt (mean, variance, count) and the float32 output.
"""
import json
import os

import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"

# adapt() on a list of batches asks isinstance(data, tf.data.Dataset), which imports TensorFlow; a
# stand-in class answers "no" without it (the batch-merging code that follows is Keras's own).
import types  # noqa: E402
import keras.src.layers.preprocessing.normalization as _normalization  # noqa: E402
_normalization.tf = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=type("NoDataset", (), {})))
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_preprocessing.json")


def data(shape, seed):
    return (3.0 * pattern(shape, seed) + 1.0).astype(np.float32)


def rescaling_cases():
    cases = []
    for seed, kwargs, shape in [(1, {"scale": 1.0 / 255}, (2, 3)),
                                (2, {"scale": 2.0, "offset": -1.0}, (2, 4, 3)),
                                (3, {"scale": [0.5, 2.0, -1.0], "offset": [1.0, 0.0, 0.25]}, (2, 2, 2, 3)),
                                (4, {"scale": 0.1, "offset": [1.0, 2.0]}, (3, 2))]:
        layer = layers.Rescaling(name=f"rescaling_{seed}", **kwargs)
        y = np.asarray(layer(data(shape, seed)))
        cases.append({"kwargs": kwargs, "input_shape": list(shape), "seed": seed, "y": flat(y),
                      "output_shape": list(y.shape), "config": layer.get_config()})
    return cases


def normalization_cases():
    cases = []
    specs = [
        # (seed, kwargs, input shape, adapt: None | ("array", shape, seed) | ("batches", [(shape, seed), ...]))
        (10, {"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 1.0]}, (4, 3), None),
        (11, {"mean": 2.0, "variance": 9.0, "invert": True}, (2, 3, 2), None),
        (12, {"axis": 1, "mean": [1.0, 0.0, -1.0], "variance": [1.0, 2.0, 3.0]}, (2, 3, 4), None),
        (13, {}, (4, 3), ("array", (6, 3), 20)),
        (14, {"axis": None}, (2, 5), ("array", (7, 5), 21)),
        (15, {"axis": (1, 2)}, (2, 3, 4), ("array", (5, 3, 4), 22)),
        (16, {"axis": -1, "invert": True}, (3, 2, 4), ("array", (4, 2, 4), 23)),
        (17, {}, (3, 3), ("batches", [((3, 3), 24), ((5, 3), 25), ((1, 3), 26)])),
        (18, {"axis": 2}, (2, 2, 3), ("batches", [((4, 2, 3), 27), ((2, 2, 3), 28)])),
    ]
    for seed, kwargs, shape, adapt in specs:
        layer = layers.Normalization(name=f"normalization_{seed}", **kwargs)
        rec = {"kwargs": kwargs, "input_shape": list(shape), "seed": seed}
        if adapt is not None:
            if adapt[0] == "array":
                layer.adapt(data(adapt[1], adapt[2]))
                rec["adapt"] = [[list(adapt[1]), adapt[2]]]
                rec["adapt_kind"] = "array"
            else:
                layer.adapt([data(s, d) for s, d in adapt[1]])
                rec["adapt"] = [[list(s), d] for s, d in adapt[1]]
                rec["adapt_kind"] = "batches"
        y = np.asarray(layer(data(shape, seed)))
        rec.update({"y": flat(y), "output_shape": list(y.shape), "config": layer.get_config(),
                    "weights": [{"name": w.name, "shape": list(w.shape), "data": flat(np.asarray(w, dtype=np.float64))}
                                for w in layer.weights]})
        cases.append(rec)
    return cases


def main():
    fixture = {"keras": keras.__version__, "rescaling": rescaling_cases(), "normalization": normalization_cases()}
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    for c in fixture["normalization"]:
        print(c["kwargs"], c["config"], [(w["name"], w["shape"]) for w in c["weights"]])
    for c in fixture["rescaling"]:
        print(c["config"])


if __name__ == "__main__":
    main()
