"""The real Keras 3 MultiHeadAttention for minidl's layers/multi_head_attention.*.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_mha.py
-> tests/fixtures/keras_mha.json

Per case: query = pattern((B, T, dq), seed), value = pattern((B, S, dv), seed + 1), key (when given)
= pattern((B, S, dk), seed + 2), weight i = pattern(shape_i, seed + 100 + i) in Keras's weight order.
Keras masks of the query / value (what Embedding(mask_zero) hands along) and the attention_mask are
stored as 0/1 lists. Recorded: the output, the attention scores (with return_attention_scores), the
gradients of loss = sum(y * pattern(y.shape, seed + 200)) (+ sum(scores * pattern(scores.shape,
seed + 201)) when scores are returned) w.r.t. query, value, key and every weight (jax.grad through
stateless_call), the config before and after building, and one functional model's config.
"""
import json
import os

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_disable_hlo_passes=algsimp")  # see keras_layers.py
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
from keras.src import backend  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_mha.json")

# (layer kwargs, B, T, S, dq, dv, dk or None, call kwargs, query_mask, value_mask, attention_mask)
CASES = [
    ("self_h2", dict(num_heads=2, key_dim=3), 2, 4, 4, 5, 5, None, {}, None, None, None),
    ("cross_h1", dict(num_heads=1, key_dim=4), 2, 3, 5, 4, 6, None, {}, None, None, None),
    ("key_h3_vdim_out", dict(num_heads=3, key_dim=2, value_dim=4, output_shape=7), 2, 3, 4, 5, 6, 3,
     {"return_attention_scores": True}, None, None, None),
    ("nobias_causal", dict(num_heads=2, key_dim=3, use_bias=False), 2, 5, 5, 4, 4, None,
     {"use_causal_mask": True}, None, None, None),
    ("attention_mask_scores", dict(num_heads=2, key_dim=2), 2, 3, 4, 4, 3, None,
     {"return_attention_scores": True}, None, None,
     [[[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], [[1, 1, 1, 1], [0, 1, 0, 0], [1, 0, 0, 1]]]),
    ("keras_masks_causal", dict(num_heads=2, key_dim=3), 2, 4, 4, 5, 5, None,
     {"use_causal_mask": True, "return_attention_scores": True},
     [[1, 1, 1, 0], [1, 1, 0, 0]], [[1, 1, 1, 0], [0, 1, 1, 1]], None),
    ("value_mask_and_attention_mask", dict(num_heads=3, key_dim=2), 2, 3, 4, 4, 5, None, {},
     None, [[1, 1, 0, 1], [1, 0, 0, 0]],
     [[[1, 1, 1, 1], [1, 0, 1, 1], [0, 1, 1, 1]], [[1, 1, 1, 1], [0, 1, 1, 1], [1, 1, 1, 0]]]),
    ("output_shape_2d", dict(num_heads=2, key_dim=2, output_shape=(2, 3)), 1, 3, 3, 4, 4, None, {},
     None, None, None),
    ("gate_window", dict(num_heads=2, key_dim=3, use_gate=True, sliding_window=2), 2, 5, 5, 4, 4, None,
     {"use_causal_mask": True}, None, None, None),
]


def run_case(name, kwargs, B, T, S, dq, dv, dk, call_kwargs, qmask, vmask, amask, seed):
    mha = keras.layers.MultiHeadAttention(**kwargs)
    unbuilt = mha.get_config()
    q = pattern((B, T, dq), seed).astype(np.float32)
    v = pattern((B, S, dv), seed + 1).astype(np.float32)
    k = None if dk is None else pattern((B, S, dk), seed + 2).astype(np.float32)
    mha.build(q.shape, v.shape, None if k is None else k.shape)
    weights = [pattern(tuple(w.shape), seed + 100 + i).astype(np.float32) for i, w in enumerate(mha.weights)]
    mha.set_weights(weights)
    extra = dict(call_kwargs)
    if amask is not None:
        extra["attention_mask"] = np.array(amask, dtype=np.float32)
    scores_wanted = call_kwargs.get("return_attention_scores", False)

    def forward(ws, q, v, k):
        if qmask is not None:
            backend.set_keras_mask(q, jnp.array(qmask, dtype=bool))
        if vmask is not None:  # Layer.__call__ would hand it as value_mask
            extra["value_mask"] = jnp.array(vmask, dtype=bool)
        out, _ = mha.stateless_call(ws, [], q, v, key=k, **extra)
        return out if scores_wanted else (out, None)

    y, s = forward([jnp.asarray(w) for w in weights], jnp.asarray(q), jnp.asarray(v), None if k is None else jnp.asarray(k))
    y, s = np.asarray(y), None if s is None else np.asarray(s)

    def loss(ws, q, v, k):
        y, s = forward(ws, q, v, k)
        total = jnp.sum(y * pattern(y.shape, seed + 200).astype(np.float32))
        if s is not None:
            total = total + jnp.sum(s * pattern(s.shape, seed + 201).astype(np.float32))
        return total

    argnums = (0, 1, 2) if k is None else (0, 1, 2, 3)
    grads = jax.grad(loss, argnums=argnums)([jnp.asarray(w) for w in weights], jnp.asarray(q), jnp.asarray(v),
                                            None if k is None else jnp.asarray(k))
    rec = dict(name=name, seed=seed, layer=kwargs, B=B, T=T, S=S, dq=dq, dv=dv, dk=dk, call=call_kwargs,
               query_mask=qmask, value_mask=vmask, attention_mask=amask,
               weight_shapes=[list(w.shape) for w in mha.weights], weight_paths=[w.path for w in mha.weights],
               y_shape=list(y.shape), y=flat(y),
               grads_weights=[flat(np.asarray(g)) for g in grads[0]],
               grads_inputs=[flat(np.asarray(g)) for g in grads[1:]],
               config_unbuilt=unbuilt, config=mha.get_config())
    if s is not None:
        rec["scores_shape"] = list(s.shape)
        rec["scores"] = flat(s)
    return rec


def functional_model():
    keras.utils.clear_session()
    q = keras.Input((3, 4), name="q")
    v = keras.Input((5, 6), name="v")
    cross = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="cross")(q, v)
    self_att = keras.layers.MultiHeadAttention(num_heads=1, key_dim=2, name="self")(cross, cross)
    out = keras.layers.Dense(2, name="head")(self_att)
    model = keras.Model([q, v], out)
    seed = 70
    model.set_weights([pattern(tuple(w.shape), seed + 100 + i).astype(np.float32) for i, w in enumerate(model.weights)])
    xq = pattern((2, 3, 4), seed).astype(np.float32)
    xv = pattern((2, 5, 6), seed + 1).astype(np.float32)
    y = np.asarray(model.predict([xq, xv], verbose=0))
    return dict(seed=seed, model_config=json.loads(model.to_json())["config"], y_shape=list(y.shape), y=flat(y))


def embedding_mask_model():
    """Embedding(mask_zero) -> mha(e, e) -> Flatten -> Dense: the Keras masks reach the attention."""
    keras.utils.clear_session()
    tokens = keras.Input((5,), name="tokens")
    e = keras.layers.Embedding(7, 4, mask_zero=True)(tokens)
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)(e, e)
    model = keras.Model(tokens, keras.layers.Dense(1)(keras.layers.Flatten()(a)))
    seed = 80
    model.set_weights([pattern(tuple(w.shape), seed + 100 + i).astype(np.float32) for i, w in enumerate(model.weights)])
    x = indices((4, 5), seed, 7).astype(np.float32)
    x[3] = 0  # a sequence of padding only: every row fully masked
    y = np.asarray(model.predict(x, verbose=0))
    return dict(seed=seed, tokens=x.tolist(), model_config=json.loads(model.to_json())["config"], y_shape=list(y.shape),
                y=flat(y))


def main():
    cases = [run_case(*c, seed=10 * i + 1) for i, c in enumerate(CASES)]
    write_fixture(OUT, {"cases": cases, "functional": [functional_model(), embedding_mask_model()]})


if __name__ == "__main__":
    main()
