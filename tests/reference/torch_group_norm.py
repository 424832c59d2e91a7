"""PyTorch's F.group_norm in float64, forward and gradients, for minidl's group_norm op
(tests/autograd/test_group_norm.cpp).

    /usr/bin/python3 tests/reference/torch_group_norm.py   -> tests/fixtures/torch_group_norm.json

PyTorch puts the channels on axis 1; for another channel axis the script moves it to 1, normalizes
and moves it back (the statistics do not depend on the order of the other axes).
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch_group_norm.json")

# (shape, channel axis, groups, epsilon, with gamma, with beta)
CASES = [
    ((2, 3, 3, 4), -1, 2, 1e-3, True, True),   # channels_last
    ((2, 6, 2, 3), 1, 3, 1e-3, True, True),    # channels_first
    ((3, 5, 4), -1, 4, 1e-5, True, False),     # instance normalization of a sequence
    ((2, 2, 6, 2), 2, 1, 1e-2, False, True),   # a middle axis, one group
    ((1, 8), -1, 2, 1e-3, False, False),       # no spatial axes
    ((2, 1, 1, 4), -1, 2, 0.0, True, True),    # 1x1 images
]


def tensor(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    torch.manual_seed(7)
    cases = []
    for shape, axis, groups, eps, has_gamma, has_beta in CASES:
        channels = shape[axis]
        x = (torch.randn(shape, dtype=torch.float64) * 2 + 0.5).requires_grad_()
        gamma = (torch.rand(channels, dtype=torch.float64) + 0.5).requires_grad_() if has_gamma else None
        beta = torch.randn(channels, dtype=torch.float64).requires_grad_() if has_beta else None
        # This PyTorch's backward fails for weight=None with a bias ("tensor does not have a device"):
        # a constant gamma of ones is the same computation.
        weight = gamma if has_gamma else (torch.ones(channels, dtype=torch.float64) if has_beta else None)
        y = F.group_norm(x.movedim(axis, 1), groups, weight, beta, eps).movedim(1, axis)
        w = torch.randn(shape, dtype=torch.float64)
        (y * w).sum().backward()
        case = {"axis": axis, "groups": groups, "epsilon": eps, "x": tensor(x), "y": tensor(y), "w": tensor(w),
                "grad_x": tensor(x.grad)}
        if has_gamma:
            case.update(gamma=tensor(gamma), grad_gamma=tensor(gamma.grad))
        if has_beta:
            case.update(beta=tensor(beta), grad_beta=tensor(beta.grad))
        cases.append(case)
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "group_norm": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
