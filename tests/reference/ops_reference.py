"""PyTorch reference values for the foundation ops (elementwise, reduce, shape, matmul).

Regenerate (from the repository root, with Debian's python3 that has torch):
    /usr/bin/python3 tests/reference/ops_reference.py
which writes tests/fixtures/ops_reference.json. The C++ tests never run Python; they read the JSON.

Every case holds float64 inputs, the PyTorch output, and, for differentiable ops, a fixed random
weight tensor `weight` (shape of the output) and the gradients of sum(output * weight) with
respect to each input (`grads`, in input order; null for inputs that take no gradient, such as
the condition of `where`).

Inputs are drawn away from the kinks of each op (abs at 0, ties of max/min/maximum, clip edges,
log/sqrt/div near 0) so that the gradients are unambiguous and the C++ gradchecks can reuse them.
"""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20240601)


def uniform(shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


def away_from(shape, kink, gap, spread=1.0):
    """Values in [kink - spread, kink + spread] at least `gap` from `kink`."""
    mag = rng.uniform(gap, spread, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return kink + sign * mag


def distinct(shape, spacing=0.05):
    """A random permutation of well separated values: no ties anywhere, so max/min are unique."""
    n = int(np.prod(shape)) if len(shape) else 1
    vals = (np.arange(n) - n / 2) * spacing + rng.uniform(0, spacing / 4)
    return rng.permutation(vals).reshape(shape)


def tensor_json(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def make_case(op, arrays, fn, params=None, differentiable=None):
    """Runs fn on torch leaves made from `arrays`; records the output and the weighted gradients.

    differentiable: which inputs get a gradient (default: all)."""
    if differentiable is None:
        differentiable = [True] * len(arrays)
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=d) for a, d in zip(arrays, differentiable)]
    out = fn(*leaves)
    case = {"op": op, "params": params or {}, "inputs": [tensor_json(t) for t in leaves], "output": tensor_json(out)}
    if any(differentiable):
        weight = torch.tensor(rng.standard_normal(size=tuple(out.shape)))
        grads = torch.autograd.grad((out * weight).sum(), [t for t in leaves if t.requires_grad])
        it = iter(grads)
        case["weight"] = tensor_json(weight)
        case["grads"] = [tensor_json(next(it)) if d else None for d in differentiable]
    return case


# ---------------------------------------------------------------- elementwise
def elementwise_cases():
    cases = []
    binary_shapes = [((2, 3, 4), (3, 1)), ((4,), (2, 1, 4)), ((2, 3), (2, 3)), ((3, 1, 2), (1, 4, 1)), ((2, 3), ())]
    binary = {
        "add": (torch.add, lambda s: uniform(s), lambda s: uniform(s)),
        "sub": (torch.sub, lambda s: uniform(s), lambda s: uniform(s)),
        "mul": (torch.mul, lambda s: uniform(s), lambda s: uniform(s)),
        "div": (torch.div, lambda s: uniform(s), lambda s: away_from(s, 0.0, 0.5, 2.0)),
        # maximum/minimum: a from one lattice, b offset by a third of a step: never within 0.01.
        "maximum": (torch.maximum, lambda s: np.round(uniform(s) * 10) / 10, lambda s: np.round(uniform(s) * 10) / 10 + 0.033),
        "minimum": (torch.minimum, lambda s: np.round(uniform(s) * 10) / 10, lambda s: np.round(uniform(s) * 10) / 10 + 0.033),
        "pow": (torch.pow, lambda s: uniform(s, 0.5, 2.0), lambda s: uniform(s, -2.0, 2.5)),
    }
    for op, (fn, gen_a, gen_b) in binary.items():
        for sa, sb in binary_shapes:
            cases.append(make_case(op, [gen_a(sa), gen_b(sb)], fn))
    # Swapped operand order exercises broadcasting of the first operand.
    cases.append(make_case("sub", [uniform((3, 1)), uniform((2, 3, 4))], torch.sub))
    cases.append(make_case("div", [uniform((1, 4)), away_from((3, 1), 0.0, 0.5, 2.0)], torch.div))

    unary_shapes = [(5,), (2, 3, 4)]
    unary = {
        "exp": (torch.exp, lambda s: uniform(s, -2, 2)),
        "log": (torch.log, lambda s: uniform(s, 0.2, 3.0)),
        "sqrt": (torch.sqrt, lambda s: uniform(s, 0.2, 3.0)),
        "abs": (torch.abs, lambda s: away_from(s, 0.0, 0.05, 2.0)),
        "square": (torch.square, lambda s: uniform(s, -2, 2)),
        "neg": (torch.neg, lambda s: uniform(s, -2, 2)),
    }
    for op, (fn, gen) in unary.items():
        for s in unary_shapes:
            cases.append(make_case(op, [gen(s)], fn))
    for s in unary_shapes:
        cases.append(make_case("pow_scalar", [uniform(s, 0.3, 2.0)], lambda x: torch.pow(x, 2.5), {"exponent": 2.5}))
        cases.append(make_case("pow_scalar", [uniform(s, -2.0, 2.0)], lambda x: torch.pow(x, 3.0), {"exponent": 3.0}))
    # clip: values kept at least 0.05 away from both edges.
    for s, (lo, hi) in [((5,), (-0.5, 0.5)), ((2, 3, 4), (-0.25, 0.75))]:
        x = np.where(rng.random(s) < 0.5, away_from(s, lo, 0.05, 1.0), away_from(s, hi, 0.05, 1.0))
        x = np.where(np.abs(x - lo) < 0.05, lo - 0.1, x)
        x = np.where(np.abs(x - hi) < 0.05, hi + 0.1, x)
        cases.append(make_case("clip", [x], lambda t, lo=lo, hi=hi: torch.clamp(t, lo, hi), {"min": lo, "max": hi}))
    # where: the condition is a 0/1 float mask (minidl's convention), no gradient.
    for sc, sa, sb in [((2, 3, 4), (2, 3, 4), (2, 3, 4)), ((2, 3, 4), (3, 4), (2, 1, 4)), ((3, 1), (1, 4), (3, 4))]:
        cond = (rng.random(sc) < 0.5).astype(np.float64)
        cases.append(make_case("where", [cond, uniform(sa), uniform(sb)],
                               lambda c, a, b: torch.where(c != 0, a, b), differentiable=[False, True, True]))
    return cases


# ---------------------------------------------------------------- reductions
def reduce_cases():
    cases = []
    configs = [((2, 3, 4), []), ((2, 3, 4), [0]), ((2, 3, 4), [1]), ((2, 3, 4), [-1]), ((2, 3, 4), [0, 2]),
               ((2, 3, 4), [1, 2]), ((2, 3, 2, 3), [1, 3]), ((2, 3, 2, 3), [0, 1, 3]), ((7,), [0])]

    def dims_of(axes, nd):
        return tuple(axes) if axes else tuple(range(nd))

    for shape, axes in configs:
        nd = len(shape)
        for keepdims in (False, True):
            p = {"axes": axes, "keepdims": keepdims}
            d = dims_of(axes, nd)
            cases.append(make_case("sum", [uniform(shape)], lambda x: x.sum(dim=d, keepdim=keepdims), p))
            cases.append(make_case("mean", [uniform(shape)], lambda x: x.mean(dim=d, keepdim=keepdims), p))
            cases.append(make_case("max", [distinct(shape)], lambda x: x.amax(dim=d, keepdim=keepdims), p))
            cases.append(make_case("min", [distinct(shape)], lambda x: x.amin(dim=d, keepdim=keepdims), p))
            cases.append(make_case("variance", [uniform(shape)],
                                   lambda x: x.var(dim=d, unbiased=False, keepdim=keepdims), dict(p, correction=0)))
    for shape, axes in [((2, 3, 4), [1]), ((2, 3, 4), [])]:
        d = dims_of(axes, len(shape))
        cases.append(make_case("variance", [uniform(shape)], lambda x: x.var(dim=d, unbiased=True, keepdim=False),
                               {"axes": axes, "keepdims": False, "correction": 1}))
    return cases


# ---------------------------------------------------------------- matmul
def matmul_cases():
    cases = []

    def mm(ta, tb):
        def f(a, b):
            return torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)
        return f

    configs = [
        ((3, 4), (4, 5), False, False),
        ((4, 3), (4, 5), True, False),
        ((3, 4), (5, 4), False, True),
        ((4, 3), (5, 4), True, True),
        ((2, 3, 4), (2, 4, 5), False, False),  # batched
        ((2, 3, 4), (4, 5), False, False),     # shared b: one folded GEMM
        ((2, 3, 4), (1, 4, 5), False, False),  # shared b with a unit batch axis
        ((3, 4), (2, 4, 5), False, False),     # shared a
        ((2, 1, 3, 4), (3, 4, 5), False, False),  # broadcast batch -> (2, 3, 3, 5)
        ((2, 4, 3), (2, 5, 4), True, True),
        ((2, 1, 4, 3), (3, 4, 5), True, False),
        ((2, 3, 4), (3, 1, 5, 4), False, True),
        ((1, 1), (1, 6), False, False),
    ]
    for sa, sb, ta, tb in configs:
        cases.append(make_case("matmul", [uniform(sa), uniform(sb)], mm(ta, tb),
                               {"transpose_a": ta, "transpose_b": tb}))
    return cases


