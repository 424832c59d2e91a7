"""Cross-check (documentation only, writes nothing): torch.optim against the Keras trajectories of
tests/fixtures/keras_optimizers.json, with the hyperparameters mapped between the two libraries.

Run with Debian's python3 that has torch (from the repository root):
    /usr/bin/python3 tests/reference/torch_optimizers_crosscheck.py

Expected outcome (printed): SGD, SGD momentum and SGD nesterov agree with Keras to float32 rounding
(torch's buffer b = mu * b + g with w -= lr * b is Keras's m = mu * m - lr * g, w += m, for a constant
lr; nesterov likewise). Adam agrees only approximately: Keras adds epsilon to the *uncorrected*
sqrt(v) ("epsilon hat"), torch to sqrt(v / (1 - beta_2^t)); with Keras's eps = 1e-3 ("adam_lr_betas")
the trajectories differ visibly, with the default 1e-7 they agree closely. RMSprop differs in
epsilon placement (Keras: inside the sqrt) and default rho (0.9 vs torch's alpha 0.99).

Measured with torch 1.13 against the Keras 3.15 fixture (float32, 20 steps):
    sgd 1.2e-07, sgd_momentum 1.6e-07, sgd_nesterov 2.4e-07, adam 2.4e-07, adamw 1.5e-07,
    adam_amsgrad 6.6e-06 (lr 0.05: epsilon placement shows), adam_lr_betas 8.0e-04 (eps 1e-3).
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
fx = json.load(open(os.path.join(HERE, "..", "fixtures", "keras_optimizers.json")))
p = fx["problem"]
A = torch.tensor(p["A"], dtype=torch.float32).reshape(4, 3)
b = torch.tensor(p["b"], dtype=torch.float32)
c = torch.tensor(p["c"], dtype=torch.float32).reshape(2, 2)
cases = {case["name"]: case for case in fx["cases"]}


def run(make, name):
    w = torch.tensor(p["w0"], dtype=torch.float32, requires_grad=True)
    v = torch.tensor(p["v0"], dtype=torch.float32).reshape(2, 2).requires_grad_(True)
    opt = make([w, v])
    worst = 0.0
    for step, (kw, kv) in enumerate(zip(cases[name]["w"], cases[name]["v"])):
        opt.zero_grad()
        loss = ((A @ w - b) ** 2).sum() + (v * v * c).sum()
        loss.backward()
        opt.step()
        worst = max(worst, np.abs(w.detach().numpy() - np.array(kw)).max(),
                    np.abs(v.detach().numpy().ravel() - np.array(kv)).max())
    print(f"{name:28s} max |torch - keras| = {worst:.3e}")


run(lambda ps: torch.optim.SGD(ps, lr=0.01), "sgd")
run(lambda ps: torch.optim.SGD(ps, lr=0.02, momentum=0.9), "sgd_momentum")
run(lambda ps: torch.optim.SGD(ps, lr=0.02, momentum=0.8, nesterov=True), "sgd_nesterov")
run(lambda ps: torch.optim.Adam(ps, lr=0.001, eps=1e-7), "adam")
run(lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.5, 0.9), eps=1e-3), "adam_lr_betas")
run(lambda ps: torch.optim.Adam(ps, lr=0.05, eps=1e-7, amsgrad=True), "adam_amsgrad")
run(lambda ps: torch.optim.AdamW(ps, lr=0.001, eps=1e-7, weight_decay=0.004), "adamw")
