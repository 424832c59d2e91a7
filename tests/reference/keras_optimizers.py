"""Reference trajectories for minidl's optimizers and learning-rate schedules, made by the real Keras 3.

Regenerate (needs pip's keras 3 and jax; building and testing minidl never does):
    KERAS_BACKEND=jax python3 tests/reference/keras_optimizers.py
writes tests/fixtures/keras_optimizers.json.

The problem: two float32 variables, w (3,) and v (2, 2), and
    loss = sum((A @ w - b)^2) + sum(v^2 * c)
so grad_w = 2 A^T (A w - b) and grad_v = 2 v * c. Each case runs 20 steps of
`keras.optimizers.X(**config).apply_gradients(zip(grads, vars))` on `keras.Variable`s; the
gradients are computed here in float64 NumPy from the float32 values and rounded to float32 (the
C++ test recomputes them with minidl's autograd in float32). After every step the values of both
variables are recorded. Each case stores Keras's own `get_config()` (schedules serialised as Keras
does), so the C++ test rebuilds the optimizer from that config, and also the learning rate Keras
used at each step (`optimizer.learning_rate` read before the step, i.e. the schedule at
`iterations`).

Keras vs PyTorch defaults and formulas (why minidl follows Keras, and what differs from torch.optim):
- epsilon: Keras 1e-7 everywhere; torch Adam/AdamW/NAdam/RMSprop 1e-8, Adagrad 1e-10, Adadelta 1e-6.
- Adam: Keras folds the bias corrections into the step size, alpha = lr * sqrt(1 - b2^t) / (1 - b1^t),
  and adds epsilon to sqrt(v) *uncorrected* ("epsilon hat" of the Adam paper, section 2):
  w -= alpha * m / (sqrt(v) + eps). torch adds eps to sqrt(v / (1 - b2^t)), i.e. Keras's eps equals
  torch's eps * sqrt(1 - b2^t). Identical when eps -> 0; with eps = 1e-7 the difference is tiny.
- AdamW: Keras default weight_decay 0.004 (torch 0.01); both decay as w -= w * wd * lr before the step.
  In Keras 3 *every* optimizer accepts weight_decay and applies it this decoupled way.
- RMSprop: Keras rho=0.9 (torch alpha=0.99); Keras puts eps inside the sqrt: g / sqrt(v + eps)
  (torch: g / (sqrt(v) + eps)); Keras's momentum buffer holds lr * g / sqrt(.), torch's holds
  g / sqrt(.) and multiplies by lr afterwards (same result with a constant lr).
- Adagrad: Keras initial_accumulator_value=0.1 (torch 0), eps inside the sqrt, lr 0.001 (torch 0.01).
- Adadelta: Keras lr=0.001 (torch 1.0), rho=0.95 (torch 0.9).
- SGD momentum: Keras m = momentum * m - lr * g; w += m (nesterov: w += momentum * m - lr * g);
  torch keeps the buffer without lr and has `dampening`; same result with a constant lr.
- Nadam: Keras uses the Dozat momentum schedule u_t = b1 * (1 - 0.5 * 0.96^t) with a running product
  (torch NAdam's momentum_decay=0.004 gives 0.96^(t * 0.004), a different schedule).
"""
import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "keras_optimizers.json")
STEPS = 20

# The fixed problem. The least-squares solution of A w = b has a negative component, so NonNeg
# bites; c pulls v to 0 while MaxNorm(0.9) caps the column norms of v, which start above 0.9.
A = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.4], [0.7, 0.1, 1.2], [-0.4, 0.8, 0.3]], dtype=np.float32)
B = np.array([1.0, -2.0, 0.5, 1.5], dtype=np.float32)
C = np.array([[0.5, 2.0], [1.0, 0.25]], dtype=np.float32)
W0 = np.array([0.3, -0.2, 0.6], dtype=np.float32)
V0 = np.array([[1.2, -0.7], [0.9, 0.8]], dtype=np.float32)


