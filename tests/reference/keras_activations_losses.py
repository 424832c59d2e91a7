"""Reference values for minidl's activations and losses, computed by the real Keras 3.

Regenerate (needs pip's keras and jax; building and testing minidl never does):
    KERAS_BACKEND=jax python3 tests/reference/keras_activations_losses.py
writes tests/fixtures/keras_activations.json and tests/fixtures/keras_losses.json.
Everything runs in float64 (jax x64) so the fixtures test formulas, not float32 rounding.
Gradients are d/dx sum(w * f(x)) with a fixed random w, taken by jax.grad through Keras's code.
"""
import json
import os

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

keras.config.set_floatx("float64")
import numpy as np  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
rng = np.random.default_rng(20261125)


def t(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def away_from(x, points, gap=0.02):
    """Moves samples off kinks so finite differences and jax agree on the side."""
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + gap * np.sign(x[close] - p + 1e-12)
    return x


def activation_cases():
    kinks = [-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 0.7, -0.3]
    x = away_from(rng.uniform(-7, 7, size=(4, 9)), kinks)
    w = rng.uniform(-1, 1, size=x.shape)
    A = keras.activations
    cases = {
        "relu": lambda v: A.relu(v),
        "relu_negative_slope": lambda v: A.relu(v, negative_slope=0.1),
        "relu_max_value": lambda v: A.relu(v, max_value=3.0),
        "relu_threshold": lambda v: A.relu(v, threshold=0.7),
        "relu_all": lambda v: A.relu(v, negative_slope=0.3, max_value=6.0, threshold=-0.3),
        "relu_slope_threshold": lambda v: A.relu(v, negative_slope=0.3, threshold=0.7),
        "leaky_relu": lambda v: A.leaky_relu(v),
        "relu6": lambda v: A.relu6(v),
        "elu": lambda v: A.elu(v),
        "elu_alpha": lambda v: A.elu(v, alpha=0.5),
        "selu": lambda v: A.selu(v),
        "celu": lambda v: A.celu(v, alpha=1.5),
        "gelu": lambda v: A.gelu(v),
        "gelu_approximate": lambda v: A.gelu(v, approximate=True),
        "sigmoid": lambda v: A.sigmoid(v),
        "hard_sigmoid": lambda v: A.hard_sigmoid(v),
        "sparse_sigmoid": lambda v: A.sparse_sigmoid(v),
        "log_sigmoid": lambda v: A.log_sigmoid(v),
        "tanh": lambda v: A.tanh(v),
        "hard_tanh": lambda v: A.hard_tanh(v),
        "tanh_shrink": lambda v: A.tanh_shrink(v),
        "softplus": lambda v: A.softplus(v),
        "softsign": lambda v: A.softsign(v),
        "sparse_plus": lambda v: A.sparse_plus(v),
        "squareplus": lambda v: A.squareplus(v),
        "silu": lambda v: A.silu(v),
        "hard_silu": lambda v: A.hard_silu(v),
        "mish": lambda v: A.mish(v),
        "soft_shrink": lambda v: A.soft_shrink(v),
        "hard_shrink": lambda v: A.hard_shrink(v),
        "threshold": lambda v: A.threshold(v, 0.5, -2.0),
        "exponential": lambda v: A.exponential(v),
        "linear": lambda v: A.linear(v),
        "softmax": lambda v: A.softmax(v),
        "softmax_axis0": lambda v: A.softmax(v, axis=0),
        "log_softmax": lambda v: A.log_softmax(v),
        "log_softmax_axis0": lambda v: A.log_softmax(v, axis=0),
        "glu": lambda v: A.glu(v[:, :8]),
        "glu_axis0": lambda v: A.glu(v, axis=0),
    }
    out = {"x": t(x), "w": t(w), "cases": {}}
    for name, fn in cases.items():
        y = np.asarray(fn(jnp.asarray(x)))
        wy = w[tuple(slice(0, n) for n in y.shape)]  # glu halves an axis
        g = np.asarray(jax.grad(lambda v: jnp.sum(jnp.asarray(wy) * fn(v)))(jnp.asarray(x)))
        out["cases"][name] = {"y": t(y), "grad": t(g)}
    # sparsemax: Keras 3.15's jax sparsemax is wrong (its threshold sums the cumulative sums over the
    # whole support instead of taking the one at k, so rows do not sum to 1). The reference is the
    # definition instead: the Euclidean projection onto the simplex, found by bisection on tau
    # (a different algorithm from minidl's sort), gradient by central differences of it.
    xs = rng.uniform(-1, 1, size=(3, 5))
    ws = rng.uniform(-1, 1, size=xs.shape)

    def project(v):
        lo, hi = v.min() - 1.0, v.max()
        for _ in range(200):
            tau = 0.5 * (lo + hi)
            lo, hi = (tau, hi) if np.maximum(v - tau, 0).sum() > 1 else (lo, tau)
        return np.maximum(v - 0.5 * (lo + hi), 0)

    def sparsemax_rows(m):
        return np.stack([project(r) for r in m])

    ys = sparsemax_rows(xs)
    gs = np.zeros_like(xs)
    for i in range(xs.shape[0]):
        for j in range(xs.shape[1]):
            up, down = xs.copy(), xs.copy()
            up[i, j] += 1e-6
            down[i, j] -= 1e-6
            gs[i, j] = ((ws * sparsemax_rows(up)).sum() - (ws * sparsemax_rows(down)).sum()) / 2e-6
    out["sparsemax"] = {"x": t(xs), "w": t(ws), "y": t(ys), "grad": t(gs)}
    return out


def loss_cases():
    L = keras.losses
    out = {}
    p = rng.uniform(0.02, 0.98, size=(3, 5))
    p[0, 0], p[1, 1] = 1e-9, 1 - 1e-9  # inside Keras's clamp band
    yb = rng.integers(0, 2, size=(3, 5)).astype(np.float64)
    yr = rng.normal(size=(3, 5))
    z = rng.normal(scale=3, size=(3, 5))
    probs = rng.uniform(0.05, 1, size=(4, 3))
    onehot = np.eye(3)[rng.integers(0, 3, size=4)]
    ids = np.argmax(onehot, axis=1).astype(np.float64)
    ids_col = ids.reshape(4, 1)
    logits = rng.normal(scale=2, size=(4, 3))
    cases = {
        "mse": (yr, p, lambda a, b: L.mean_squared_error(a, b)),
        "mae": (yr, p, lambda a, b: L.mean_absolute_error(a, b)),
        "bce": (yb, p, lambda a, b: L.binary_crossentropy(a, b)),
        "bce_smoothing": (yb, p, lambda a, b: L.binary_crossentropy(a, b, label_smoothing=0.2)),
        "bce_logits": (yb, z, lambda a, b: L.binary_crossentropy(a, b, from_logits=True)),
        "bce_logits_smoothing": (yb, z, lambda a, b: L.binary_crossentropy(a, b, from_logits=True, label_smoothing=0.1)),
        "cce": (onehot, probs, lambda a, b: L.categorical_crossentropy(a, b)),
        "cce_smoothing": (onehot, probs, lambda a, b: L.categorical_crossentropy(a, b, label_smoothing=0.3)),
        "cce_logits": (onehot, logits, lambda a, b: L.categorical_crossentropy(a, b, from_logits=True)),
        "scce": (ids, probs, lambda a, b: L.sparse_categorical_crossentropy(a, b)),
        "scce_column": (ids_col, probs, lambda a, b: L.sparse_categorical_crossentropy(a, b)),
        "scce_logits": (ids, logits, lambda a, b: L.sparse_categorical_crossentropy(a, b, from_logits=True)),
    }
    for name, (y_true, y_pred, fn) in cases.items():
        loss = np.asarray(fn(jnp.asarray(y_true), jnp.asarray(y_pred)))
        w = rng.uniform(0.5, 1.5, size=loss.shape)
        grad = np.asarray(jax.grad(lambda v: jnp.sum(jnp.asarray(w) * fn(jnp.asarray(y_true), v)))(jnp.asarray(y_pred)))
        out[name] = {"y_true": t(y_true), "y_pred": t(y_pred), "w": t(w), "loss": t(loss), "grad": t(grad)}
    return out


def main():
    meta = {"keras": keras.__version__, "jax": jax.__version__}
    with open(os.path.join(OUT, "keras_activations.json"), "w") as f:
        json.dump({"meta": meta, **activation_cases()}, f)
    with open(os.path.join(OUT, "keras_losses.json"), "w") as f:
        json.dump({"meta": meta, "cases": loss_cases()}, f)


if __name__ == "__main__":
    main()
