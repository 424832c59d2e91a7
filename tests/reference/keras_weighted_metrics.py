"""The real Keras's sample weights: `metrics` ignore sample_weight, `weighted_metrics` use it, and
multi-output models take one weight per output (Keras 3's CompileMetrics / CompileLoss).

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_weighted_metrics.py
-> tests/fixtures/keras_weighted_metrics.json

Cases (tests/optim/test_weighted_metrics.cpp builds the same models from the same pattern()s):
  - "single": Dense(2) on 3 inputs, loss mse, metrics [mae, mse], weighted_metrics [mae, mse]
    (names taken: logged as weighted_mae / weighted_mse), fit with sample_weight and
    validation_split, evaluate with sample_weight;
  - "single_unweighted_names": metrics [mse], weighted_metrics [mae] (no clash: plain "mae");
  - "lists": the two-head model of keras_multi_output.py, weighted_metrics per output as lists,
    sample_weight one tensor per output, validation_data with its own weights (Keras's 3-tuple);
  - "one_weight": the same model with one sample_weight for both outputs (Keras repeats it), and
    weighted_metrics as a dict by output name.
Each case stores History, evaluate's dict and the compile_config's metrics / weighted_metrics.
"""
import json
import os

import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern  # noqa: E402
from keras_multi_output import build as build_two_heads, data as two_head_data  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_weighted_metrics.json")
N = 10


def weights(seed):
    return (1.0 + 0.5 * pattern((N,), seed)).astype("float32")  # in [0.5, 1.5)


def record(model, history, evaluation):
    cc = model.get_compile_config()
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "evaluate": {k: float(v) for k, v in evaluation.items()},
            "metrics_config": cc["metrics"], "weighted_metrics_config": cc["weighted_metrics"]}


def single(metrics, weighted_metrics):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="out")])
    model.set_weights([0.5 * pattern((3, 2), 1).astype("float32"), 0.1 * pattern((2,), 2).astype("float32")])
    x = pattern((N, 3), 3).astype("float32")
    y = pattern((N, 2), 4).astype("float32")
    w = weights(5)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=metrics,
                  weighted_metrics=weighted_metrics)
    history = model.fit(x, y, sample_weight=w, batch_size=4, epochs=2, shuffle=False, validation_split=0.2,
                        verbose=0)
    evaluation = model.evaluate(x, y, sample_weight=w, batch_size=4, verbose=0, return_dict=True)
    return record(model, history, evaluation)


def two_heads(compile_kwargs, sample_weight, validation_weight):
    model = build_two_heads()
    a, b, _, _ = two_head_data()
    _, _, labels, y_reg = two_head_data()
    one_hot = np.eye(3, dtype="float32")[labels.astype(int)]
    y = [one_hot, y_reg]
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss=["categorical_crossentropy", "mse"], **compile_kwargs)
    history = model.fit([a, b], y, sample_weight=sample_weight, batch_size=4, epochs=2, shuffle=False,
                        validation_data=([a[:6], b[:6]], [one_hot[:6], y_reg[:6]], validation_weight), verbose=0)
    evaluation = model.evaluate([a, b], y, sample_weight=sample_weight, batch_size=4, verbose=0, return_dict=True)
    return record(model, history, evaluation)


def main():
    fixture = {
        "keras": keras.__version__,
        "single": single(["mae", "mse"], ["mae", "mse"]),
        "single_unweighted_names": single(["mse"], ["mae"]),
        "lists": two_heads({"metrics": [["mae"], ["mse"]], "weighted_metrics": [["mae"], ["mse", "mae"]]},
                           [weights(6), weights(7)], [weights(8)[:6], weights(9)[:6]]),
        "one_weight": two_heads({"metrics": [["accuracy"], ["mae"]],
                                 "weighted_metrics": {"cls": ["accuracy"], "reg": ["mae"]}},
                                weights(6), weights(8)[:6]),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    print(json.dumps({k: sorted(v["history"]) for k, v in fixture.items() if k != "keras"}))


if __name__ == "__main__":
    main()
