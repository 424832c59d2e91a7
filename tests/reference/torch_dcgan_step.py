"""PyTorch reference for one whole DCGAN step of examples/dcgan (the TensorFlow tutorial's networks):
the fakes, both discriminator outputs, both losses, every weight gradient of both networks and the
generator's batch-norm moving statistics after the step.

Regenerate with Debian's PyTorch:  /usr/bin/python3 tests/reference/torch_dcgan_step.py
-> tests/fixtures/torch_dcgan_step.json

The weights, noise and "real" images are not stored: each is torch_conv.py's pattern(shape, seed)
* scale + offset, with the seed/scale/offset of every weight written into the fixture (in the
order of minidl's weights(), which is Keras's). PyTorch runs in float64; minidl is checked in float32.
The discriminator's Dropout is off (rate 0) so the step is deterministic; everything else is the
tutorial's: batch-norm in training mode with Keras's epsilon 1e-3 and momentum 0.99 (moving variance
from the biased batch variance, as Keras does and torch's running_var does not, so it is computed
here by hand), LeakyReLU slope 0.3, BCE from logits, generator loss against ones, discriminator loss
real-vs-ones plus fake-vs-zeros, each network's gradient of its own loss only.

Keras -> PyTorch mapping: NHWC <-> NCHW by permute; Conv2D kernel (kh, kw, in, out) -> (out, in, kh, kw)
and Conv2DTranspose kernel (kh, kw, out, in) -> (in, out, kh, kw), both permute(3, 2, 0, 1).
'same' padding is TensorFlow's (possibly uneven, the odd pixel after): a convolution pads
total = max((ceil(H/s) - 1) * s + k - H, 0) with total // 2 before; a transposed convolution's
output is H * s, cropped from the full (H - 1) * s + k output starting at total // 2, total = k - s.
Gradients and moving statistics are summarised: a dot product with a fixed pattern, the largest
magnitude and 40 sampled elements.
"""
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_conv import pattern  # noqa: E402  (also sets float64 as torch's default dtype)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch_dcgan_step.json")
BATCH, NOISE = 6, 100

# minidl's weights() of each network in order: (path, shape, scale, offset); seeds follow the order.
GENERATOR = [("generator/dense/kernel", (100, 12544), 0.1, 0.0)]
for i, (ch, kernel) in enumerate([(12544, None), (128, (5, 5, 128, 256)), (64, (5, 5, 64, 128))]):
    if kernel:
        name = "conv2d_transpose" + ("" if i == 1 else "_1")
        GENERATOR.append((f"generator/{name}/kernel", kernel, 0.02, 0.0))
    bn = "generator/batch_normalization" + ("" if i == 0 else f"_{i}")
    GENERATOR += [(bn + "/gamma", (ch,), 0.2, 1.0), (bn + "/beta", (ch,), 0.1, 0.0),
                  (bn + "/moving_mean", (ch,), 0.0, 0.0), (bn + "/moving_variance", (ch,), 0.0, 1.0)]
GENERATOR.append(("generator/conv2d_transpose_2/kernel", (5, 5, 1, 64), 0.05, 0.0))
DISCRIMINATOR = [("discriminator/conv2d/kernel", (5, 5, 1, 64), 0.2, 0.0), ("discriminator/conv2d/bias", (64,), 0.1, 0.0),
                 ("discriminator/conv2d_1/kernel", (5, 5, 64, 128), 0.03, 0.0),
                 ("discriminator/conv2d_1/bias", (128,), 0.1, 0.0),
                 ("discriminator/dense/kernel", (6272, 1), 0.02, 0.0), ("discriminator/dense/bias", (1,), 0.1, 0.0)]


def make_weights(table, first_seed):
    out = {}
    for i, (name, shape, scale, offset) in enumerate(table):
        trainable = "moving" not in name
        out[name] = (pattern(shape, first_seed + i) * scale + offset).requires_grad_(trainable)
    return out


def batch_norm(x, w, prefix, momentum=0.99, eps=1e-3):
    dims = [d for d in range(x.dim()) if d != 1]
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=False, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps) * w[prefix + "/gamma"].view(shape) + w[prefix + "/beta"].view(shape)
    moving = {prefix + "/moving_mean": w[prefix + "/moving_mean"] * momentum + mean.detach().flatten() * (1 - momentum),
              prefix + "/moving_variance": w[prefix + "/moving_variance"] * momentum + var.detach().flatten() * (1 - momentum)}
    return y, moving


