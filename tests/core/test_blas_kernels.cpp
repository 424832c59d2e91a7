#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <minidl/core/gemm.h>
#include <minidl/minidl.h>

using namespace minidl;

// A CPU that executes AVX2 must never run OpenBLAS's generic SSE3 ("Prescott") kernels: Debian's
// OpenBLAS 0.3.21 falls back to them on CPU models newer than itself (seen on Emerald Rapids, 7x
// slower sgemm), and blas::select_kernels is what corrects that.
TEST_CASE("OpenBLAS runs kernels matching the CPU's instruction set", "[blas]") {
  const std::string name = blas::kernel_name();
  INFO("OpenBLAS detected " << blas::detected_kernel_name() << ", minidl runs " << name);
  CHECK(name != "unknown");
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice stands
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) CHECK(name != "Prescott");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && blas::detected_kernel_name() == "Prescott")
    CHECK(name == "SkylakeX");
}

TEST_CASE("GEMM after the kernel switch matches a hand-computed product", "[blas]") {
  blas::select_kernels();
  // C = A B with A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: C = [[58,64],[139,154]].
  const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {7, 8, 9, 10, 11, 12};
  float c[4] = {};
  blas::gemm<float>(false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2);
  CHECK(c[0] == 58.0f);
  CHECK(c[1] == 64.0f);
  CHECK(c[2] == 139.0f);
  CHECK(c[3] == 154.0f);
}
