#include "minidl/core/blas_kernels.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace minidl::blas {

namespace {

// Looked up at run time: the re-initialisation entry points exist only in DYNAMIC_ARCH builds of
// OpenBLAS, and minidl must still link against a fixed-target OpenBLAS or another BLAS.
template <class Fn>
Fn* symbol(const char* name) {
  return reinterpret_cast<Fn*>(dlsym(RTLD_DEFAULT, name));
}

std::string current_name() {
  auto* corename = symbol<char*()>("openblas_get_corename");
  if (corename == nullptr) return "unknown";
  const char* name = corename();
  return name != nullptr ? name : "unknown";
}

// The best kernel set Debian's OpenBLAS 0.3.21 has for what this CPU can execute.
const char* best_supported_kernels() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
  return nullptr;
}

std::string g_detected;

void select_once() {
  g_detected = current_name();
  // Only OpenBLAS's fallback for unrecognised CPUs is overridden: a kernel set it recognised, or
  // one the user forced, is kept.
  if (g_detected != "Prescott" || std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const char* best = best_supported_kernels();
  auto* quit = symbol<void()>("gotoblas_dynamic_quit");
  auto* init = symbol<void()>("gotoblas_dynamic_init");
  if (best == nullptr || quit == nullptr || init == nullptr) return;
  // gotoblas_dynamic_init reads OPENBLAS_CORETYPE; the variable is removed again so that child
  // processes detect for themselves.
  setenv("OPENBLAS_CORETYPE", best, 1);
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");
}

std::once_flag g_once;

}  // namespace

void select_kernels() { std::call_once(g_once, select_once); }

namespace {
// setenv is not thread-safe against getenv in other threads, and re-initialising OpenBLAS must not
// overlap a GEMM another thread started outside minidl: so the choice is made while the library is
// loaded, before main() or the program's threads run. select_kernels() stays as the guard for static
// initializers of other files that reach a GEMM first.
[[maybe_unused]] const bool g_selected_at_load = (select_kernels(), true);
}  // namespace

std::string kernel_name() {
  select_kernels();
  return current_name();
}

std::string detected_kernel_name() {
  select_kernels();
  return g_detected;
}

}  // namespace minidl::blas
