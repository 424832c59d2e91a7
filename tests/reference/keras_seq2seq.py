"""The real Keras 3's encoder-decoder (seq2seq) functional models: an encoder RNN with return_state
whose states seed a decoder RNN through initial_state, for minidl's tests/layers/test_rnn_functional.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_seq2seq.py
-> tests/fixtures/keras_seq2seq.json

Inputs and weights are not stored: float input i is pattern(shape, seed + i) (token ids for an
Embedding are indices(shape, seed + i, input_dim), zeros included, which mask_zero masks) and weight j
(in model.weights order, named by its Keras path) is pattern(shape_j, seed + 100 + j), as
keras_layers_extra.py does (pattern.py is the twin of test::pattern). For every model: the outputs,
then the gradients of loss = sum_k sum(output_k * pattern(output_k.shape, seed + 200 + k)) w.r.t. the
float inputs and the weights (jax.grad through model.stateless_call), and model.get_config(). The
last case is the GRU one with the states passed positionally (its config is what differs).
"""
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, indices, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_seq2seq.json")
RNN = {"LSTM": layers.LSTM, "GRU": layers.GRU, "SimpleRNN": layers.SimpleRNN}


def seq2seq(cls, units=4, enc_sequences=False, state_output=False, embedding=False, positional=False):
    """enc -> states -> dec(initial_state) -> Dense softmax; optionally a state among the outputs, the
    encoder with return_sequences too (its sequence an output unless a state is), and an
    Embedding(mask_zero) in front of the encoder; `positional` passes the states as the second
    positional argument (`GRU(4)(x, [h])`), which Keras writes in the node's args, not kwargs."""
    keras.utils.clear_session()
    if embedding:
        enc_in = keras.Input((None,), name="enc_tokens")
        enc_x = layers.Embedding(7, 3, mask_zero=True, name="embed")(enc_in)
    else:
        enc_in = keras.Input((None, 3), name="enc_in")
        enc_x = enc_in
    dec_in = keras.Input((None, 2), name="dec_in")
    enc = RNN[cls](units, return_state=True, return_sequences=enc_sequences, name="encoder")(enc_x)
    states = enc[1:]
    decoder = RNN[cls](units, return_sequences=True, name="decoder")
    dec_seq = decoder(dec_in, states) if positional else decoder(dec_in, initial_state=states)
    out = layers.Dense(3, activation="softmax", name="head")(dec_seq)
    outputs = [out, states[0]] if state_output else out
    if enc_sequences and not state_output:
        outputs = [out, enc[0]]  # the encoder's sequence, its output 0 beside the states
    return keras.Model([enc_in, dec_in], outputs, name="seq2seq")


def record(name, model, shapes, seed, embedding=False):
    inputs = []
    for i, shape in enumerate(shapes):
        if embedding and i == 0:
            inputs.append(indices(shape, seed + i, 7).astype(np.float32))
        else:
            inputs.append(pattern(shape, seed + i).astype(np.float32))
    weights = [pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)]
    model.set_weights(weights)
    outs = model(inputs)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    outs = [np.asarray(o) for o in outs]
    assert len(model.weights) == len(model.trainable_variables)  # all trainable: the seed states are no weights
    non_trainable = [np.asarray(v) for v in model.non_trainable_variables]  # the dropout seed generators
    coeffs = [pattern(o.shape, seed + 200 + k).astype(np.float32) for k, o in enumerate(outs)]

    def loss(ws, xs):
        ys, _ = model.stateless_call(ws, non_trainable, xs)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(jax.numpy.sum(y * c) for y, c in zip(ys, coeffs))
    gw, gx = jax.grad(loss, argnums=(0, 1))(weights, inputs)
    return dict(name=name, seed=seed, input_shapes=[list(s) for s in shapes], embedding=embedding,
                weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
                outputs=[dict(shape=list(o.shape), y=flat(o)) for o in outs],
                grads_inputs=[None if (embedding and i == 0) else flat(np.asarray(g)) for i, g in enumerate(gx)],
                grads_weights=[flat(np.asarray(g)) for g in gw],
                config=model.get_config())


def main():
    cases = [
        record("lstm", seq2seq("LSTM"), [(2, 5, 3), (2, 4, 2)], 41000),
        record("gru_state_output", seq2seq("GRU", state_output=True), [(2, 4, 3), (2, 3, 2)], 42000),
        record("simple_rnn_sequences", seq2seq("SimpleRNN", enc_sequences=True), [(3, 4, 3), (3, 3, 2)], 43000),
        record("lstm_sequences_state_output", seq2seq("LSTM", units=3, enc_sequences=True, state_output=True),
               [(2, 3, 3), (2, 4, 2)], 44000),
        record("gru_embedding_mask", seq2seq("GRU", embedding=True), [(3, 6), (3, 4, 2)], 45000, embedding=True),
        record("gru_positional_states", seq2seq("GRU", positional=True), [(2, 3, 3), (2, 2, 2)], 46000),
    ]
    write_fixture(OUT, {"cases": cases})


if __name__ == "__main__":
    main()
