"""The real Keras 3's masking: Embedding(mask_zero=True) and Masking feeding SimpleRNN, LSTM and GRU
(return_sequences, go_backwards, zero_output_for_mask), the masks the outputs carry, and the loss of a
compiled model whose output is masked, for minidl's tests/layers/test_masking.cpp and
tests/optim/test_masked_loss.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_masking.py
-> tests/fixtures/keras_masking.json

Weights are not stored: weight i of a model (model.weights order) is pattern(shape_i, seed + 1 + i), as
in keras_rnn.py (the twin of test::pattern). The inputs are small and their padding layout is the
point, so they are stored: token ids with leading, inner and trailing zeros, and float sequences
whose masked timesteps hold mask_value. Merge layers get two token inputs. "mask" is the output's _keras_mask (null: none).
"""
import os

import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.backend import get_keras_mask  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_masking.json")

RNN = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
TOKENS = [[1, 2, 0, 3, 0], [0, 0, 4, 1, 2], [5, 0, 0, 0, 0]]  # vocabulary 6, batch 3, 5 timesteps


def sequence(mask_value, seed):
    """(3, 4, 2) floats; row 0 masks timestep 1, row 1 timesteps 0 and 3, row 2 none; one feature of
    row 2, timestep 2 equals mask_value alone (not masked: every feature must match)."""
    x = pattern((3, 4, 2), seed).astype(np.float32)
    for b, t in [(0, 1), (1, 0), (1, 3)]:
        x[b, t, :] = mask_value
    x[2, 2, 0] = mask_value
    return x


def set_pattern_weights(model, seed):
    model.set_weights([pattern(tuple(w.shape), seed + 1 + i).astype(np.float32) for i, w in enumerate(model.weights)])


def mask_of(y):
    m = get_keras_mask(y)
    return None if m is None else [int(v) for v in np.asarray(m).reshape(-1)]


def run(model, x, seed):
    set_pattern_weights(model, seed)
    y = model(x)
    return dict(seed=seed, output_shape=list(y.shape), y=flat(np.asarray(y)), mask=mask_of(y),
                weight_shapes=[list(w.shape) for w in model.weights])


def embedding_rnn_cases():
    out, seed = [], 50000
    for cls in RNN:
        for rs in (False, True):
            for gb in (False, True):
                for zo in ((False, True) if rs and not gb else (False,)):
                    kwargs = dict(units=2, return_sequences=rs, go_backwards=gb)
                    if zo:
                        kwargs["zero_output_for_mask"] = True
                    model = keras.Sequential([keras.Input((5,)), layers.Embedding(6, 3, mask_zero=True),
                                              RNN[cls](**kwargs)])
                    out.append(dict(cls=cls, kwargs=kwargs, tokens=TOKENS, **run(model, np.array(TOKENS), seed)))
                    seed += 10
    return out


def masking_cases():
    out, seed = [], 51000
    for mask_value in (0.0, 0.5):
        x = sequence(mask_value, seed)
        model = keras.Sequential([keras.Input((4, 2)), layers.Masking(mask_value=mask_value)])
        out.append(dict(mask_value=mask_value, x=flat(x), input_shape=list(x.shape), rnn=None, **run(model, x, seed)))
        seed += 10
        for rs in (False, True):
            model = keras.Sequential([keras.Input((4, 2)), layers.Masking(mask_value=mask_value),
                                      layers.LSTM(3, return_sequences=rs)])
            out.append(dict(mask_value=mask_value, x=flat(x), input_shape=list(x.shape),
                            rnn=dict(units=3, return_sequences=rs), **run(model, x, seed)))
            seed += 10
    return out


