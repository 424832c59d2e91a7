"""The real Keras 3's models used as layers of other functional models, with several outputs among
them, for minidl's tests/layers/test_nested_functional.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_nested_models.py
-> tests/fixtures/keras_nested_models.json

Inputs and weights are not stored: input i is pattern(shape, seed + i) and weight j (model.weights
order, named by its Keras path) pattern(shape_j, seed + 100 + j). For every model: the outputs, the
gradients of loss = sum_k sum(output_k * pattern(output_k.shape, seed + 200 + k)) w.r.t. the inputs
and the weights (jax.grad through model.stateless_call), model.get_config() and model.summary()'s text. The configs show
Keras's two node numberings: a tensor read by a node names a nested Functional's call by its place
among the calls this graph keeps (["encoder", 0, 1]), but input_layers/output_layers count from 1
for a Functional, whose "built-in" node once was node 0 (["encoder", 1, 1]); a Sequential has none.
"""
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_nested_models.json")


def encoder():
    """Three outputs, the VAE encoder's shape: z_mean, z_log_var and the hidden features."""
    x = keras.Input((4,), name="enc_in")
    h = layers.Dense(5, activation="tanh", name="h")(x)
    return keras.Model(x, [layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h), h], name="encoder")


def vae_like():
    """The outer graph reads every output of a nested three-output model; one is a model output."""
    keras.utils.clear_session()
    enc = encoder()
    x = keras.Input((4,), name="inp")
    z_mean, z_log_var, h = enc(x)
    s = layers.Add(name="add")([z_mean, z_log_var])
    d = layers.Dense(4, activation="sigmoid", name="dec")(s)
    return keras.Model(x, [layers.Concatenate(name="cat")([d, h]), z_log_var], name="vae"), [(3, 4)]


def autoencoder():
    """decoder(encoder(x)) with single-output models: the model's output is the decoder's."""
    keras.utils.clear_session()
    u = keras.Input((4,), name="u")
    enc = keras.Model(u, layers.Dense(2, activation="relu", name="code")(u), name="enc")
    v = keras.Input((2,), name="v")
    dec = keras.Model(v, layers.Dense(4, activation="sigmoid", name="recon")(v), name="dec")
    x = keras.Input((4,), name="x")
    return keras.Model(x, dec(enc(x)), name="autoencoder"), [(2, 4)]


def siamese():
    """One two-output model called on two inputs: its second call's outputs are the model's."""
    keras.utils.clear_session()
    enc = encoder()
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    ma, _, ha = enc(a)
    mb, vb, _ = enc(b)
    dist = layers.Subtract(name="diff")([ma, mb])
    return keras.Model([a, b], [dist, vb, ha], name="siamese"), [(2, 4), (2, 4)]


def two_inputs_two_outputs():
    """A nested model with two inputs and two outputs, its outputs swapped into a Sequential."""
    keras.utils.clear_session()
    p = keras.Input((3,), name="p")
    q = keras.Input((2,), name="q")
    cat = layers.Concatenate(name="pq")([p, q])
    inner = keras.Model([p, q], [layers.Dense(3, name="left")(cat), layers.Dense(2, name="right")(cat)], name="inner")
    head = keras.Sequential([keras.Input((2,)), layers.Dense(3, activation="relu", name="hd")], name="head")
    x = keras.Input((3,), name="x")
    y = keras.Input((2,), name="y")
    left, right = inner([x, y])
    return keras.Model([x, y], [head(right), left], name="outer"), [(3, 3), (3, 2)]


def record(name, build, seed):
    model, shapes = build()
    inputs = [pattern(s, seed + i).astype(np.float32) for i, s in enumerate(shapes)]
    weights = [pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)]
    model.set_weights(weights)
    outs = model(inputs if len(inputs) > 1 else inputs[0])
    outs = [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]
    assert not model.non_trainable_variables
    coeffs = [pattern(o.shape, seed + 200 + k).astype(np.float32) for k, o in enumerate(outs)]

    def loss(ws, xs):
        ys, _ = model.stateless_call(ws, [], xs if len(xs) > 1 else xs[0])
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(jax.numpy.sum(y * c) for y, c in zip(ys, coeffs))
    gw, gx = jax.grad(loss, argnums=(0, 1))(weights, inputs)
    # Keras loads its own config back to the same outputs (the numbering above is self-consistent).
    again = keras.Model.from_config(model.get_config())
    again.set_weights(weights)
    back = again(inputs if len(inputs) > 1 else inputs[0])
    for o, r in zip(outs, back if isinstance(back, (list, tuple)) else [back]):
        np.testing.assert_allclose(o, np.asarray(r), rtol=1e-6, atol=1e-7)
    lines = []
    model.summary(print_fn=lambda s, line_break=True: lines.append(s))
    return dict(name=name, seed=seed, input_shapes=[list(s) for s in shapes], summary="".join(lines),
                weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs],
                grads_inputs=[flat(np.asarray(g)) for g in gx],
                grads_weights=[flat(np.asarray(g)) for g in gw],
                config=model.get_config())


def main():
    cases = [
        record("vae_like", vae_like, 51000),
        record("autoencoder", autoencoder, 52000),
        record("siamese", siamese, 53000),
        record("two_inputs_two_outputs", two_inputs_two_outputs, 54000),
    ]
    write_fixture(OUT, {"keras": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
