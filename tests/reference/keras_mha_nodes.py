"""Keras 3's MultiHeadAttention as a functional node with its call options (use_causal_mask,
attention_mask as a graph Input, return_attention_scores giving two outputs, an Embedding(mask_zero)
query combined with the causal mask), and an explicit mask= keyword on an LSTM node, for minidl's
tests/optim/test_mha_nodes.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_mha_nodes.py
-> tests/fixtures/keras_mha_nodes.json

Inputs and weights are not stored: float input i is pattern(shape, seed + i) (token ids are
indices(shape, seed + i, 7), zeros included, which mask_zero masks; an attention_mask input is
stored as given, 1/0) and weight j (model.weights order) is pattern(shape_j, seed + 100 + j), as
keras_ops_nodes.py. For every model: the outputs, the gradients of
loss = sum_k sum(output_k * pattern(output_k.shape, seed + 200 + k)) w.r.t. the weights and the float
inputs (jax.grad through model.stateless_call), and model.to_json() (the config with Keras's node
kwargs). Each config is also reloaded here with keras.models.model_from_json and must predict the same.
"""
import copy
import json
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_mha_nodes.json")


def causal_block():
    """GPT-style: causal self-attention + residual + LayerNormalization, then a Dense."""
    keras.utils.clear_session()
    x = keras.Input((5, 4), name="x")
    a = layers.MultiHeadAttention(2, 3, name="mha")(x, x, use_causal_mask=True)
    h = layers.LayerNormalization(name="norm")(layers.Add(name="add")([x, a]))
    return keras.Model(x, layers.Dense(3, name="head")(h), name="causal_block")


def explicit_mask():
    """An attention_mask Input (B, T, S) and a separate key."""
    keras.utils.clear_session()
    q = keras.Input((3, 4), name="q")
    v = keras.Input((5, 2), name="v")
    k = keras.Input((5, 3), name="k")
    m = keras.Input((3, 5), name="m")
    out = layers.MultiHeadAttention(2, 3, name="mha")(q, v, key=k, attention_mask=m)
    return keras.Model([q, v, k, m], out, name="explicit_mask")


def scores():
    """return_attention_scores: both the output and the scores are model outputs (with a causal mask)."""
    keras.utils.clear_session()
    q = keras.Input((4, 3), name="q")
    v = keras.Input((4, 2), name="v")
    out, s = layers.MultiHeadAttention(3, 2, name="mha")(q, v, return_attention_scores=True, use_causal_mask=True)
    return keras.Model([q, v], [out, s], name="scores")


def embedded_causal():
    """An Embedding(mask_zero) query (its mask propagates) combined with use_causal_mask."""
    keras.utils.clear_session()
    tok = keras.Input((6,), name="tokens")
    e = layers.Embedding(7, 4, mask_zero=True, name="embed")(tok)
    a = layers.MultiHeadAttention(2, 2, name="mha")(e, e, use_causal_mask=True)
    return keras.Model(tok, layers.Dense(2, name="head")(a), name="embedded_causal")


def lstm_mask_kwarg():
    """Keras's explicit mask= keyword on a node (not MultiHeadAttention's, the stretch of the same
    work): it replaces the mask the Embedding(mask_zero) hands along."""
    keras.utils.clear_session()
    tok = keras.Input((5,), name="tokens")
    m = keras.Input((5,), name="m")
    e = layers.Embedding(7, 3, mask_zero=True, name="embed")(tok)
    y = layers.LSTM(4, return_sequences=True, name="lstm")(e, mask=ops.greater(m, 0.0))
    return keras.Model([tok, m], y, name="lstm_mask_kwarg")


def record(name, model, shapes, seed, kinds):
    """kinds[i]: "float" (pattern), "tokens" (indices), "mask" (a fixed 1/0 attention mask, stored) or
    "mask_source" (pattern, only compared to make a mask: no gradient)."""
    inputs, stored = [], []
    for i, (s, kind) in enumerate(zip(shapes, kinds)):
        if kind == "tokens":
            x = indices(s, seed + i, 7).astype(np.float32)
        elif kind == "mask":
            x = (pattern(s, seed + i) > -0.4).astype(np.float32)
            x[..., 0] = 1.0  # every query sees at least one key
        else:
            x = pattern(s, seed + i).astype(np.float32)
        inputs.append(x)
        stored.append(flat(x) if kind == "mask" else None)
    weights = [pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)]
    model.set_weights(weights)
    outs = model(inputs)
    outs = [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]
    coeffs = [pattern(o.shape, seed + 200 + k).astype(np.float32) for k, o in enumerate(outs)]
    non_trainable = [np.asarray(v) for v in model.non_trainable_variables]  # the LSTM's seed state

    def loss(ws, xs):
        ys, _ = model.stateless_call(ws, non_trainable, xs)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(jax.numpy.sum(y.astype("float32") * c) for y, c in zip(ys, coeffs))
    gw, gx = jax.grad(loss, argnums=(0, 1))(weights, inputs)
    text = model.to_json()
    reloaded = keras.models.model_from_json(text)
    reloaded.set_weights(weights)
    again = reloaded(inputs)
    for a, b in zip(outs, again if isinstance(again, (list, tuple)) else [again]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-6)
    return dict(name=name, seed=seed, input_shapes=[list(s) for s in shapes], kinds=kinds, stored_inputs=stored,
                weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs],
                grads_weights=[flat(np.asarray(g)) for g in gw],
                grads_inputs=[flat(np.asarray(g)) if k == "float" else None for g, k in zip(gx, kinds)],
                model_json=json.loads(text))


def main():
    cases = [record("causal_block", causal_block(), [(2, 5, 4)], 61000, ["float"]),
             record("explicit_mask", explicit_mask(), [(2, 3, 4), (2, 5, 2), (2, 5, 3), (2, 3, 5)], 62000,
                    ["float", "float", "float", "mask"]),
             record("scores", scores(), [(2, 4, 3), (2, 4, 2)], 63000, ["float", "float"]),
             record("embedded_causal", embedded_causal(), [(3, 6)], 64000, ["tokens"]),
             record("lstm_mask_kwarg", lstm_mask_kwarg(), [(3, 5), (3, 5)], 65000, ["tokens", "mask_source"])]
    # The explicit mask is not the Embedding's: the outputs differ from the LSTM's on the Embedding's mask.
    m = lstm_mask_kwarg()
    m.set_weights([pattern(tuple(w.shape), 65100 + j).astype(np.float32) for j, w in enumerate(m.weights)])
    tok, mk = indices((3, 5), 65000, 7).astype(np.float32), pattern((3, 5), 65001).astype(np.float32)
    e = m.get_layer("embed")(tok)
    own = np.asarray(m.get_layer("lstm")(e))
    assert not np.allclose(np.asarray(m([tok, mk])), own), "the mask keyword changed nothing"
    for c in cases:
        for l in c["model_json"]["config"]["layers"]:
            if l["class_name"] == "MultiHeadAttention":
                print(c["name"], json.dumps(l["inbound_nodes"])[:900])
    write_fixture(OUT, {"cases": cases})


if __name__ == "__main__":
    main()
