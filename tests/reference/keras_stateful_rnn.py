"""The real Keras 3's stateful RNNs (stateful=True): SimpleRNN, LSTM and GRU called on consecutive
batches carry their final states into the next call; reset_state() zeroes them; a given initial_state
replaces them for one call; masked timesteps carry them over; predict and fit run the batches in
order through the same states (see model_case for the jax backend's predict and fit). For minidl's
tests/layers/test_stateful_rnn.cpp and tests/optim/test_stateful_rnn_model.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_stateful_rnn.py
-> tests/fixtures/keras_stateful_rnn.json

Weights are not stored: weight i (model.weights order) is pattern(shape_i, seed + 1 + i); batch k of
a case is pattern((2, 4, 3), seed + 10 + k), initial states pattern((2, 3), seed + 20 + j), the
twin of test::pattern.
"""
import os

import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_stateful_rnn.json")

RNN = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
SHAPE = (2, 4, 3)
STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def batch(seed, k, shape=SHAPE):
    return f32(pattern(shape, seed + 10 + k))


def set_pattern_weights(obj, seed):
    obj.set_weights([f32(pattern(tuple(w.shape), seed + 1 + i)) for i, w in enumerate(obj.weights)])


def layer_case(cls, seed, return_sequences):
    layer = RNN[cls](3, stateful=True, return_sequences=return_sequences)
    layer.build(SHAPE)
    set_pattern_weights(layer, seed)
    ys = [flat(layer(batch(seed, k))) for k in range(3)]
    states_after = [flat(s.value) for s in layer.states]
    layer.reset_states()
    after_reset = flat(layer(batch(seed, 3)))
    layer.reset_state()
    # A given initial_state replaces the carried one for this call, and the call's final states are kept.
    init = [batch(seed, 10 + j, (2, 3)) for j in range(STATES[cls])]
    with_init = flat(layer(batch(seed, 4), initial_state=init if len(init) > 1 else init[0]))
    after_init = flat(layer(batch(seed, 5)))
    # A mask: the masked timesteps carry the states over; the next call starts from them.
    layer.reset_state()
    mask = np.array([[True, False, True, False], [False, True, True, True]])
    with_mask = flat(layer(batch(seed, 6), mask=mask))
    after_mask = flat(layer(batch(seed, 7)))
    try:
        layer(f32(pattern((3, 4, 3), seed)))
        error = None
    except ValueError as e:
        error = str(e)
    return dict(cls=cls, seed=seed, return_sequences=return_sequences, y=ys, states_after=states_after,
                after_reset=after_reset, with_initial_state=with_init, after_initial_state=after_init,
                mask=[[int(v) for v in row] for row in mask], with_mask=with_mask, after_mask=after_mask,
                batch_size_error=error, weight_count=len(layer.weights),
                non_trainable_weight_count=len(layer.non_trainable_weights),
                get_weights_count=len(layer.get_weights()), config_stateful=layer.get_config()["stateful"])


def model_case(cls, seed):
    """Sequential([Input(batch_shape=(2, 4, 3)), <cls>(3, stateful=True), Dense(2)]) over 6 samples in
    batches of 2. "predict" is the model called on the batches in order, twice over (the second pass
    continues from the first's states), which is what Keras's docs promise of predict and what its
    TensorFlow and torch backends do. Under the jax backend Keras 3's predict and fit do not carry
    the states (they are untracked variables, so the jitted stateless steps drop their updates):
    "jax_predict" records that, and "jax_states_after_fit" the still-zero states after fit."""
    def make():
        m = keras.Sequential([keras.Input(batch_shape=SHAPE), RNN[cls](3, stateful=True), layers.Dense(2)])
        set_pattern_weights(m, seed)
        return m

    x = f32(pattern((6, 4, 3), seed + 30))
    y = f32(pattern((6, 2), seed + 31))
    model = make()
    eager = [flat(model(x[2 * (k % 3):2 * (k % 3) + 2])) for k in range(6)]
    states_after_3 = None
    model = make()
    for k in range(3):
        model(x[2 * k:2 * k + 2])
    states_after_3 = [flat(s.value) for s in model.layers[0].states]
    model = make()
    jax_predict = flat(model.predict(x, batch_size=2, verbose=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    return dict(cls=cls, seed=seed, weight_shapes=[list(w.shape) for w in make().weights],
                predict=[v for part in eager[:3] for v in part], predict_again=[v for part in eager[3:] for v in part],
                states_after_3_batches=states_after_3, jax_predict=jax_predict,
                jax_states_after_fit=[flat(s.value) for s in model.layers[0].states],
                model_has_reset_state=hasattr(model, "reset_state"))


def main():
    cases, models, seed = [], [], 70000
    for cls in RNN:
        for rs in (False, True):
            cases.append(layer_case(cls, seed, rs))
            seed += 100
        models.append(model_case(cls, seed))
        seed += 100
    write_fixture(OUT, {"layer": cases, "model": models})


if __name__ == "__main__":
    main()
