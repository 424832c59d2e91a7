"""Keras 3's operation nodes: functional models in which keras.ops calls and Python operators on
KerasTensors (ops.add, `2.0 - y`, ops.mean(axis, keepdims), ops.cast(ops.not_equal(...)), ops.softmax,
...) sit between Dense/Conv2D/Embedding/LSTM layers, for minidl's tests/layers/test_op_nodes.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_ops_nodes.py
-> tests/fixtures/keras_ops_nodes.json

Inputs and weights are not stored: float input i is pattern(shape, seed + i) (token ids are
indices(shape, seed + i, 7), zeros included, which mask_zero masks) and weight j (model.weights order)
is pattern(shape_j, seed + 100 + j), as keras_seq2seq.py. For every model: the outputs, the gradients
of loss = sum_k sum(output_k * pattern(output_k.shape, seed + 200 + k)) w.r.t. the weights (jax.grad
through model.stateless_call: training through the op nodes), for the first model the weights after
one plain SGD step on that loss (w - 0.1 * gradient, what SGD(learning_rate=0.1) does), and
model.get_config(). In the Masking case the last zero_steps
time steps of every sample are zeros. Each config is also reloaded here with
keras.Model.from_config and must predict the same.

Keras facts the tests rely on (checked below with asserts):
  - `2.0 - y` records Subtract(2.0, y): the reflected operators keep the number first;
  - an op's result carries no mask: an LSTM after `embedding * 2.0` sees none (its output equals the
    LSTM's on the unmasked sequence), while an LSTM right after the Embedding gets the mask as a
    `mask` keyword naming a NotEqual node Keras adds for it.
"""
import copy
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_ops_nodes.json")


def arithmetic():
    """Elementwise ops and operators around a Dense, numbers on either side."""
    keras.utils.clear_session()
    x = keras.Input((4,), name="x")
    y = layers.Dense(3, name="dense")(x)
    z = ops.add(y, 1.0) * 2.0
    v = 2.0 - y
    d = y / (ops.abs(z) + 1.0)
    p = ops.power(y, 2.0)
    n = -y
    m = ops.maximum(y, 0.5) + ops.clip(y, -0.5, 0.5)
    e = ops.exp(ops.minimum(y, 1.0)) * ops.sqrt(ops.square(y) + 1.0)
    g = ops.log(ops.abs(y) + 1.0) - ops.tanh(y)
    out = layers.Dense(2, name="head")(ops.concatenate([z, v, d], axis=-1))
    return keras.Model(x, [out, p, n, m, e, g], name="arithmetic")


def reductions():
    """Reductions (axis as int, tuple, list; keepdims) and shape ops, with a matmul and a softmax."""
    keras.utils.clear_session()
    x = keras.Input((3, 4), name="x")
    h = layers.Dense(4, name="dense")(x)
    m = ops.mean(h, axis=-1, keepdims=True)
    s = ops.sum(h, axis=(1, 2))
    mx = ops.max(h, axis=1)
    mn = ops.min(h, axis=[1, 2], keepdims=True)
    t = ops.transpose(h, (0, 2, 1))
    q = ops.squeeze(ops.expand_dims(m, 1), axis=1)
    c = ops.concatenate([h, q], axis=-1)
    sm = ops.softmax(ops.matmul(h, t), axis=-1)
    v = ops.var(h, axis=-1)
    out = layers.Dense(2, name="head")(ops.reshape(c, (-1, 15)))
    return keras.Model(x, [out, s, mx, mn, sm, v], name="reductions")


def conv_nn():
    """nn activations on a Conv2D's output, a where on a comparison, a cast bool, pooled by ops.mean."""
    keras.utils.clear_session()
    x = keras.Input((5, 5, 2), name="x")
    h = layers.Conv2D(4, 3, padding="same", name="conv")(x)
    a = ops.relu(h) + ops.sigmoid(h) + ops.gelu(h) + ops.leaky_relu(h) + ops.elu(h) + ops.silu(h)
    b = ops.softplus(h) + ops.relu6(h) + ops.hard_sigmoid(h) + ops.selu(h) + ops.softsign(h)
    w = ops.where(ops.greater(h, 0.0), h, 0.1 * h)
    k = ops.cast(ops.less(h, 0.2), "float32")
    pooled = ops.mean(a * b + w * k, axis=(1, 2))
    out = layers.Dense(3, name="head")(ops.log_softmax(pooled, axis=-1))
    return keras.Model(x, [out, k], name="conv_nn")


def masked():
    """An Embedding(mask_zero): a mean over the unmasked steps with ops (not_equal, cast, sum,
    divide), an LSTM that gets the mask (Keras records it as a NotEqual node in the mask keyword),
    and an LSTM after an op (which drops the mask)."""
    keras.utils.clear_session()
    tok = keras.Input((None,), name="tokens")
    e = layers.Embedding(7, 3, mask_zero=True, name="embed")(tok)
    keep = ops.cast(ops.not_equal(tok, 0), "float32")
    pooled = ops.sum(e * ops.expand_dims(keep, -1), axis=1) / ops.maximum(ops.sum(keep, axis=1, keepdims=True), 1.0)
    seq = layers.LSTM(4, name="lstm")(e)
    after_op = layers.LSTM(4, name="after_op")(e * 2.0)
    out = layers.Dense(2, name="head")(pooled)
    return keras.Model(tok, [out, seq, after_op], name="masked")