def gradients(w, v):
    w = np.asarray(w, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    a = A.astype(np.float64)
    gw = 2.0 * a.T @ (a @ w - B.astype(np.float64))
    gv = 2.0 * v * C.astype(np.float64)
    return gw.astype(np.float32), gv.astype(np.float32)


def flat(x):
    return [float(e) for e in np.asarray(x, dtype=np.float64).ravel()]


def run(name, make_optimizer, w_constraint=None, v_constraint=None):
    opt = make_optimizer()
    w = keras.Variable(W0, dtype="float32", name="w")
    v = keras.Variable(V0, dtype="float32", name="v")
    w.constraint = w_constraint
    v.constraint = v_constraint
    config = opt.get_config()
    ws, vs, lrs = [], [], []
    for _ in range(STEPS):
        lrs.append(float(np.asarray(opt.learning_rate)))
        gw, gv = gradients(w.numpy(), v.numpy())
        opt.apply_gradients(zip([gw, gv], [w, v]))
        ws.append(flat(w.numpy()))
        vs.append(flat(v.numpy()))
    assert int(opt.iterations.numpy()) == STEPS
    return {
        "name": name,
        "class_name": type(opt).__name__,
        "config": json.loads(json.dumps(config, default=float)),
        "w_constraint": None if w_constraint is None else type(w_constraint).__name__,
        "v_constraint": None if v_constraint is None else type(v_constraint).__name__,
        "learning_rates": lrs,
        "w": ws,
        "v": vs,
    }


O = keras.optimizers
S = keras.optimizers.schedules
cases = [
    # Defaults (SGD's 0.01 and the others' 0.001 move w only a little in 20 steps, so a few also run
    # with a larger learning rate to leave the linear regime).
    ("sgd", lambda: O.SGD()),
    ("adam", lambda: O.Adam()),
    ("adamw", lambda: O.AdamW()),
    ("rmsprop", lambda: O.RMSprop()),
    ("adagrad", lambda: O.Adagrad()),
    ("adadelta", lambda: O.Adadelta()),
    ("nadam", lambda: O.Nadam()),
    # Non-default options.
    ("sgd_momentum", lambda: O.SGD(learning_rate=0.02, momentum=0.9)),
    ("sgd_nesterov", lambda: O.SGD(learning_rate=0.02, momentum=0.8, nesterov=True)),
    ("adam_lr_betas", lambda: O.Adam(learning_rate=0.05, beta_1=0.5, beta_2=0.9, epsilon=1e-3)),
    ("adam_amsgrad", lambda: O.Adam(learning_rate=0.05, amsgrad=True)),
    ("adamw_options", lambda: O.AdamW(learning_rate=0.05, weight_decay=0.1, beta_1=0.8, amsgrad=True)),
    ("rmsprop_centered_momentum", lambda: O.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)),
    ("rmsprop_momentum", lambda: O.RMSprop(learning_rate=0.01, momentum=0.9)),
    ("rmsprop_centered", lambda: O.RMSprop(learning_rate=0.01, centered=True, epsilon=1e-4)),
    ("adagrad_options", lambda: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3)),
    ("adadelta_options", lambda: O.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6)),
    ("nadam_options", lambda: O.Nadam(learning_rate=0.05, beta_1=0.8, beta_2=0.99)),
    # Gradient clipping (values chosen so that clipping is active for many steps).
    ("sgd_clipnorm", lambda: O.SGD(learning_rate=0.05, clipnorm=1.0)),
    ("sgd_clipvalue", lambda: O.SGD(learning_rate=0.05, clipvalue=0.5)),
    ("sgd_global_clipnorm", lambda: O.SGD(learning_rate=0.05, global_clipnorm=1.5)),
    ("adam_clipnorm", lambda: O.Adam(learning_rate=0.05, clipnorm=0.5)),
    ("rmsprop_global_clipnorm", lambda: O.RMSprop(learning_rate=0.01, global_clipnorm=0.8)),
    # Decoupled weight decay through the base optimizer.
    ("sgd_weight_decay", lambda: O.SGD(learning_rate=0.05, momentum=0.5, weight_decay=0.2)),
    ("adam_weight_decay", lambda: O.Adam(learning_rate=0.05, weight_decay=0.3)),
    ("rmsprop_weight_decay", lambda: O.RMSprop(learning_rate=0.01, weight_decay=0.5)),
    ("adagrad_weight_decay", lambda: O.Adagrad(learning_rate=0.1, weight_decay=0.5)),
    ("adadelta_weight_decay", lambda: O.Adadelta(learning_rate=1.0, weight_decay=0.1)),
    ("nadam_weight_decay", lambda: O.Nadam(learning_rate=0.05, weight_decay=0.3)),
    # Learning-rate schedules.
    ("sgd_exponential_decay", lambda: O.SGD(learning_rate=S.ExponentialDecay(0.05, 5, 0.5))),
    ("sgd_exponential_decay_staircase",
     lambda: O.SGD(learning_rate=S.ExponentialDecay(0.05, 4, 0.7, staircase=True), momentum=0.5)),
    ("adam_piecewise_constant",
     lambda: O.Adam(learning_rate=S.PiecewiseConstantDecay([3, 8, 14], [0.1, 0.05, 0.02, 0.005]))),
    ("sgd_cosine_decay", lambda: O.SGD(learning_rate=S.CosineDecay(0.05, 12, alpha=0.1))),
    ("adam_cosine_warmup",
     lambda: O.Adam(learning_rate=S.CosineDecay(0.0, 10, alpha=0.0, warmup_target=0.1, warmup_steps=5))),
    ("rmsprop_cosine_warmup_alpha",
     lambda: O.RMSprop(learning_rate=S.CosineDecay(0.001, 8, alpha=0.2, warmup_target=0.02, warmup_steps=4),
                       weight_decay=0.1)),
]

