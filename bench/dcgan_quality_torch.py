"""PyTorch's run of the same DCGAN (TensorFlow's DCGAN tutorial networks, bench/examples_vs_torch.py)
on Fashion-MNIST, writing a 4x4 grid of the same kind minidl's example writes after every epoch,
so the two can be compared picture for picture and loss for loss.

    /usr/bin/python3 bench/dcgan_quality_torch.py [--epochs 1] [--limit 60000] [--out out/dcgan_torch] [--samples 1000]

Keras's initial weights (glorot_uniform kernels, zero biases) instead of PyTorch's defaults, Adam(1e-4,
eps 1e-7) for both networks, batch 256, images scaled to [-1, 1], BCE from logits; prints the mean
generator and discriminator losses per epoch.
"""
import argparse
import os
import sys
import time

import numpy as np
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autoencoder_quality_torch import images  # noqa: E402
from examples_vs_torch import dcgan_step, discriminator, generator, keras_init  # noqa: E402


def write_grid(path, batch):
    x = ((batch.detach().numpy()[:, 0] + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    rows = [np.concatenate(list(x[r * 4:(r + 1) * 4]), axis=1) for r in range(4)]
    Image.fromarray(np.concatenate(rows, axis=0)).resize((224, 224), Image.NEAREST).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="out/dcgan_torch")
    ap.add_argument("--samples", type=int, default=1000,
                    help="after the last epoch, write this many samples to <out>/samples.npy (bench/gan_sample_quality.py scores them)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    data = images("train-images-idx3-ubyte.gz")[: args.limit] * 2.0 - 1.0
    g, d = generator(), discriminator()
    keras_init(g)
    keras_init(d)
    g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, eps=1e-7)
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, eps=1e-7)
    fixed = torch.randn(16, 100)
    for epoch in range(1, args.epochs + 1):
        start, g_sum, d_sum, steps = time.time(), 0.0, 0.0, 0
        g.train()
        for batch in data[torch.randperm(len(data))].split(256):
            gen_loss, disc_loss = dcgan_step(g, d, g_opt, d_opt, batch, torch.randn(len(batch), 100))
            g_sum, d_sum, steps = g_sum + gen_loss.item(), d_sum + disc_loss.item(), steps + 1
        g.eval()
        with torch.no_grad():
            write_grid(os.path.join(args.out, f"epoch_{epoch:03d}.png"), g(fixed))
        print(f"epoch {epoch}: gen_loss {g_sum / steps:.4f}  disc_loss {d_sum / steps:.4f}  ({time.time() - start:.0f} s)",
              flush=True)
    with torch.no_grad():
        samples = g(torch.randn(args.samples, 100, generator=torch.Generator().manual_seed(args.seed + 2)))
    np.save(os.path.join(args.out, "samples.npy"), samples[:, 0].numpy())


if __name__ == "__main__":
    main()
