"""The real Keras 3's BatchNormalization called with a mask in training: the batch moments over the
unmasked positions only (BatchNormalization._moments: weights expand_dims(mask, -1) broadcast to the
input, sums over the reduction axes divided by sum(weights) + backend.epsilon()), every position
normalised with them, the moving statistics updated; and the gradients of a weighted sum of the output
w.r.t. the input, gamma and beta. Plus one fit step of Embedding(mask_zero) -> BatchNormalization ->
SimpleRNN -> Dense. For minidl's tests/layers/test_bn_mask.cpp.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_bn_mask.py
-> tests/fixtures/keras_bn_mask.json

Inputs and weights are not stored: x is pattern(input_shape, seed), gamma pattern((C,), seed + 1) + 1,
beta pattern((C,), seed + 2), moving_mean pattern((C,), seed + 3), moving_variance
pattern((C,), seed + 4) + 1.5, the loss is sum(y * pattern(input_shape, seed + 5)) (the twin of
test::pattern). The masks are stored (0/1).
"""
import os

import jax
import jax.numpy as jnp
import numpy as np

import keras  # noqa: E402
from keras import layers  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_bn_mask.json")


def f32(a):
    return np.asarray(a, dtype=np.float32)


def layer_case(input_shape, mask, seed, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True):
    x = f32(pattern(input_shape, seed))
    mask = f32(mask)
    c = input_shape[axis]
    bn = layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale)
    bn.build(input_shape)
    ws = []
    if scale:
        ws.append(f32(pattern((c,), seed + 1) + 1.0))
    if center:
        ws.append(f32(pattern((c,), seed + 2)))
    ws += [f32(pattern((c,), seed + 3)), f32(pattern((c,), seed + 4) + 1.5)]
    bn.set_weights(ws)
    w_loss = jnp.asarray(f32(pattern(input_shape, seed + 5)))
    trainable = [v.value for v in bn.trainable_variables]
    non_trainable = [v.value for v in bn.non_trainable_variables]

    def loss(xv, tv):
        y, nt = bn.stateless_call(tv, non_trainable, xv, training=True, mask=jnp.asarray(mask))
        return jnp.sum(y * w_loss), (y, nt)

    (_, (y, nt)), (gx, gt) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(jnp.asarray(x), trainable)
    names = [v.name for v in bn.trainable_variables]
    grads = {n: flat(g) for n, g in zip(names, gt)}
    return dict(input_shape=list(input_shape), mask_shape=list(mask.shape), mask=[int(v) for v in mask.reshape(-1)],
                seed=seed, axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                y=flat(y), moving_mean=flat(nt[0]), moving_variance=flat(nt[1]), grad_x=flat(gx),
                grad_gamma=grads.get("gamma"), grad_beta=grads.get("beta"))


def layer_cases():
    time_mask = [[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [1, 0, 0, 0, 0]]  # trailing, leading and inner padding
    one_empty = [[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 0, 0]]  # sample 1 fully masked
    out = [
        layer_case((3, 5, 4), time_mask, 100),
        layer_case((3, 5, 4), time_mask, 110, momentum=0.9, epsilon=1e-5),
        layer_case((3, 5, 4), time_mask, 120, center=False),
        layer_case((3, 5, 4), time_mask, 130, scale=False),
        layer_case((3, 5, 4), time_mask, 140, center=False, scale=False, momentum=0.5),
        layer_case((3, 5, 4), one_empty, 150),
        layer_case((3, 5, 4), np.zeros((3, 5)), 160, momentum=0.8),  # everything masked: moments 0
        layer_case((3, 5, 4), np.ones((3, 5)), 170),  # nothing masked: the plain batch moments
        # rank 4 channels last, mask (batch, height, width)
        layer_case((2, 3, 2, 3), [[[1, 0], [1, 1], [0, 1]], [[0, 0], [1, 0], [1, 1]]], 180, momentum=0.7),
        # axis 1: the mask still covers every axis but the last (expand_dims(mask, -1))
        layer_case((2, 3, 4), [[1, 0, 1], [1, 1, 0]], 190, axis=1, momentum=0.6),
        layer_case((2, 3, 2, 4), [[[1, 0], [1, 1], [0, 1]], [[0, 1], [1, 0], [1, 1]]], 200, axis=1, momentum=0.6),
        layer_case((2, 3, 2, 4), [[[1, 0], [1, 1], [0, 1]], [[0, 1], [1, 0], [1, 1]]], 210, axis=-2, momentum=0.6),
    ]
    return out


def fit_case():
    """Embedding(mask_zero) -> BatchNormalization -> SimpleRNN -> Dense, one SGD step of fit."""
    seed = 300
    tokens = np.array([[1, 2, 0, 3, 0], [0, 0, 4, 1, 2], [5, 0, 0, 0, 0], [2, 3, 4, 0, 0]])
    model = keras.Sequential([
        keras.Input((5,)),
        layers.Embedding(6, 3, mask_zero=True),
        layers.BatchNormalization(momentum=0.8),
        layers.SimpleRNN(4),
        layers.Dense(2),
    ])
    model.set_weights([f32(pattern(tuple(w.shape), seed + 1 + i)) for i, w in enumerate(model.weights)])
    y_true = f32(pattern((4, 2), seed + 50))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    hist = model.fit(tokens, y_true, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return dict(seed=seed, tokens=tokens.tolist(), y_true_seed=seed + 50,
                weight_shapes=[list(w.shape) for w in model.weights],
                loss=float(hist.history["loss"][0]), weights_after=[flat(w) for w in model.get_weights()])


def main():
    write_fixture(OUT, {"layer": layer_cases(), "fit": [fit_case()]})


if __name__ == "__main__":
    main()
