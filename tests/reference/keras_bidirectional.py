"""The real Keras 3's Bidirectional wrapper around SimpleRNN, LSTM and GRU, for minidl's
tests/layers/test_bidirectional.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/keras_bidirectional.py
-> tests/fixtures/keras_bidirectional.json

Each case is a functional model x (-> Masking) (+ initial states) -> Bidirectional(...) with every
output of the call as a model output. Inputs and weights are not stored: input i is pattern(shape, seed + i), weight j
(model.weights order, named by its Keras path) pattern(shape_j, seed + 100 + j). Masked cases feed a
Masking(0.0) layer whose input has its later timesteps zeroed for some rows (post-padding), so the
RNNs see Keras's mask. For every case: the outputs, the gradients of loss = sum_k sum(output_k *
pattern(output_k.shape, seed + 200 + k)) w.r.t. the input and the weights (jax.grad through
model.stateless_call), the Bidirectional layer's get_config() and the model's config.
"""
import os

import numpy as np

import jax  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_bidirectional.json")
RNN = {"LSTM": layers.LSTM, "GRU": layers.GRU, "SimpleRNN": layers.SimpleRNN}


def padded(shape, seed, lengths):
    """pattern(shape, seed) with row b's timesteps from lengths[b] on set to 0 (Masking masks them)."""
    x = pattern(shape, seed).astype(np.float32)
    for b, n in enumerate(lengths):
        x[b, n:, :] = 0.0
    return x


def listed(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def case(name, cls, seed, shape=(2, 5, 3), units=3, merge_mode="concat", sequences=False, state=False,
         lengths=None, initial_state=False, backward=None, stateful=False):
    keras.utils.clear_session()
    x_in = keras.Input(batch_shape=shape if stateful else (None,) + shape[1:], name="x")
    h = layers.Masking(0.0, name="mask")(x_in) if lengths else x_in
    forward = RNN[cls](units, return_sequences=sequences, return_state=state, stateful=stateful, name="rnn")
    kwargs = {}
    if backward:
        kwargs["backward_layer"] = RNN[cls](units, return_sequences=sequences, return_state=state, go_backwards=True,
                                            activation=backward, name="back")
    bi = layers.Bidirectional(forward, merge_mode=merge_mode, name="bi", **kwargs)
    inputs = [x_in]
    if initial_state:
        count = 2 if cls == "LSTM" else 1
        states = [keras.Input((units,), name=f"s{i}") for i in range(2 * count)]
        inputs += states
        out = bi(h, initial_state=states)
    else:
        out = bi(h)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    model = keras.Model(inputs, outs, name="model")

    values = [padded(shape, seed, lengths) if lengths else pattern(shape, seed).astype(np.float32)]
    for i, t in enumerate(inputs[1:]):
        values.append(pattern((shape[0], units), seed + 1 + i).astype(np.float32))
    weights = [pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)]
    model.set_weights(weights)
    ys = [np.asarray(y) for y in listed(model(values))]
    coeffs = [pattern(y.shape, seed + 200 + k).astype(np.float32) for k, y in enumerate(ys)]
    non_trainable = [np.asarray(v) for v in model.non_trainable_variables]

    def loss(ws, xs):
        out, _ = model.stateless_call(ws, non_trainable, xs)
        return sum(jax.numpy.sum(y * c) for y, c in zip(listed(out), coeffs))
    trainable = [w for w in weights]
    gw, gx = jax.grad(loss, argnums=(0, 1))(trainable, values)
    rec = dict(name=name, cls=cls, seed=seed, shape=list(shape), units=units, merge_mode=merge_mode,
               return_sequences=sequences, return_state=state, lengths=lengths, initial_state=initial_state,
               backward_activation=backward, stateful=stateful,
               weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
               outputs=[dict(shape=list(y.shape), y=flat(y)) for y in ys],
               grads_inputs=[flat(np.asarray(g)) for g in gx], grads_weights=[flat(np.asarray(g)) for g in gw],
               layer_config=bi.get_config(), model_config=model.get_config())
    if stateful:  # a second call starts from the first call's final states
        rec["second_outputs"] = [flat(np.asarray(y)) for y in listed(model(values))]
    return rec


def main():
    cases = [
        case("lstm_concat_last", "LSTM", 61000),
        case("gru_sum_sequences", "GRU", 62000, merge_mode="sum", sequences=True),
        case("simple_rnn_mul_sequences", "SimpleRNN", 63000, merge_mode="mul", sequences=True, shape=(3, 4, 2)),
        case("lstm_ave_sequences_masked", "LSTM", 64000, merge_mode="ave", sequences=True, lengths=[5, 3]),
        case("gru_concat_last_masked", "GRU", 65000, lengths=[2, 5]),
        case("lstm_none_sequences", "LSTM", 66000, merge_mode=None, sequences=True),
        case("gru_states", "GRU", 67000, state=True),
        case("lstm_states_sequences_masked", "LSTM", 68000, state=True, sequences=True, lengths=[4, 2]),
        case("lstm_none_states", "LSTM", 69000, merge_mode=None, state=True),
        case("lstm_initial_state", "LSTM", 70000, initial_state=True, sequences=True),
        case("gru_backward_layer", "GRU", 71000, backward="relu", sequences=True, lengths=[5, 1]),
        case("simple_rnn_stateful", "SimpleRNN", 72000, stateful=True, sequences=True),
    ]
    write_fixture(OUT, {"keras": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
