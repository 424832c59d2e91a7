"""PyTorch references for minidl's depthwise conv2d (groups == input channels, any depth
multiplier): outputs and all three gradients on 22 hand-picked configurations.

Regenerate with Debian's PyTorch:  /usr/bin/python3 tests/reference/torch_depthwise.py
-> tests/fixtures/torch_depthwise.json

Same conventions and record format as torch_conv.py (read by the same C++ checker in
tests/autograd/test_conv2d.cpp): inputs come from pattern() (recomputed by the test, never stored),
PyTorch runs in float64, minidl is checked in float32.

Mapping minidl/Keras -> PyTorch:
* data: NHWC -> NCHW with permute(0, 3, 1, 2) (channels_first cases feed minidl the NCHW tensor).
* kernel (kh, kw, 1, C*m) -> weight (C*m, 1, kh, kw): permute(3, 2, 0, 1); groups=C, so output
  channel c*m + j reads input channel c in both libraries.
* per-side padding (top, bottom, left, right) -> F.pad(x, (left, right, top, bottom)), then padding=0.
"""
import os

import torch
import torch.nn.functional as F

from torch_conv import pattern, write_cases

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch_depthwise.json")

# (n, h, w, channels, multiplier, kernel, strides, dilation, padding (t, b, l, r), channels_first)
CONFIGS = [
    (2, 6, 7, 3, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), False),
    (2, 6, 7, 3, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), True),
    (1, 9, 8, 4, 1, (3, 3), (2, 2), (1, 1), (0, 1, 0, 1), False),
    (1, 9, 8, 4, 1, (3, 3), (2, 2), (1, 1), (0, 1, 0, 1), True),
    (2, 7, 7, 2, 3, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), False),
    (2, 7, 7, 2, 3, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), True),
    (1, 8, 9, 5, 1, (3, 2), (1, 1), (2, 2), (2, 0, 1, 2), False),
    (1, 8, 9, 5, 1, (3, 2), (1, 1), (2, 2), (2, 0, 1, 2), True),
    (3, 10, 6, 3, 3, (2, 3), (2, 1), (2, 1), (1, 0, 2, 1), False),
    (3, 10, 6, 3, 3, (2, 3), (2, 1), (2, 1), (1, 0, 2, 1), True),
    (1, 2, 3, 4, 1, (5, 5), (1, 1), (1, 1), (2, 2, 2, 1), False),  # kernel larger than the input
    (1, 2, 3, 4, 2, (5, 5), (1, 2), (1, 1), (2, 2, 2, 1), True),
    (2, 5, 5, 19, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), False),  # vector blocks and a tail
    (2, 5, 5, 19, 1, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), True),
    (1, 11, 12, 6, 2, (3, 3), (2, 3), (2, 1), (1, 2, 0, 3), False),
    (1, 11, 12, 6, 2, (3, 3), (2, 3), (2, 1), (1, 2, 0, 3), True),
    (2, 4, 4, 2, 1, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), False),  # 1x1 depthwise is a per-channel scale
    (2, 6, 8, 3, 1, (4, 4), (3, 2), (1, 2), (0, 0, 0, 0), True),  # valid padding, strides 3x2
    (1, 16, 16, 8, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), False),
    (1, 16, 16, 8, 1, (7, 7), (2, 2), (1, 1), (3, 3, 3, 3), True),
    (3, 3, 3, 2, 4, (2, 2), (1, 1), (2, 2), (1, 1, 1, 1), False),
    (1, 1, 1, 3, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), True),  # 1x1 image, only the centre tap
]


def case(i, cfg):
    n, h, w, c, m, (kh, kw), (sh, sw), (dh, dw), pad, first = cfg
    seed = 5000 + i * 4
    x = pattern((n, h, w, c), seed).requires_grad_()
    k = pattern((kh, kw, 1, c * m), seed + 1).requires_grad_()
    b = pattern((c * m,), seed + 2).requires_grad_()
    xt = F.pad(x.permute(0, 3, 1, 2).contiguous(), (pad[2], pad[3], pad[0], pad[1]))
    y = F.conv2d(xt, k.permute(3, 2, 0, 1).contiguous(), b, stride=(sh, sw), dilation=(dh, dw), groups=c)
    rec = dict(kind="conv2d", n=n, h=h, w=w, cin=c, cout=c * m, kernel=[kh, kw], strides=[sh, sw], dilation=[dh, dw],
               padding=list(pad), groups=c, output_padding=[0, 0], channels_first=first, seed=seed)
    return rec, x, k, b, y.permute(0, 2, 3, 1)


def main():
    write_cases(OUT, [case(i, cfg) for i, cfg in enumerate(CONFIGS)])


if __name__ == "__main__":
    main()
