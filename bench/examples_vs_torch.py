"""Side by side, in one run: a training step of the two example models in minidl and in PyTorch.

    /usr/bin/python3 bench/examples_vs_torch.py [--build build] [--steps 20]

minidl: bench_examples (Google Benchmark: autoencoder step at batch 128, DCGAN generator +
discriminator step at batch 256, channels_last float32). PyTorch: the same networks (NCHW,
padding chosen for the same output sizes), the same losses and Adam settings, timed over
`--steps` steps after 3 warm-up steps, with 1 and 2 threads; the better setting is reported.
Peak resident memory is read from /proc/self/status (VmHWM) of each process. Run it on an idle
machine; it prints the markdown table of bench/README.md.
"""
import argparse
import json
import os
import subprocess
import time

import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn as nn
import torch.nn.functional as F


def autoencoder():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.ConvTranspose2d(32, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.Conv2d(32, 1, 3, padding=1), nn.Sigmoid())


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 256, 7, 7)


def generator():
    return nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256, momentum=0.01, eps=1e-3),
        nn.LeakyReLU(0.3), Reshape(),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128, momentum=0.01, eps=1e-3),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(64, momentum=0.01, eps=1e-3), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False), nn.Tanh())


def discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


def keras_init(model):
    """Keras's initial weights instead of PyTorch's: glorot_uniform kernels (a conv kernel's fans are
    the same in both layouts), zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def time_steps(step, steps):
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps * 1e3


def torch_autoencoder_ms(steps):
    model = autoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.rand(128, 1, 28, 28)

    def step():
        opt.zero_grad()
        loss = F.binary_cross_entropy(model(x), x)
        loss.backward()
        opt.step()
    return time_steps(step, steps)


def dcgan_step(g, d, g_opt, d_opt, real, noise):
    """The TensorFlow tutorial's step: both losses from one forward pass, one update of each network.
    Returns (generator loss, discriminator loss) as tensors."""
    fake = g(noise)
    real_out, fake_out = d(real), d(fake)
    bce = F.binary_cross_entropy_with_logits
    g_loss = bce(fake_out, torch.ones_like(fake_out))
    d_loss = bce(real_out, torch.ones_like(real_out)) + bce(fake_out, torch.zeros_like(fake_out))
    g_grads = torch.autograd.grad(g_loss, list(g.parameters()), retain_graph=True)
    d_grads = torch.autograd.grad(d_loss, list(d.parameters()))
    for p, gr in zip(g.parameters(), g_grads):
        p.grad = gr
    for p, gr in zip(d.parameters(), d_grads):
        p.grad = gr
    g_opt.step()
    d_opt.step()
    return g_loss, d_loss


def torch_dcgan_ms(steps):
    g, d = generator(), discriminator()
    g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, eps=1e-7)
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, eps=1e-7)
    real = torch.rand(256, 1, 28, 28) * 2 - 1

    def step():
        dcgan_step(g, d, g_opt, d_opt, real, torch.randn(256, 100))
    return time_steps(step, steps)


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def torch_child(which, threads, steps):
    """Runs one measurement in a fresh process so peak memory is per model."""
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            f"import torch, examples_vs_torch as m; torch.set_num_threads({threads}); "
            f"ms = m.torch_{which}_ms({steps}); print(ms, m.peak_rss_mib())")
    out = subprocess.run(["/usr/bin/python3", "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def ours(build):
    binary = os.path.join(build, "bench", "bench_examples")
    results = {}
    for name in ("autoencoder", "dcgan"):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", binary, f"--benchmark_filter=BM_{name}_step",
                            "--benchmark_format=json"], check=True, capture_output=True, text=True)
        bench = json.loads(p.stdout)["benchmarks"][0]
        results[name] = (bench["real_time"], int(p.stderr.strip().splitlines()[-1]) / 1024)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    mine = ours(args.build)
    print(f"torch {torch.__version__}; minidl {os.path.join(args.build, 'bench', 'bench_examples')}\n")
    print("| step | minidl ms | PyTorch ms (threads) | ratio | minidl peak RSS MiB | PyTorch peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, label in (("autoencoder", "autoencoder, batch 128"), ("dcgan", "DCGAN G+D, batch 256")):
        runs = [torch_child(name, t, args.steps) + (t,) for t in (1, 2)]
        best = min(runs)
        ms, rss = mine[name]
        print(f"| {label} | {ms:.1f} | {best[0]:.1f} ({best[2]}) | {ms / best[0]:.2f} | {rss:.0f} | {best[1]:.0f} |")


if __name__ == "__main__":
    main()
