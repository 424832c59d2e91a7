"""Side by side, in one run: minidl's max/avg pooling against PyTorch's.

    /usr/bin/python3 bench/pool_vs_torch.py [--build build] [--repeats 20]

Runs bench_pool (pool 2, stride 2 on a (128, 28, 28, 32) float32 batch: forward and
forward+backward channels_last, forward channels_first) and times the same calls in PyTorch
(channels_last memory format for the NHWC rows) with 1 and with 2 threads, keeping PyTorch's
better setting. Prints the markdown table for bench/README.md. Run it on an otherwise idle machine.
"""
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

from conv_vs_torch import bench_args, best_ms, best_threads, median_ms

# bench_pool's names -> (pooling function, channels_last?, with backward?)
ROWS = {
    "max_pool2d/forward": (F.max_pool2d, True, False),
    "max_pool2d/forward_backward": (F.max_pool2d, True, True),
    "avg_pool2d/forward": (F.avg_pool2d, True, False),
    "avg_pool2d/forward_backward": (F.avg_pool2d, True, True),
    "max_pool2d/forward_nchw": (F.max_pool2d, False, False),
    "avg_pool2d/forward_nchw": (F.avg_pool2d, False, False),
}


def torch_ms(pool, channels_last, backward, repeats):
    x = torch.randn(128, 32, 28, 28)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(backward)
    seed = torch.ones(128, 32, 14, 14)
    return best_ms(lambda: pool(x, 2, 2).backward(seed) if backward else pool(x, 2, 2), (x,), repeats)


def main():
    args = bench_args()
    ours = median_ms(args.build, "bench_pool")
    print(f"torch {torch.__version__}; minidl build/bench/bench_pool, medians of 3\n")
    print("| pass, (128, 32, 28, 28) pool 2 stride 2 | minidl ms | PyTorch ms (threads) | ratio |")
    print("|---|---:|---:|---:|")
    for name, (pool, channels_last, backward) in ROWS.items():
        tt, th = best_threads(lambda threads: torch_ms(pool, channels_last, backward, args.repeats))
        print(f"| {name} | {ours[name]:.2f} | {tt:.2f} ({th}) | {ours[name] / tt:.2f} |")


if __name__ == "__main__":
    main()
