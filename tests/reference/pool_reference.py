#!/usr/bin/python3
"""Reference values for max_pool2d, avg_pool2d, upsampling2d and batch_norm, computed with PyTorch.

Regenerate with Debian's interpreter (it has torch):
    /usr/bin/python3 tests/reference/pool_reference.py
which writes tests/fixtures/pool_reference.json.

How Keras semantics map onto PyTorch here:
- Layout: channels_last inputs are permuted to NCHW for torch and the results permuted back.
- Pooling, padding='valid': F.max_pool2d / F.avg_pool2d with padding=0 directly.
- Pooling, padding='same' (Keras/TF): out = ceil(in / stride), total padding per axis
  max((out - 1) * stride + pool - in, 0), of which total // 2 goes before and the rest after
  (torch's own `padding=` is symmetric, so it cannot express the odd case). We pad by hand:
    max: F.pad with -inf, then F.max_pool2d (a padded cell can never win);
    avg: (window sums of the zero-padded x) / (window sums of a zero-padded ones tensor), both with
         F.avg_pool2d(divisor_override=1): the divisor is the count of real cells in the window,
         i.e. count_include_pad=False.
- Upsampling 'nearest' with integer factors is F.interpolate(mode='nearest') (a pure repeat);
  'bilinear' is F.interpolate(mode='bilinear', align_corners=False): half-pixel centres, the
  source coordinate clamped at 0. Keras 3 calls ops.image.resize (jax.image.resize semantics, no
  antialias when upsampling), which for integer upsampling factors gives the same weights.
- batch_norm: torch's F.batch_norm normalizes with the biased batch variance like Keras, so its
  output and gradients are the reference. Its running-variance update uses the UNBIASED variance,
  unlike Keras, so the expected moving statistics are computed here by hand with NumPy from the
  biased variance: moving = moving * momentum + batch * (1 - momentum).
Gradients are of sum(y * w) for a fixed random w (stored), so every output element matters.
Inputs are random permutations of a grid of distinct values, so max pooling has no ties.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "pool_reference.json")


def js(t):
    t = t.detach().double().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def distinct_input(shape):
    n = int(np.prod(shape))
    vals = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n * 4.0 - 2.0  # distinct, spread
    return torch.tensor(vals.reshape(shape), dtype=torch.float64)


def to_nchw(x, fmt):
    return x if fmt == "channels_first" else x.permute(0, 3, 1, 2)


def from_nchw(y, fmt):
    return y if fmt == "channels_first" else y.permute(0, 2, 3, 1)


def same_pads(size, pool, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


def pool_torch(kind, x_nchw, pool, strides, padding):
    if padding == "valid":
        if kind == "max":
            return F.max_pool2d(x_nchw, pool, strides)
        return F.avg_pool2d(x_nchw, pool, strides)
    top, bottom = same_pads(x_nchw.shape[2], pool[0], strides[0])
    left, right = same_pads(x_nchw.shape[3], pool[1], strides[1])
    pads = (left, right, top, bottom)
    if kind == "max":
        return F.max_pool2d(F.pad(x_nchw, pads, value=-float("inf")), pool, strides)
    sums = F.avg_pool2d(F.pad(x_nchw, pads), pool, strides, divisor_override=1)
    counts = F.avg_pool2d(F.pad(torch.ones_like(x_nchw), pads), pool, strides, divisor_override=1)
    return sums / counts


def with_grad(fn, x, *extra):
    leaves = [x.clone().requires_grad_(True)] + [e.clone().requires_grad_(True) if e is not None else None
                                                 for e in extra]
    y = fn(*leaves)
    w = torch.randn(y.shape, dtype=torch.float64)
    (y * w).sum().backward()
    return y, w, [l.grad if l is not None else None for l in leaves]


pool_cases = []
# (data_format, input shape, pool, strides, padding)
for fmt, shape, pool, strides, padding in [
    ("channels_last", (2, 6, 6, 3), (2, 2), (2, 2), "valid"),
    ("channels_first", (2, 3, 6, 6), (2, 2), (2, 2), "valid"),
    ("channels_last", (1, 7, 5, 2), (3, 2), (2, 1), "valid"),
    ("channels_first", (2, 2, 7, 5), (2, 3), (1, 2), "valid"),
    ("channels_last", (2, 7, 5, 3), (3, 3), (2, 2), "same"),
    ("channels_first", (1, 2, 7, 5), (3, 3), (2, 2), "same"),
    ("channels_last", (1, 5, 6, 2), (2, 3), (1, 1), "same"),
    ("channels_first", (2, 3, 6, 7), (4, 2), (3, 2), "same"),
    ("channels_last", (3, 9, 8, 1), (3, 2), (3, 3), "same"),
    ("channels_last", (1, 4, 4, 2), (2, 2), (3, 3), "valid"),
]:
    x = distinct_input(shape)
    case = {"data_format": fmt, "pool_size": list(pool), "strides": list(strides), "padding": padding, "x": js(x)}
    for kind in ("max", "avg"):
        y, w, (gx,) = with_grad(lambda t: from_nchw(pool_torch(kind, to_nchw(t, fmt), pool, strides, padding), fmt), x)
        case[kind] = {"y": js(y), "w": js(w), "grad_x": js(gx)}
    pool_cases.append(case)

upsampling_cases = []
for fmt, shape, size, interp in [
    ("channels_last", (2, 3, 4, 2), (2, 2), "nearest"),
    ("channels_first", (1, 2, 3, 5), (3, 2), "nearest"),
    ("channels_last", (2, 3, 4, 2), (2, 2), "bilinear"),
    ("channels_first", (1, 2, 3, 5), (3, 2), "bilinear"),
    ("channels_last", (1, 4, 3, 3), (1, 4), "bilinear"),
    ("channels_first", (2, 1, 1, 3), (2, 3), "bilinear"),
]:
    x = torch.randn(shape, dtype=torch.float64)

    def up(t):
        t = to_nchw(t, fmt)
        out_size = (t.shape[2] * size[0], t.shape[3] * size[1])
        if interp == "nearest":
            r = F.interpolate(t, size=out_size, mode="nearest")
        else:
            r = F.interpolate(t, size=out_size, mode="bilinear", align_corners=False)
        return from_nchw(r, fmt)

    y, w, (gx,) = with_grad(up, x)
    upsampling_cases.append({"data_format": fmt, "size": list(size), "interpolation": interp, "x": js(x),
                             "y": js(y), "w": js(w), "grad_x": js(gx)})

bn_cases = []
for shape, axis, training, scale, center in [
    ((4, 3, 3, 5), -1, True, True, True),   # NHWC
    ((3, 4, 3, 2), 1, True, True, True),    # NCHW
    ((6, 4), -1, True, True, False),        # dense, no beta
    ((5, 3, 4), 1, True, False, True),      # sequence-like, no gamma
    ((4, 3, 3, 5), -1, False, True, True),  # inference
    ((3, 4, 2, 2), 1, False, False, False),
]:
    momentum, epsilon = 0.9, 1e-3
    x = torch.randn(shape, dtype=torch.float64) * 2.0 + 0.5
    ax = axis % len(shape)
    c = shape[ax]
    gamma = torch.rand(c, dtype=torch.float64) + 0.5 if scale else None
    beta = torch.randn(c, dtype=torch.float64) if center else None
    moving_mean = torch.randn(c, dtype=torch.float64) * 0.3
    moving_var = torch.rand(c, dtype=torch.float64) + 0.5

    def bn(t, g, b):
        perm = [0, ax] + [i for i in range(1, len(shape)) if i != ax] if ax != 1 else list(range(len(shape)))
        inv = [perm.index(i) for i in range(len(shape))]
        tc = t.permute(perm)
        r = F.batch_norm(tc, moving_mean.clone(), moving_var.clone(), weight=g, bias=b, training=training,
                         momentum=1 - momentum, eps=epsilon)
        return r.permute(inv)

    y, w, grads = with_grad(bn, x, gamma, beta)
    red = tuple(i for i in range(len(shape)) if i != ax)
    xn = x.numpy()
    if training:
        batch_mean = xn.mean(axis=red)
        batch_var = xn.var(axis=red)  # biased, as Keras
        new_mean = moving_mean.numpy() * momentum + batch_mean * (1 - momentum)
        new_var = moving_var.numpy() * momentum + batch_var * (1 - momentum)
    else:
        new_mean, new_var = moving_mean.numpy(), moving_var.numpy()
    case = {"shape": list(shape), "axis": axis, "training": training, "momentum": momentum, "epsilon": epsilon,
            "x": js(x), "moving_mean": js(moving_mean), "moving_var": js(moving_var), "y": js(y), "w": js(w),
            "grad_x": js(grads[0]), "new_moving_mean": js(torch.tensor(new_mean)),
            "new_moving_var": js(torch.tensor(new_var))}
    if scale:
        case["gamma"], case["grad_gamma"] = js(gamma), js(grads[1])
    if center:
        case["beta"], case["grad_beta"] = js(beta), js(grads[2])
    bn_cases.append(case)

with open(OUT, "w") as f:
    json.dump({"generator": f"tests/reference/pool_reference.py, torch {torch.__version__}", "pool": pool_cases,
               "upsampling": upsampling_cases, "batch_norm": bn_cases}, f)
print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")
