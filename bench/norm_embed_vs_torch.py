"""Side by side, in one run: minidl's layer_norm and gather (LayerNormalization, Embedding) and its
GroupNormalization layer against PyTorch's F.layer_norm, F.embedding and F.group_norm.

    /usr/bin/python3 bench/norm_embed_vs_torch.py [--build build] [--repeats 20]

Runs bench_norm_embed (layer_norm over the last axis of (8192, 512) float32 with gamma and beta;
gather of 64 x 128 ids from a (32000, 512) table; GroupNormalization(32 groups) on 32 x 128 x 32 x 32
activations, channels_last and channels_first (PyTorch's NCHW and its channels_last memory format),
forward and forward+backward) and times the same
calls in PyTorch with 1 and 2 threads, keeping PyTorch's better setting. Prints the markdown table
for bench/README.md. Run it on an otherwise idle machine.
"""
import blas_env  # noqa: F401  (before torch: same OpenBLAS kernels as minidl)
import torch
import torch.nn.functional as F

from conv_vs_torch import bench_args, best_ms, best_threads, median_ms

ROWS, WIDTH, VOCAB = 64 * 128, 512, 32000


def layer_norm_case(backward):
    x = torch.randn(ROWS, WIDTH, requires_grad=backward)
    gamma = torch.ones(WIDTH, requires_grad=backward)
    beta = torch.zeros(WIDTH, requires_grad=backward)
    seed = torch.randn(ROWS, WIDTH)
    return lambda: F.layer_norm(x, (WIDTH,), gamma, beta, eps=1e-3), seed, (x, gamma, beta)


def gather_case(backward):
    table = torch.randn(VOCAB, WIDTH, requires_grad=backward)
    ids = torch.randint(0, VOCAB, (64, 128))
    seed = torch.randn(64, 128, WIDTH)
    return lambda: F.embedding(ids, table), seed, (table,)


def group_norm_case(memory_format):
    def case(backward):
        x = torch.randn(32, 128, 32, 32).contiguous(memory_format=memory_format).requires_grad_(backward)
        gamma = torch.ones(128, requires_grad=backward)
        beta = torch.zeros(128, requires_grad=backward)
        seed = torch.randn(32, 128, 32, 32).contiguous(memory_format=memory_format)
        return lambda: F.group_norm(x, 32, gamma, beta, eps=1e-3), seed, (x, gamma, beta)
    return case


# bench_norm_embed's names -> (case, with backward?)
CASES = {
    "layer_norm/forward": (layer_norm_case, False),
    "layer_norm/forward_backward": (layer_norm_case, True),
    "gather/forward": (gather_case, False),
    "gather/forward_backward": (gather_case, True),
    "group_norm_nhwc/forward": (group_norm_case(torch.channels_last), False),
    "group_norm_nhwc/forward_backward": (group_norm_case(torch.channels_last), True),
    "group_norm_nchw/forward": (group_norm_case(torch.contiguous_format), False),
    "group_norm_nchw/forward_backward": (group_norm_case(torch.contiguous_format), True),
}


def torch_ms(case, backward, repeats):
    run, seed, leaves = case(backward)
    return best_ms(lambda: run().backward(seed) if backward else run(), leaves, repeats)


def main():
    args = bench_args()
    ours = median_ms(args.build, "bench_norm_embed")
    print(f"torch {torch.__version__}; minidl build/bench/bench_norm_embed, medians of 3\n")
    print("| pass | minidl ms | PyTorch ms (threads) | ratio |")
    print("|---|---:|---:|---:|")
    for name, (case, backward) in CASES.items():
        tt, th = best_threads(lambda threads: torch_ms(case, backward, args.repeats))
        print(f"| {name} | {ours[name]:.2f} | {tt:.2f} ({th}) | {ours[name] / tt:.2f} |")


if __name__ == "__main__":
    main()