def conv_transpose_same(x, kernel, s):
    full = F.conv_transpose2d(x, kernel.permute(3, 2, 0, 1), stride=s)
    h, k = x.shape[2] * s, kernel.shape[0]
    top = max(k - s, 0) // 2
    return full[:, :, top:top + h, top:top + h]


def conv_same(x, kernel, s):
    h, k = x.shape[2], kernel.shape[0]
    total = max((-(-h // s) - 1) * s + k - h, 0)
    before = total // 2
    return F.conv2d(F.pad(x, (before, total - before, before, total - before)), kernel.permute(3, 2, 0, 1), stride=s)


def generator(noise, w):
    moving = {}
    h, m = batch_norm(noise @ w["generator/dense/kernel"], w, "generator/batch_normalization")
    moving.update(m)
    h = F.leaky_relu(h, 0.3).view(-1, 7, 7, 256).permute(0, 3, 1, 2)
    for i, (name, s) in enumerate([("conv2d_transpose", 1), ("conv2d_transpose_1", 2)], start=1):
        h, m = batch_norm(conv_transpose_same(h, w[f"generator/{name}/kernel"], s), w, f"generator/batch_normalization_{i}")
        moving.update(m)
        h = F.leaky_relu(h, 0.3)
    h = torch.tanh(conv_transpose_same(h, w["generator/conv2d_transpose_2/kernel"], 2))
    return h.permute(0, 2, 3, 1), moving


def discriminator(x, w):
    h = x.permute(0, 3, 1, 2)
    for name in ["conv2d", "conv2d_1"]:
        h = conv_same(h, w[f"discriminator/{name}/kernel"], 2) + w[f"discriminator/{name}/bias"].view(1, -1, 1, 1)
        h = F.leaky_relu(h, 0.3)
    h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Flatten of NHWC
    return h @ w["discriminator/dense/kernel"] + w["discriminator/dense/bias"]


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().flatten().tolist()]}


def summary(grad, seed, rng):
    n = grad.numel()
    idx = sorted(rng.sample(range(n), min(40, n)))
    values = grad.flatten()
    return {"shape": list(grad.shape), "probe_seed": seed, "dot": float((grad * pattern(grad.shape, seed)).sum()),
            "max_abs": float(grad.abs().max()), "samples": [[i, float(values[i])] for i in idx]}


def main():
    rng = random.Random(0)
    g_w, d_w = make_weights(GENERATOR, 1), make_weights(DISCRIMINATOR, 101)
    noise = pattern((BATCH, NOISE), 500) * 1.5
    real = pattern((BATCH, 28, 28, 1), 501)
    fake, moving = generator(noise, g_w)
    real_out, fake_out = discriminator(real, d_w), discriminator(fake, d_w)
    gen_loss = F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))
    disc_loss = (F.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out)) +
                 F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out)))
    g_names = [n for n, *_ in GENERATOR if g_w[n].requires_grad]
    d_names = [n for n, *_ in DISCRIMINATOR]
    g_grads = torch.autograd.grad(gen_loss, [g_w[n] for n in g_names], retain_graph=True)
    d_grads = torch.autograd.grad(disc_loss, [d_w[n] for n in d_names])
    out = {
        "torch": torch.__version__, "batch": BATCH, "noise_dim": NOISE,
        "noise": {"seed": 500, "scale": 1.5}, "real": {"seed": 501, "scale": 1.0},
        "generator_weights": [{"name": n, "seed": 1 + i, "scale": sc, "offset": off} for i, (n, _, sc, off) in enumerate(GENERATOR)],
        "discriminator_weights": [{"name": n, "seed": 101 + i, "scale": sc, "offset": off}
                                  for i, (n, _, sc, off) in enumerate(DISCRIMINATOR)],
        "fake": flat(fake), "real_out": flat(real_out), "fake_out": flat(fake_out),
        "gen_loss": float(gen_loss), "disc_loss": float(disc_loss),
        "generator_grads": {n: summary(g, 1000 + i, rng) for i, (n, g) in enumerate(zip(g_names, g_grads))},
        "discriminator_grads": {n: summary(g, 2000 + i, rng) for i, (n, g) in enumerate(zip(d_names, d_grads))},
        "moving_stats": {n: summary(v, 3000 + i, rng) for i, (n, v) in enumerate(moving.items())},
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT}: gen_loss {float(gen_loss):.6f}, disc_loss {float(disc_loss):.6f}, "
          f"fake range [{float(fake.min()):.3f}, {float(fake.max()):.3f}]")


if __name__ == "__main__":
    main()
