"""Side by side, in one run: minidl's conv2d_transpose forward+backward against PyTorch's.

    /usr/bin/python3 bench/conv_vs_torch.py [--build build] [--repeats 5]

Runs bench_conv (Google Benchmark, channels_last float32, Keras 'same') and bench_gemm's raw
OpenBLAS sgemm as the machine's GEMM ceiling, then times torch.nn.functional.conv_transpose2d
forward + backward (input, weight and bias gradients; NCHW, padding/output_padding chosen to give
the same output size) with 1 and with 2 threads and keeps PyTorch's better setting. Prints the
markdown table for bench/README.md. Run it on an otherwise idle machine.
"""
import argparse
import json
import os
import subprocess
import time

import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

SHAPES = [  # (N, C_in, H, W) -> C_out, kernel k, stride s
    (128, 32, 7, 7, 32, 3, 2), (128, 32, 14, 14, 32, 3, 2), (256, 256, 7, 7, 128, 5, 1),
    (256, 128, 7, 7, 64, 5, 2), (256, 64, 14, 14, 1, 5, 2), (64, 512, 4, 4, 256, 4, 2),
    (64, 256, 8, 8, 128, 4, 2), (64, 128, 16, 16, 64, 4, 2), (64, 64, 32, 32, 3, 4, 2),
]


def flops(n, cin, h, w, cout, k, s):
    return 3 * 2.0 * n * h * w * cin * k * k * cout  # forward + two backward products


def best_ms(step, leaves, repeats):
    """The best time of step() over `repeats` runs after two warm-ups, the leaves' grads cleared first."""
    best = float("inf")
    for i in range(repeats + 2):
        for t in leaves:
            t.grad = None
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        if i >= 2:
            best = min(best, dt)
    return best * 1e3


def best_threads(time_with):
    """PyTorch's better setting: (ms, threads) of time_with(threads) for 1 and 2 threads."""
    results = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        results.append((time_with(threads), threads))
    return min(results)


def torch_ms(shape, threads, repeats):
    n, cin, h, w, cout, k, s = shape
    pad = (k - s + 1) // 2
    out_pad = 2 * pad - (k - s)
    x = torch.randn(n, cin, h, w, requires_grad=True)
    wt = torch.randn(cin, cout, k, k, requires_grad=True)
    b = torch.zeros(cout, requires_grad=True)
    y = F.conv_transpose2d(x, wt, b, stride=s, padding=pad, output_padding=out_pad)
    assert y.shape[2] == h * s, (shape, y.shape)
    seed = torch.ones_like(y)
    return best_ms(lambda: F.conv_transpose2d(x, wt, b, stride=s, padding=pad, output_padding=out_pad).backward(seed),
                   (x, wt, b), repeats)


def run_json(binary, bench_filter, min_time):
    out = subprocess.run([binary, f"--benchmark_filter={bench_filter}", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"]


def bench_args():
    """--build (the CMake build folder) and --repeats (PyTorch timings per setting), as every script here takes."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=20)
    return ap.parse_args()


def median_ms(build, binary):
    """build/bench/<binary>'s median real time (ms) per benchmark name, over three repetitions."""
    return {b["run_name"].removesuffix("/real_time"): b["real_time"]
            for b in run_json(os.path.join(build, "bench", binary), ".", 0.3) if b.get("aggregate_name") == "median"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    bench = os.path.join(args.build, "bench")
    ours = {}
    peak = 0.0
    for b in run_json(os.path.join(bench, "bench_conv"), "BM_conv2d_transpose_train", 0.3):
        if b.get("aggregate_name") != "min" and b.get("aggregate_name") != "median":
            continue
        idx = int(b["run_name"].split("/")[1])
        if b["aggregate_name"] == "median":
            ours[idx] = b["real_time"]  # ms
            peak = max(peak, b.get("scratch_MiB", 0.0))
    gemm = [b for b in run_json(os.path.join(bench, "bench_gemm"), "BM_raw_sgemm/(1024|2048)", 0.3)
            if b.get("aggregate_name") == "median"]
    sgemm = max(b["GFLOP/s"] for b in gemm) / 1e9
    print(f"torch {torch.__version__}, raw OpenBLAS sgemm ceiling {sgemm:.0f} GFLOP/s, "
          f"minidl scratch peak {peak:.1f} MiB\n")
    print("| shape (N,C,H,W)->C_out k s | minidl ms | PyTorch ms (threads) | ratio | minidl GFLOP/s | % of sgemm |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, shape in enumerate(SHAPES):
        tt, th = best_threads(lambda threads: torch_ms(shape, threads, args.repeats))
        gf = flops(*shape) / (ours[i] * 1e-3) / 1e9
        n, cin, h, w, cout, k, s = shape
        print(f"| ({n},{cin},{h},{w})->{cout} k{k} s{s} | {ours[i]:.1f} | {tt:.1f} ({th}) | {ours[i] / tt:.2f} | "
              f"{gf:.0f} | {100 * gf / sgemm:.0f}% |")


if __name__ == "__main__":
    main()