def keyword_arguments():
    """Operations called with keyword arguments (Keras writes them in the node's kwargs)."""
    keras.utils.clear_session()
    from keras.src.ops import numpy as knp
    x = keras.Input((4,), name="x")
    y = layers.Dense(3, name="dense")(x)
    z = knp.Subtract()(x1=2.0, x2=y)
    w = knp.Multiply()(y, x2=z)
    return keras.Model(x, [z, w], name="keyword_arguments")


def masking():
    """A Masking layer before an LSTM: Keras records the mask it hands the LSTM as NotEqual and Any
    nodes; and the user's own ops.any / ops.all."""
    keras.utils.clear_session()
    x = keras.Input((None, 3), name="x")
    y = layers.LSTM(3, name="lstm")(layers.Masking(0.0, name="masking")(x))
    big = ops.greater(x, 0.5)
    return keras.Model(x, [y, ops.cast(ops.any(big, axis=-1), "float32"), ops.cast(ops.all(big, axis=(1, 2), keepdims=True), "float32")],
                       name="masking")


def record(name, model, shapes, seed, tokens=False, fit_step=False, zero_steps=0):
    inputs = [(indices(s, seed + i, 7) if tokens else pattern(s, seed + i)).astype(np.float32) for i, s in enumerate(shapes)]
    for x in inputs:
        if zero_steps:
            x[:, x.shape[1] - zero_steps:, :] = 0.0  # masked by Masking(0.0)
    weights = [pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)]
    model.set_weights(weights)
    outs = model(inputs)
    outs = [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]
    coeffs = [pattern(o.shape, seed + 200 + k).astype(np.float32) for k, o in enumerate(outs)]
    non_trainable = [np.asarray(v) for v in model.non_trainable_variables]

    def loss(ws, xs):
        ys, _ = model.stateless_call(ws, non_trainable, xs)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(jax.numpy.sum(y.astype("float32") * c) for y, c in zip(ys, coeffs))
    gw = jax.grad(loss)(weights, inputs)
    config = model.get_config()
    reloaded = keras.Model.from_config(copy.deepcopy(config))  # (it consumes its argument) Keras reads its own config back (the op nodes included)
    reloaded.set_weights(weights)
    again = reloaded(inputs)
    for a, b in zip(outs, again if isinstance(again, (list, tuple)) else [again]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-6)
    case = dict(name=name, seed=seed, input_shapes=[list(s) for s in shapes], tokens=tokens, zero_steps=zero_steps,
                weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs],
                grads_weights=[flat(np.asarray(g)) for g in gw], config=config)
    if fit_step:
        # One SGD(0.1) step on the same loss: every weight moves by -0.1 * its gradient.
        case["after_step"] = [flat(w - 0.1 * np.asarray(g)) for w, g in zip(weights, gw)]
    return case, inputs, weights


def check_mask_facts(model, inputs, weights):
    """After `e * 2.0` the LSTM sees no mask: it equals a fresh LSTM on the unmasked sequence."""
    e = model.get_layer("embed")(inputs[0])
    lstm = model.get_layer("after_op")
    plain = layers.LSTM(4)
    plain.build((None, None, 3))
    plain.set_weights(lstm.get_weights())
    np.testing.assert_allclose(np.asarray(model(inputs)[2]), np.asarray(plain(np.asarray(e) * 2.0)), rtol=1e-6, atol=1e-6)
    masked_lstm = np.asarray(model.get_layer("lstm")(e))  # the mask Embedding gave e, as in the graph
    np.testing.assert_allclose(np.asarray(model(inputs)[1]), masked_lstm, rtol=1e-6, atol=1e-6)
    kwargs = [l["inbound_nodes"][0]["kwargs"] for l in model.get_config()["layers"] if l["name"] == "lstm"][0]
    assert kwargs["mask"]["config"]["keras_history"][0].startswith("not_equal"), kwargs


def main():
    a = arithmetic()
    cfg = a.get_config()
    sub = [l for l in cfg["layers"] if l["class_name"] == "Subtract"][0]
    assert isinstance(sub["inbound_nodes"][0]["args"][0], float), sub  # `2.0 - y`: the number first
    cases = [record("arithmetic", a, [(3, 4)], 51000, fit_step=True)[0],
             record("reductions", reductions(), [(2, 3, 4)], 52000)[0],
             record("conv_nn", conv_nn(), [(2, 5, 5, 2)], 53000)[0]]
    m = masked()
    case, inputs, weights = record("masked", m, [(3, 6)], 54000, tokens=True)
    check_mask_facts(m, inputs, weights)
    cases.append(case)
    cases.append(record("keyword_arguments", keyword_arguments(), [(2, 4)], 55000)[0])
    cases.append(record("masking", masking(), [(2, 5, 3)], 56000, zero_steps=2)[0])
    write_fixture(OUT, {"cases": cases})


if __name__ == "__main__":
    main()
