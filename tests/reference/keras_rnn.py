"""The real Keras 3's recurrent layers SimpleRNN, LSTM and GRU: outputs, final states, weight and input
gradients and get_config(), for minidl's tests/layers/test_rnn.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_rnn.py
-> tests/fixtures/keras_rnn.json

Inputs and weights are not stored: the input is pattern(shape, seed) and weight i is
pattern(shape_i, seed + 1 + i), as in keras_layers_extra.py (the twin of test::pattern). Every case is
run with return_state=True (the output, then the states: [h] or LSTM's [h, c]); the layer's own
config (with the case's return_state) is recorded separately. For the cases with "grads", g_i is
d sum(output) / d weight_i (jax.grad through Keras's stateless_call) and gx the same for the input.
"""
import json
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, indices, flat  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_rnn.json")

CLASSES = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}


def record(cls, kwargs, shape, seed, grads=False):
    layer = CLASSES[cls](**kwargs)
    config = layer.get_config()  # with the case's own return_state
    stateful = CLASSES[cls](**dict(kwargs, return_state=True))
    x = pattern(shape, seed).astype(np.float32)
    stateful.build(x.shape)
    weights = [pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(stateful.weights)]
    stateful.set_weights(weights)
    outs = stateful(x)
    y, states = np.asarray(outs[0]), [np.asarray(s) for s in outs[1:]]
    rec = dict(cls=cls, kwargs=kwargs, input_shape=list(shape), seed=seed, output_shape=list(y.shape), y=flat(y),
               states=[flat(s) for s in states], state_shape=list(states[0].shape),
               weight_shapes=[list(w.shape) for w in stateful.weights], config=config)
    if grads:
        non_trainable = [np.asarray(v) for v in stateful.non_trainable_variables]  # the dropout seed

        def loss(ws, xx):
            out, _ = stateful.stateless_call(ws, non_trainable, xx)
            return jax.numpy.sum(out[0])
        gw, gx = jax.grad(loss, argnums=(0, 1))(weights, x)
        rec["grads"] = [flat(np.asarray(g)) for g in gw]
        rec["gx"] = flat(np.asarray(gx))
    return rec


def cases():
    out, seed = [], 30000
    common = [
        (dict(units=3), (2, 4, 3)),
        (dict(units=2, return_sequences=True), (3, 5, 2)),
        (dict(units=4, go_backwards=True), (2, 3, 4)),
        (dict(units=4, go_backwards=True, return_sequences=True), (2, 6, 3)),
        (dict(units=5, use_bias=False), (2, 4, 2)),
        (dict(units=3, activation="relu", return_sequences=True), (3, 4, 3)),
        (dict(units=2, activation=None), (2, 5, 4)),
        (dict(units=3, return_state=True), (2, 3, 2)),
        (dict(units=4, return_sequences=True, return_state=True), (3, 3, 3)),
        (dict(units=1), (2, 6, 2)),
        (dict(units=3, dropout=0.3, recurrent_dropout=0.2, seed=7), (2, 4, 3)),  # inference: no dropout
    ]
    gated = [
        (dict(units=3, recurrent_activation="hard_sigmoid"), (2, 4, 3)),
        (dict(units=2, recurrent_activation="tanh", activation="sigmoid", return_sequences=True), (2, 5, 3)),
    ]
    for cls in ["SimpleRNN", "LSTM", "GRU"]:
        extra = list(gated) if cls != "SimpleRNN" else []
        if cls == "LSTM":
            extra += [(dict(units=3, unit_forget_bias=False), (2, 4, 2))]
        if cls == "GRU":
            extra += [(dict(units=3, reset_after=False), (2, 4, 3)),
                      (dict(units=4, reset_after=False, return_sequences=True, go_backwards=True), (3, 5, 2)),
                      (dict(units=2, reset_after=False, use_bias=False), (2, 3, 3))]
        for i, (kw, shape) in enumerate(common + extra):
            grads = i in (0, 3, 4) or (cls == "GRU" and kw.get("reset_after") is False and kw.get("use_bias", True))
            out.append(record(cls, kw, shape, seed, grads=grads))
            seed += 10
    return out


def models():
    """Keras models with recurrent layers: their model.to_json() text, weight paths and shapes, and
    predictions for Embedding ids indices((3, 6), seed, 5) with weight i = pattern(shape_i, seed + 1 + i)."""
    out, seed = [], 31000
    ids = keras.Input((6,), dtype="int32", name="ids")
    e = layers.Embedding(5, 3, name="emb")(ids)
    stacked = keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(5, 3, name="emb"),
                                layers.LSTM(4, return_sequences=True, name="lstm"), layers.GRU(3, name="gru"),
                                layers.Dense(2, name="head")], name="stacked")
    branches = keras.Model(ids, layers.Concatenate(name="cat")([
        layers.SimpleRNN(2, go_backwards=True, name="srnn")(e),
        layers.GRU(3, reset_after=False, use_bias=False, name="gru_v1")(e),
        layers.LSTM(2, unit_forget_bias=False, name="lstm_nf")(e)]), name="branches")
    for model in [stacked, branches]:
        model.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32)
                           for i, w in enumerate(model.weights)])
        y = np.asarray(model.predict(indices((3, 6), seed, 5), verbose=0))
        out.append({"name": model.name, "json": model.to_json(), "seed": seed,
                    "weights": [{"path": w.path, "shape": list(w.shape)} for w in model.weights],
                    "output_shape": list(y.shape), "y": flat(y)})
        seed += 100
    return out


def main():
    fixture = {"keras_version": keras.__version__, "cases": cases(), "models": models()}
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(fixture['cases'])} cases")


if __name__ == "__main__":
    main()