def loss_cases():
    """compile(loss=..., metrics=["mae"]) then evaluate on one batch: Keras leaves the masked positions
    out of the loss (and, through MeanMetricWrapper, out of the metric)."""
    out, seed = [], 52000
    x = np.array(TOKENS)
    specs = [
        ("embedding_dense", "mse", True),
        ("embedding_dense", "mse", False),  # control: no mask, every position counts
        ("embedding_dense", "mae", True),
        ("embedding_gru_dense", "mse", True),
        ("embedding_lstm_last", "mse", True),  # return_sequences=False: the mask ends at the LSTM
    ]
    for arch, loss, mask_zero in specs:
        stack = [keras.Input((5,)), layers.Embedding(6, 3, mask_zero=mask_zero)]
        if arch == "embedding_gru_dense":
            stack += [layers.GRU(4, return_sequences=True)]
        if arch == "embedding_lstm_last":
            stack += [layers.LSTM(4)]
        stack += [layers.Dense(2)]
        model = keras.Sequential(stack)
        rec = run(model, x, seed)
        y_true = pattern(tuple(rec["output_shape"]), seed + 100).astype(np.float32)
        model.compile(loss=loss, metrics=["mae"])
        logs = model.evaluate(x, y_true, batch_size=len(x), verbose=0, return_dict=True)
        out.append(dict(arch=arch, loss=loss, mask_zero=mask_zero, tokens=TOKENS, y_true_seed=seed + 100,
                        loss_value=float(logs["loss"]), mae=float(logs["mae"]), **rec))
        seed += 10
    return out


def functional_case():
    """Input -> Embedding(mask_zero) -> Dense (passes the mask) -> SimpleRNN(return_sequences) -> Dense."""
    inp = keras.Input((5,))
    h = layers.Embedding(6, 3, mask_zero=True)(inp)
    h = layers.Dense(4, activation="tanh")(h)
    h = layers.SimpleRNN(3, return_sequences=True, go_backwards=True)(h)
    y = layers.Dense(2)(h)
    model = keras.Model(inp, y)
    rec = run(model, np.array(TOKENS), 53000)
    y_true = pattern(tuple(rec["output_shape"]), 53100).astype(np.float32)
    model.compile(loss="mse")
    loss = model.evaluate(np.array(TOKENS), y_true, batch_size=3, verbose=0)
    return [dict(tokens=TOKENS, y_true_seed=53100, loss_value=float(loss), **rec)]


TOKENS_B = [[3, 0, 1, 0, 2], [1, 1, 0, 0, 5], [0, 2, 0, 0, 0]]
MERGES = {"Add": layers.Add, "Subtract": layers.Subtract, "Multiply": layers.Multiply, "Average": layers.Average,
          "Maximum": layers.Maximum, "Minimum": layers.Minimum, "Concatenate": layers.Concatenate}


def merge_cases():
    """Two token inputs, each through an Embedding (the second masked or not), merged: the merged
    values (Multiply, Maximum and Minimum treat masked positions specially) and the output's mask."""
    out, seed = [], 54000
    for cls in MERGES:
        for axis in ((-1, 1) if cls == "Concatenate" else (None,)):
            for mask_b in (True, False):
                ia, ib = keras.Input((5,)), keras.Input((5,))
                ea = layers.Embedding(6, 3, mask_zero=True)(ia)
                eb = layers.Embedding(6, 3, mask_zero=mask_b)(ib)
                merge = MERGES[cls](axis=axis) if axis is not None else MERGES[cls]()
                model = keras.Model([ia, ib], merge([ea, eb]))
                out.append(dict(cls=cls, axis=axis, mask_b=mask_b, tokens=TOKENS, tokens_b=TOKENS_B,
                                **run(model, [np.array(TOKENS), np.array(TOKENS_B)], seed)))
                seed += 10
    return out


if __name__ == "__main__":
    write_fixture(OUT, dict(keras_version=keras.__version__,
                            masking_config=layers.Masking(mask_value=0.5, name="masking").get_config(),
                            embedding_rnn=embedding_rnn_cases(),
                            masking=masking_cases(), loss=loss_cases(), functional=functional_case(),
                            merge=merge_cases()))