# ---------------------------------------------------------------- shape ops
def shape_cases():
    cases = []
    for shape, order in [((2, 3, 4), [2, 0, 1]), ((2, 3, 4), [0, 2, 1]), ((2, 3, 4, 5), [3, 1, 0, 2]),
                         ((2, 3), [-1, 0])]:
        cases.append(make_case("permute", [uniform(shape)], lambda x: x.permute(*order), {"order": order}))
    for shape, a0, a1 in [((2, 3, 4), 0, 2), ((2, 3, 4), -1, -2), ((3, 5), 0, 1)]:
        cases.append(make_case("transpose", [uniform(shape)], lambda x: x.transpose(a0, a1), {"axis0": a0, "axis1": a1}))

    def py_slice(x, axis, start, stop, step):
        idx = [slice(None)] * x.dim()
        idx[axis] = slice(start, stop, step)
        return x[tuple(idx)]

    for shape, axis, start, stop, step in [((2, 5, 3), 1, 1, 4, 1), ((2, 5, 3), 1, 0, 5, 2), ((2, 5, 3), -1, -2, 3, 1),
                                           ((2, 5, 3), 1, -4, 100, 2), ((6,), 0, 1, 6, 3), ((2, 5, 3), 0, 1, 2, 1)]:
        cases.append(make_case("slice", [uniform(shape)], lambda x: py_slice(x, axis, start, stop, step),
                               {"axis": axis, "start": start, "stop": stop, "step": step}))
    for shapes, axis in [([(2, 3), (4, 3)], 0), ([(2, 3, 1), (2, 3, 4), (2, 3, 2)], -1), ([(2, 1, 4), (2, 3, 4)], 1)]:
        cases.append(make_case("concat", [uniform(s) for s in shapes], lambda *xs: torch.cat(xs, dim=axis),
                               {"axis": axis}))
    for shape, n, axis in [((2, 3), 3, 0), ((2, 3), 2, 1), ((2, 3), 2, -1), ((4,), 3, 1)]:
        cases.append(make_case("stack", [uniform(shape) for _ in range(n)], lambda *xs: torch.stack(xs, dim=axis),
                               {"axis": axis}))
    for shape, pads, value in [((2, 3, 4), [[1, 0], [0, 2], [1, 1]], 0.0), ((3, 2), [[2, 1], [0, 0]], 1.5),
                               ((4,), [[0, 3]], -2.0)]:
        # torch's F.pad lists (before, after) pairs from the last axis backwards.
        flat = [v for pair in reversed(pads) for v in pair]
        cases.append(make_case("pad", [uniform(shape)],
                               lambda x: torch.nn.functional.pad(x, flat, mode="constant", value=value),
                               {"paddings": pads, "value": value}))
    for shape, target in [((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((1, 1), (2, 2))]:
        cases.append(make_case("broadcast_to", [uniform(shape)], lambda x: x.expand(*target), {"shape": list(target)}))
    return cases


def main():
    fixture = {
        "generator": "tests/reference/ops_reference.py",
        "torch_version": torch.__version__,
        "elementwise": elementwise_cases(),
        "reduce": reduce_cases(),
        "matmul": matmul_cases(),
        "shape": shape_cases(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "fixtures", "ops_reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    counts = {k: len(v) for k, v in fixture.items() if isinstance(v, list)}
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path) // 1024} KB): {counts}")


if __name__ == "__main__":
    main()
