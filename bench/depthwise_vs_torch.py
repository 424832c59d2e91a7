"""Side by side, in one run: minidl's DepthwiseConv2D forward+backward against PyTorch's.

    /usr/bin/python3 bench/depthwise_vs_torch.py [--build build] [--repeats 5]

Runs bench_depthwise's layer benchmark (Google Benchmark, channels_last float32, 3x3 'same',
conv2d with groups = channels on the direct depthwise loops) and times
torch.nn.functional.conv2d(groups=C) forward + backward (input, weight and bias gradients; NCHW,
the same 'same' padding) with 1 and with 2 threads, keeping PyTorch's better setting. Prints a
markdown table; "minidl NHWC" is the DepthwiseConv2D layer, "minidl NCHW" conv2d itself on
channels_first data (the layer would permute NCHW data to NHWC first). Run it on an otherwise idle machine.
"""
import argparse
import os

import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

from conv_vs_torch import best_ms, best_threads, run_json

SHAPES = [(32, 56, 56, 64, 1), (32, 112, 112, 64, 2)]  # bench_depthwise.cpp's kShapes: (N, H, W, C, stride)


def torch_ms(shape, repeats):
    n, h, w, c, s = shape
    x = torch.randn(n, c, h, w, requires_grad=True)
    wt = torch.randn(c, 1, 3, 3, requires_grad=True)
    b = torch.zeros(c, requires_grad=True)
    oh, ow = (h + s - 1) // s, (w + s - 1) // s
    ph, pw = max((oh - 1) * s + 3 - h, 0), max((ow - 1) * s + 3 - w, 0)
    pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)  # TensorFlow's 'same': the odd pixel at the end

    def step():
        y = F.conv2d(F.pad(x, pad), wt, b, stride=s, groups=c)
        y.backward(torch.ones_like(y))

    return best_ms(step, (x, wt, b), repeats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    ours = {}  # (layout, shape index) -> median ms
    for b in run_json(os.path.join(args.build, "bench", "bench_depthwise"),
                      "BM_depthwise_conv2d_(train|op_channels_first)/", 0.3):
        if b.get("aggregate_name") == "median":
            name, idx = b["run_name"].split("/")[:2]
            ours[("NCHW" if name.endswith("op_channels_first") else "NHWC", int(idx))] = b["real_time"]
    print(f"torch {torch.__version__}\n")
    print("| shape (N,H,W,C) k3 s | minidl NHWC ms | minidl NCHW ms | PyTorch NCHW ms (threads) | ratio NHWC | ratio NCHW |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, shape in enumerate(SHAPES):
        tt, th = best_threads(lambda threads: torch_ms(shape, args.repeats))
        n, h, w, c, s = shape
        last, first = ours[("NHWC", i)], ours[("NCHW", i)]
        print(f"| ({n},{h},{w},{c}) k3 s{s} | {last:.1f} | {first:.1f} | {tt:.1f} ({th}) | {last / tt:.2f} | "
              f"{first / tt:.2f} |")


if __name__ == "__main__":
    main()
