"""The real Keras's multi-output functional models: compile with one loss per output, fit, evaluate, predict.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_multi_output.py
-> tests/fixtures/keras_multi_output.json

The model (two inputs, two heads; tests/optim/test_multi_output_model.cpp builds the same):
    a (3) -> Dense(4, tanh, "shared") -+
                                        +-> Concatenate("concat") -+-> Dense(3, softmax, "cls")
    b (2) -----------------------------+                           +-> Dense(1, "reg")
Weights, inputs and targets come from pattern() (the twin of test::pattern in
tests/support/fixtures.cpp); nothing random is involved (SGD, shuffle=False), so the C++ run must
match to float32 rounding. Two compile forms are recorded:
  - "maps": loss / loss_weights / metrics as dicts keyed by output name, sparse labels for "cls";
  - "lists": loss, loss_weights and metrics as lists in output order, one-hot labels;
  - "single": one loss ("mse") for both outputs, no metrics (Keras applies it to each output);
  - "no_loss": a loss for "cls" only (None for "reg"), a metric for "reg" only: no per-output losses
    are logged when only one output has a loss.
Each case stores History (every key, every epoch), evaluate's dict, predict's two outputs, and
the summary text and output_layers of get_config().
"""
import json
import os

import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat as flat_digits  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_multi_output.json")
N = 10


def flat(y):
    return flat_digits(y, digits=9)


def build():
    keras.backend.clear_session()
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    h = layers.Dense(4, activation="tanh", name="shared")(a)
    c = layers.Concatenate(name="concat")([h, b])
    cls = layers.Dense(3, activation="softmax", name="cls")(c)
    reg = layers.Dense(1, name="reg")(c)
    model = keras.Model([a, b], [cls, reg], name="two_heads")
    # Kernels 0.5 * pattern, biases 0.1 * pattern, seeds 1..6 in weight order.
    model.set_weights([(0.5 if w.ndim == 2 else 0.1) * pattern(w.shape, s + 1).astype("float32")
                       for s, w in enumerate(model.get_weights())])
    return model


def data():
    a = pattern((N, 3), 7).astype("float32")
    b = pattern((N, 2), 8).astype("float32")
    labels = np.array([(i * 7) % 3 for i in range(N)], dtype="float32")  # 0 1 2 0 1 2 0 1 2 0 ... permuted
    y_reg = pattern((N, 1), 9).astype("float32")
    return a, b, labels, y_reg


def run(compile_kwargs, y):
    model = build()
    a, b, _, _ = data()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **compile_kwargs)
    history = model.fit([a, b], y, batch_size=4, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
    evaluation = model.evaluate([a, b], y, batch_size=4, verbose=0, return_dict=True)
    predicted = model.predict([a, b], batch_size=4, verbose=0)
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "evaluate": {k: float(v) for k, v in evaluation.items()},
            "predict": [{"shape": list(p.shape), "data": flat(p)} for p in predicted],
            "weights": [{"shape": list(w.shape), "data": flat(w)} for w in model.get_weights()]}


def main():
    a, b, labels, y_reg = data()
    one_hot = np.eye(3, dtype="float32")[labels.astype(int)]
    maps = run({"loss": {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                "loss_weights": {"cls": 1.0, "reg": 0.5},
                "metrics": {"cls": ["accuracy"], "reg": ["mae"]}}, [labels, y_reg])
    lists = run({"loss": ["categorical_crossentropy", "mse"], "loss_weights": [0.3, 1.0],
                 "metrics": [["mae"], ["mse", "mae"]]}, [one_hot, y_reg])
    single = run({"loss": "mse"}, [one_hot, y_reg])
    no_loss = run({"loss": ["mse", None], "metrics": [None, ["mae"]]}, [one_hot, y_reg])
    model = build()
    lines = []
    model.summary(print_fn=lambda s, line_break=True: lines.append(s))
    fixture = {"keras": keras.__version__, "maps": maps, "lists": lists, "single": single, "no_loss": no_loss, "summary": "".join(lines),
               "output_layers": model.get_config()["output_layers"]}
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    print(json.dumps({k: sorted(fixture[k]["history"]) for k in ("maps", "lists", "single", "no_loss")}))


if __name__ == "__main__":
    main()
