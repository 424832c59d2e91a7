"""PyTorch references for minidl's conv2d and conv2d_transpose (outputs and all three gradients).

Regenerate with Debian's PyTorch:  /usr/bin/python3 tests/reference/torch_conv.py
-> tests/fixtures/torch_conv.json

Inputs are not stored: x, kernel, bias and the output's seed gradient come from `pattern()`, which
the C++ test re-implements bit for bit (integer arithmetic, then one division in double).
PyTorch runs in float64; minidl is checked in float32 against it.

Mapping minidl/Keras -> PyTorch (PyTorch is NCHW with symmetric padding):
* data: NHWC -> NCHW with permute(0, 3, 1, 2).
* conv2d kernel (kh, kw, in/groups, out) -> weight (out, in/groups, kh, kw): permute(3, 2, 0, 1).
  Per-side padding (top, bottom, left, right) -> F.pad(x, (left, right, top, bottom)), then padding=0.
* conv2d_transpose kernel (kh, kw, out, in) -> weight (in, out, kh, kw): permute(3, 2, 0, 1), no flip.
  minidl's output is j = i*s + m*d - top for j in [0, full - top - bottom + output_padding), as
  PyTorch's padding/output_padding but per side: run conv_transpose2d with padding=0,
  output_padding=0 and no bias, zero-pad the end by output_padding, crop
  [top : full + op - bottom], then add the bias.
"""
import json
import os
import random

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch_conv.json")


def pattern(shape, seed):
    """Deterministic values in [-1, 1): ((i * 7919 + seed * 104729) % 1000) / 500 - 1."""
    n = 1
    for s in shape:
        n *= s
    vals = [((i * 7919 + seed * 104729) % 1000) / 500.0 - 1.0 for i in range(n)]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)


def ke(k, d):
    return (k - 1) * d + 1


def conv_case(rng, i):
    groups = rng.choice([1, 1, 1, 2, 3])
    cin = groups * rng.randint(1, 3)
    cout = groups * rng.randint(1, 3)
    if groups == 1 and rng.random() < 0.4:
        cout = rng.randint(9, 12)  # minidl switches from direct loops to GEMM above 8 output channels
    n = rng.randint(1, 3)
    kh, kw = rng.randint(1, 4), rng.randint(1, 4)
    sh, sw = rng.randint(1, 3), rng.randint(1, 3)
    dh, dw = rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 2])
    pad = [rng.randint(0, 2) for _ in range(4)]  # top, bottom, left, right
    h = max(1, ke(kh, dh) - pad[0] - pad[1] + rng.randint(0, 5))
    w = max(1, ke(kw, dw) - pad[2] - pad[3] + rng.randint(0, 5))
    if i % 10 == 0:  # some kernels larger than the input, rescued by padding
        h = max(1, ke(kh, dh) - pad[0] - pad[1])
    cfg = dict(kind="conv2d", n=n, h=h, w=w, cin=cin, cout=cout, kernel=[kh, kw], strides=[sh, sw],
               dilation=[dh, dw], padding=pad, groups=groups, output_padding=[0, 0],
               channels_first=rng.random() < 0.3, seed=i * 4)
    x = pattern((n, h, w, cin), cfg["seed"]).requires_grad_()
    k = pattern((kh, kw, cin // groups, cout), cfg["seed"] + 1).requires_grad_()
    b = pattern((cout,), cfg["seed"] + 2).requires_grad_()
    xt = F.pad(x.permute(0, 3, 1, 2).contiguous(), (pad[2], pad[3], pad[0], pad[1]))
    y = F.conv2d(xt, k.permute(3, 2, 0, 1).contiguous(), b, stride=(sh, sw), dilation=(dh, dw), groups=groups)
    return cfg, x, k, b, y.permute(0, 2, 3, 1)


def transpose_case(rng, i):
    n = rng.randint(1, 3)
    cin, cout = rng.randint(1, 4), rng.randint(1, 4)
    h, w = rng.randint(1, 6), rng.randint(1, 6)
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    if rng.random() < 0.25:
        sh = sw = 1
        dh, dw = rng.randint(1, 3), rng.randint(1, 3)
    else:
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        dh = dw = 1
    full_h, full_w = (h - 1) * sh + ke(kh, dh), (w - 1) * sw + ke(kw, dw)
    top = rng.randint(0, max(0, (ke(kh, dh) - 1) // 2 + 1))
    bottom = rng.randint(0, max(0, ke(kh, dh) - 1 - top))
    left = rng.randint(0, max(0, (ke(kw, dw) - 1) // 2 + 1))
    right = rng.randint(0, max(0, ke(kw, dw) - 1 - left))
    if full_h - top - bottom < 1:
        top = bottom = 0
    if full_w - left - right < 1:
        left = right = 0
    oph, opw = rng.randint(0, sh - 1), rng.randint(0, sw - 1)
    cfg = dict(kind="conv2d_transpose", n=n, h=h, w=w, cin=cin, cout=cout, kernel=[kh, kw], strides=[sh, sw],
               dilation=[dh, dw], padding=[top, bottom, left, right], groups=1, output_padding=[oph, opw],
               channels_first=rng.random() < 0.3, seed=1000 + i * 4)
    x = pattern((n, h, w, cin), cfg["seed"]).requires_grad_()
    k = pattern((kh, kw, cout, cin), cfg["seed"] + 1).requires_grad_()
    b = pattern((cout,), cfg["seed"] + 2).requires_grad_()
    full = F.conv_transpose2d(x.permute(0, 3, 1, 2).contiguous(), k.permute(3, 2, 0, 1).contiguous(), None, stride=(sh, sw),
                              dilation=(dh, dw))
    extended = F.pad(full, (0, opw, 0, oph))
    y = extended[:, :, top:full_h + oph - bottom, left:full_w + opw - right] + b.reshape(1, -1, 1, 1)
    return cfg, x, k, b, y.permute(0, 2, 3, 1)


def flat(t):
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def write_cases(path, cases):
    """Backpropagates the seed pattern through each (cfg, x, k, b, y) and writes the records."""
    out = []
    for cfg, x, k, b, y in cases:
        g = pattern(tuple(y.shape), cfg["seed"] + 3)
        (y * g).sum().backward()
        out.append({**cfg, "y_shape": list(y.shape), "y": flat(y), "dx": flat(x.grad), "dk": flat(k.grad),
                    "db": flat(b.grad)})
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": out}, f, separators=(",", ":"))
    print(len(out), "cases,", os.path.getsize(path) // 1024, "KiB")


def main():
    rng = random.Random(20261125)
    cases = []
    for i in range(120):
        cases.append(conv_case(rng, i))
    for i in range(240):
        cases.append(transpose_case(rng, i))
    write_cases(OUT, cases)


if __name__ == "__main__":
    main()
