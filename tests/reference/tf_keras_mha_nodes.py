"""tf.keras (Keras 2, the tf_keras package) functional configs with MultiHeadAttention nodes, for
minidl's tests/optim/test_mha_nodes.cpp, and an explicit mask= keyword on an LSTM node. Keras 2 writes
such a node as one list: the query's
[layer, node_index, tensor_index] followed by a dict of the other call arguments, tensors among them
as [layer, node_index, tensor_index] too:
    [[["q", 0, 0, {"value": ["v", 0, 0], "key": ["k", 0, 0], "attention_mask": ["m", 0, 0],
                   "return_attention_scores": true}]]]

Regenerate (pip's tensorflow-cpu + tf_keras in their own venv; building and testing minidl never needs them):
    /work/venv-tf2/bin/python tests/reference/tf_keras_mha_nodes.py
-> tests/fixtures/tf_keras_mha_nodes.json

Float input i is pattern(shape, seed + i), token ids indices(shape, seed + i, 7); a mask input (an
attention mask, or the LSTM's bool mask) is stored as 1/0; weight j
(model.get_weights() order) is pattern(shape_j, seed + 100 + j). Each case keeps the config and the
outputs; each config is also rebuilt here with keras.Model.from_config and must predict the same.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tf_keras_mha_nodes.json")


def explicit_mask_scores():
    """Positional value and key, an attention_mask Input, and the scores as a second model output."""
    keras.backend.clear_session()
    q = keras.Input((3, 4), name="q")
    v = keras.Input((5, 2), name="v")
    k = keras.Input((5, 3), name="k")
    m = keras.Input((3, 5), name="m")
    out, s = layers.MultiHeadAttention(2, 3, name="mha")(q, v, k, attention_mask=m, return_attention_scores=True)
    return keras.Model([q, v, k, m], [out, s], name="explicit_mask_scores"), ["float", "float", "float", "mask"]


def causal_block():
    """Causal self-attention + residual + LayerNormalization, then a Dense; a second attention reads the first."""
    keras.backend.clear_session()
    x = keras.Input((5, 4), name="x")
    a = layers.MultiHeadAttention(2, 3, name="mha")(x, x, use_causal_mask=True)
    h = layers.LayerNormalization(name="norm")(layers.Add(name="add")([x, a]))
    b = layers.MultiHeadAttention(1, 2, name="mha2")(h, value=h)
    return keras.Model(x, layers.Dense(3, name="head")(b), name="causal_block"), ["float"]


def lstm_mask_kwarg():
    """tf.keras's explicit mask= keyword on an LSTM node, in the node's kwargs as a reference
    ({"mask": ["m", 0, 0]}): it replaces the mask the Embedding(mask_zero) hands along."""
    keras.backend.clear_session()
    tok = keras.Input((5,), name="tokens")
    m = keras.Input((5,), dtype="bool", name="m")
    e = layers.Embedding(7, 3, mask_zero=True, name="embed")(tok)
    y = layers.LSTM(4, return_sequences=True, name="lstm")(e, mask=m)
    return keras.Model([tok, m], y, name="lstm_mask_kwarg"), ["tokens", "bool"]


def record(name, build, seed):
    model, kinds = build()
    inputs, stored = [], []
    for i, (t, kind) in enumerate(zip(model.inputs, kinds)):
        shape = (2,) + tuple(t.shape[1:])
        x = pattern(shape, seed + i).astype(np.float32)
        if kind == "tokens":
            x = indices(shape, seed + i, 7).astype(np.float32)
        if kind in ("mask", "bool"):
            x = (x > -0.4).astype(np.float32)
            x[..., 0] = 1.0  # every query sees at least one key, every sample keeps a step
        stored.append(flat(x) if kind in ("mask", "bool") else None)
        inputs.append(x.astype(bool) if kind == "bool" else x)
    weights = [pattern(w.shape, seed + 100 + j).astype(np.float32) for j, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    outs = model.predict(inputs, verbose=0)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    again = keras.Model.from_config(model.get_config())
    again.set_weights(weights)
    rebuilt = again.predict(inputs, verbose=0)
    for o, r in zip(outs, rebuilt if isinstance(rebuilt, (list, tuple)) else [rebuilt]):
        np.testing.assert_allclose(o, r, rtol=1e-6, atol=1e-7)
    kinds = ["mask" if k == "bool" else k for k in kinds]  # minidl holds a bool input as 1/0 floats
    return dict(name=name, seed=seed, input_shapes=[list(x.shape) for x in inputs], kinds=kinds, stored_inputs=stored,
                weight_shapes=[list(w.shape) for w in weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs], config=model.get_config())


def main():
    cases = [record("explicit_mask_scores", explicit_mask_scores, 66000), record("causal_block", causal_block, 67000),
             record("lstm_mask_kwarg", lstm_mask_kwarg, 68000)]
    # The explicit mask is not the Embedding's: the LSTM's outputs differ from those on the Embedding's mask.
    model, _ = lstm_mask_kwarg()
    model.set_weights([pattern(w.shape, 68100 + j).astype(np.float32) for j, w in enumerate(model.get_weights())])
    tok = indices((2, 5), 68000, 7).astype(np.float32)
    own = model.get_layer("lstm")(model.get_layer("embed")(tok)).numpy()
    assert not np.allclose(np.asarray(cases[2]["outputs"][0]["y"]).reshape(own.shape), own), "the mask keyword changed nothing"
    for c in cases:
        for l in c["config"]["layers"]:
            if l["class_name"] == "MultiHeadAttention":
                print(c["name"], l["inbound_nodes"])
    write_fixture(OUT, {"tf_keras": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
