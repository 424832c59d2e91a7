"""PyTorch's version of the keras.io autoencoder trained one epoch on Fashion-MNIST: the test BCE
that minidl's example must match or beat (issue: "at least as good as PyTorch's after one epoch").

    /usr/bin/python3 bench/autoencoder_quality_torch.py [--epochs 1] [--seed 42] [--keras-init]

Same data (Debian's dataset-fashion-mnist, scaled to [0, 1]), same network (bench/examples_vs_torch.py),
Adam(1e-3, eps 1e-7), batch 128, shuffled; prints the test BCE per epoch (mean over the 10,000 test images).
"""
import argparse
import gzip
import os
import sys

import numpy as np
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from examples_vs_torch import autoencoder, keras_init  # noqa: E402

DATA = os.environ.get("MINIDL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def images(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keras-init", action="store_true", help="Keras's initial weights (as minidl) instead of PyTorch's")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    train, test = images("train-images-idx3-ubyte.gz"), images("t10k-images-idx3-ubyte.gz")
    model = autoencoder()
    if args.keras_init:
        keras_init(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for idx in torch.randperm(len(train)).split(128):
            opt.zero_grad()
            x = train[idx]
            loss = F.binary_cross_entropy(model(x), x)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            total = sum(F.binary_cross_entropy(model(x), x, reduction="sum").item() for x in test.split(1000))
        print(f"epoch {epoch}: test BCE {total / test.numel():.4f}")


if __name__ == "__main__":
    main()
