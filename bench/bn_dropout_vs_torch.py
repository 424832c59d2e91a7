"""Side by side, in one run: minidl's batch_norm and dropout against PyTorch's.

    /usr/bin/python3 bench/bn_dropout_vs_torch.py [--build build] [--repeats 20]

Runs bench_batch_norm_dropout ((128, 14, 14, 64) float32: batch norm in training -- statistics, moving
averages -- and in inference, channels last and first; dropout 0.3) and times the same calls in
PyTorch (channels_last memory format for the NHWC rows) with 1 and 2 threads, keeping PyTorch's better
setting. Prints the markdown table for bench/README.md. Run it on an otherwise idle machine.
"""
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

from conv_vs_torch import bench_args, best_ms, best_threads, median_ms

# bench names -> (kind, channels_last, training, backward)
ROWS = {
    "BM_batch_norm/train_forward_nhwc": ("bn", True, True, False),
    "BM_batch_norm/train_forward_backward_nhwc": ("bn", True, True, True),
    "BM_batch_norm/inference_nhwc": ("bn", True, False, False),
    "BM_batch_norm/train_forward_nchw": ("bn", False, True, False),
    "BM_batch_norm/train_forward_backward_nchw": ("bn", False, True, True),
    "BM_batch_norm/inference_nchw": ("bn", False, False, False),
    "BM_dropout/forward": ("dropout", True, True, False),
    "BM_dropout/forward_backward": ("dropout", True, True, True),
}


def torch_ms(kind, channels_last, training, backward, repeats):
    x = torch.randn(128, 64, 14, 14)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(backward)
    seed = torch.randn_like(x)
    gamma = torch.ones(64, requires_grad=backward)
    beta = torch.zeros(64, requires_grad=backward)
    mean, var = torch.zeros(64), torch.ones(64)

    def run():
        if kind == "bn":  # Keras's momentum 0.99 is PyTorch's 0.01
            return F.batch_norm(x, mean, var, gamma, beta, training=training, momentum=0.01, eps=1e-3)
        return F.dropout(x, 0.3, training=True)
    return best_ms(lambda: run().backward(seed) if backward else run(), (x, gamma, beta), repeats)


def main():
    args = bench_args()
    ours = median_ms(args.build, "bench_batch_norm_dropout")
    print(f"torch {torch.__version__}; minidl build/bench/bench_batch_norm_dropout, medians of 3\n")
    print("| pass, (128, 14, 14, 64) | minidl ms | PyTorch ms (threads) | ratio |")
    print("|---|---:|---:|---:|")
    for name, spec in ROWS.items():
        tt, th = best_threads(lambda threads: torch_ms(*spec, args.repeats))
        mine = ours[name]
        print(f"| {name.removeprefix('BM_')} | {mine:.2f} | {tt:.2f} ({th}) | {mine / tt:.2f} |")


if __name__ == "__main__":
    main()
