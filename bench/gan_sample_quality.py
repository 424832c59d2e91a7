"""How recognisable are a generator's Fashion-MNIST samples? Scores them with a PyTorch classifier
trained here on the real training set, so "recognisable garments" becomes numbers that minidl's and
PyTorch's DCGAN runs (and real images) can be compared on.

    /usr/bin/python3 bench/gan_sample_quality.py NAME=SOURCE [NAME=SOURCE ...] [--classifier out/fashion_cnn.pt]

SOURCE is either a PNG grid written by `minidl_dcgan --generate N` (10 columns, 2-pixel border,
2x scale: the example's layout) or a .npy array (N, 28, 28) in [-1, 1] such as
bench/dcgan_quality_torch.py writes; .npy samples are rounded to 8 bits like the PNG's. The special
SOURCE `real` scores 1000 real training images (the ceiling).

Per set: the classifier's mean top probability, the share of samples it puts in one class with
probability >= 0.9, the classes' spread (a classifier score: exp of the mean KL divergence between
p(class | sample) and the set's class marginal; 10 is the maximum for 10 equally used classes), and
the Frechet distance between the classifier's 128-feature layer on the samples and on the 10,000
test images (lower is closer to real garments; like FID, with this small classifier instead of
Inception).
"""
import argparse
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autoencoder_quality_torch import DATA, images  # noqa: E402

CLASSES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def labels(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        return torch.from_numpy(np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.features = nn.Sequential(nn.Linear(64 * 7 * 7, 128), nn.ReLU())
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        f = self.features(self.conv(x))
        return self.head(f), f


def train_classifier(path):
    if os.path.exists(path):
        model = Classifier()
        model.load_state_dict(torch.load(path))
        return model.eval()
    torch.manual_seed(0)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
    for epoch in range(4):
        for idx in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            F.cross_entropy(model(x[idx])[0], y[idx]).backward()
            opt.step()
        print(f"classifier epoch {epoch + 1} done", flush=True)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def load_samples(source):
    """(N, 1, 28, 28) in [0, 1]."""
    if source == "real":
        return images("train-images-idx3-ubyte.gz")[torch.randperm(60000, generator=torch.Generator().manual_seed(1))[:1000]]
    if source.endswith(".npy"):
        x = np.round((np.load(source).astype(np.float64) + 1.0) * 127.5).clip(0, 255) / 255.0
        return torch.from_numpy(x.astype(np.float32))[:, None]
    grid = np.asarray(Image.open(source).convert("L"), dtype=np.float32) / 255.0
    border, scale, size = 2, 2, 28
    cell = size * scale + border
    cols, rows = (grid.shape[1] - border) // cell, (grid.shape[0] - border) // cell
    out = [grid[border + r * cell:border + r * cell + size * scale:scale, border + c * cell:border + c * cell + size * scale:scale]
           for r in range(rows) for c in range(cols)]
    return torch.from_numpy(np.stack(out))[:, None]


def frechet(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(w.clip(0))) @ v.T
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a).clip(0)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(cross).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", help="NAME=SOURCE")
    ap.add_argument("--classifier", default="out/fashion_cnn.pt")
    args = ap.parse_args()
    model = train_classifier(args.classifier)
    with torch.no_grad():
        test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
        logits, test_features = model(test_x)
        print(f"classifier test accuracy {(logits.argmax(1) == test_y).float().mean().item():.4f}\n")
        print("| samples | n | mean top probability | share >= 0.9 | classifier score | Frechet distance | classes (most used first) |")
        print("|---|---|---|---|---|---|---|")
        for item in args.sets:
            name, source = item.split("=", 1)
            x = load_samples(source)
            logits, features = model(x)
            p = logits.softmax(1).double().numpy()
            top = p.max(1)
            marginal = p.mean(0)
            score = float(np.exp(np.mean((p * (np.log(p + 1e-12) - np.log(marginal + 1e-12))).sum(1))))
            counts = np.bincount(p.argmax(1), minlength=10)
            classes = ", ".join(f"{CLASSES[c]} {counts[c]}" for c in np.argsort(-counts) if counts[c])
            fd = frechet(features.double().numpy(), test_features.double().numpy())
            print(f"| {name} | {len(x)} | {top.mean():.3f} | {(top >= 0.9).mean():.3f} | {score:.2f} | {fd:.1f} | {classes} |", flush=True)


if __name__ == "__main__":
    main()
