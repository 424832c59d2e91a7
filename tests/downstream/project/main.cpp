// d/dx sum(x * x) at x = 3 is 6: enough to prove headers, library and BLAS link from an install.
#include <minidl/minidl.h>

int main() {
  auto x = minidl::Tensor::from_vector(std::vector<double>{3.0}, minidl::Shape{1});
  x.set_requires_grad(true);
  auto y = minidl::matmul(x.reshape({1, 1}), x.reshape({1, 1})).sum();
  y.backward();
  fmt::print("grad={}\n", x.grad().item());
  return 0;
}
