"""Side by side, in one run: minidl's resize (Keras's ops.image.resize, UpSampling2D's interpolations)
against PyTorch's F.interpolate.

    /usr/bin/python3 bench/resize_vs_torch.py [--build build] [--repeats 20]

Runs bench_resize (forward and forward+backward of the rows below) and times the same resizes in
PyTorch (align_corners=False, which is the same half-pixel sampling; channels_last memory format for
the NHWC rows; 'nearest-exact' is PyTorch's half-pixel nearest) with 1 and with 2 threads, keeping
PyTorch's better setting. PyTorch's bicubic uses a = -0.75 where Keras uses -0.5: the same work, other
numbers. Prints the markdown table for bench/README.md. Run it on an otherwise idle machine.
"""
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

from conv_vs_torch import bench_args, best_ms, best_threads, median_ms

# bench_resize's rows: label, input (N, C, H, W), size, mode, antialias, channels_last
ROWS = [
    ("upsample_nearest", (32, 64, 14, 14), (28, 28), "nearest-exact", False, True),
    ("upsample_bilinear", (32, 64, 14, 14), (28, 28), "bilinear", False, True),
    ("upsample_bicubic", (32, 64, 14, 14), (28, 28), "bicubic", False, True),
    ("upsample_bilinear_nchw", (32, 64, 14, 14), (28, 28), "bilinear", False, False),
    ("shrink_bilinear", (32, 3, 64, 64), (28, 28), "bilinear", False, True),
    ("shrink_bilinear_antialias", (32, 3, 64, 64), (28, 28), "bilinear", True, True),
    ("shrink_bilinear_nchw", (32, 3, 64, 64), (28, 28), "bilinear", False, False),
]


def torch_ms(shape, size, mode, antialias, channels_last, backward, repeats):
    x = torch.randn(*shape)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(backward)
    kwargs = {"mode": mode} if mode.startswith("nearest") else {"mode": mode, "align_corners": False, "antialias": antialias}
    seed = torch.ones(shape[0], shape[1], *size)

    def step():
        y = F.interpolate(x, size=size, **kwargs)
        if backward:
            y.backward(seed)
    return best_ms(step, (x,), repeats)


def main():
    args = bench_args()
    ours = median_ms(args.build, "bench_resize")
    print(f"torch {torch.__version__}; minidl build/bench/bench_resize, medians of 3\n")
    print("| resize (N, C, H, W) -> size | pass | minidl ms | PyTorch ms (threads) | ratio |")
    print("|---|---|---:|---:|---:|")
    for i, (label, shape, size, mode, antialias, channels_last) in enumerate(ROWS):
        for backward, pass_name in ((False, "forward"), (True, "forward_backward")):
            mine = ours[f"BM_resize/{pass_name}/{i}"]
            tt, th = best_threads(lambda threads: torch_ms(shape, size, mode, antialias, channels_last, backward,
                                                           args.repeats))
            print(f"| {label} {shape} -> {size} | {pass_name} | {mine:.2f} | {tt:.2f} ({th}) | {mine / tt:.2f} |")


if __name__ == "__main__":
    main()
