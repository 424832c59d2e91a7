#pragma once
// Which of OpenBLAS's CPU-specific kernel sets this process runs.
//
// Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernels by CPU model number, and on CPUs newer
// than the release (Sapphire/Emerald Rapids, ...) it falls back to the generic "Prescott" SSE3
// kernels: sgemm runs 5-7x below the machine's speed. minidl corrects that before its first GEMM
// by choosing the kernels from the CPU's instruction-set flags instead, unless the user has chosen
// them with OPENBLAS_CORETYPE.
#include <string>

namespace minidl::blas {

// OpenBLAS's name of the kernel set in use ("SkylakeX", "Haswell", ...; "unknown" if the BLAS in
// use is not OpenBLAS). Applies the correction above first.
std::string kernel_name();

// The kernel set OpenBLAS chose by itself at load time, before any correction.
std::string detected_kernel_name();

// Idempotent and thread-safe; blas::gemm calls it before its first product.
void select_kernels();

}  // namespace minidl::blas
