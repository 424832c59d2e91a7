"""Import before torch: PyTorch gets the same OpenBLAS kernels that minidl runs.

Debian's OpenBLAS 0.3.21 does not know CPUs newer than itself (Sapphire/Emerald Rapids, ...) and
falls back to its generic SSE3 "Prescott" kernels there. minidl corrects that in-process
(core/blas_kernels.cpp); Debian's PyTorch links the same OpenBLAS, so for a fair comparison this
re-executes the script with OPENBLAS_CORETYPE set to the kernel set minidl would choose.
"""
import ctypes
import os
import sys


def _cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def _best_kernels(flags):
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


def _fix():
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return
    lib.openblas_get_corename.restype = ctypes.c_char_p
    if lib.openblas_get_corename().decode() != "Prescott":
        return
    best = _best_kernels(_cpu_flags())
    if best:
        os.environ["OPENBLAS_CORETYPE"] = best
        os.execv(sys.executable, [sys.executable] + sys.argv)


_fix()