results = [run(name, make) for name, make in cases]
# Constraints applied after each update (and after weight decay).
results.append(run("sgd_constraints", lambda: O.SGD(learning_rate=0.05, momentum=0.5),
                   w_constraint=keras.constraints.NonNeg(), v_constraint=keras.constraints.MaxNorm(0.9)))
results.append(run("adam_constraints", lambda: O.Adam(learning_rate=0.05),
                   w_constraint=keras.constraints.NonNeg(), v_constraint=keras.constraints.MaxNorm(0.9)))


def schedule_values():
    """Closed-form checks live in the C++ test; these are Keras's own values at steps 0..30."""
    scheds = {
        "exponential": S.ExponentialDecay(0.1, 7, 0.3),
        "exponential_staircase": S.ExponentialDecay(0.1, 7, 0.3, staircase=True),
        "piecewise": S.PiecewiseConstantDecay([5, 10, 20], [1.0, 0.5, 0.25, 0.125]),
        "cosine": S.CosineDecay(0.2, 15, alpha=0.05),
        "cosine_warmup": S.CosineDecay(0.01, 12, alpha=0.1, warmup_target=0.3, warmup_steps=6),
    }
    out = {}
    for key, s in scheds.items():
        out[key] = {
            "class_name": type(s).__name__,
            "config": json.loads(json.dumps(s.get_config(), default=float)),
            "values": [float(np.asarray(s(step))) for step in range(31)],
        }
    return out


fixture = {
    "problem": {"A": flat(A), "b": flat(B), "c": flat(C), "w0": flat(W0), "v0": flat(V0), "steps": STEPS,
                "constraints": {"NonNeg": {}, "MaxNorm": {"max_value": 0.9, "axis": 0}}},
    "keras_version": keras.__version__,
    "cases": results,
    "schedules": schedule_values(),
}
with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(f"wrote {OUT}: {len(results)} optimizer cases, {len(fixture['schedules'])} schedules")
