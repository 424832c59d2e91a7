// A two-layer perceptron learns y = sin(3x) from noisy samples with nothing but the autograd tape
// and a hand-written SGD step: the smallest end-to-end use of minidl.
#include <cmath>

#include <minidl/minidl.h>

using namespace minidl;

namespace {

Tensor relu(const Tensor& h) { return maximum(h, Tensor::scalar(0.0f)); }

// Glorot-uniform weights, zero bias.
Tensor dense_weight(std::int64_t in, std::int64_t out, Generator& gen) {
  const double limit = std::sqrt(6.0 / static_cast<double>(in + out));
  return Tensor::rand({in, out}, gen, DType::Float32, -limit, limit).set_requires_grad();
}

}  // namespace

int main() {
  Generator gen(42);
  const std::int64_t n = 512, hidden = 64;
  Tensor x = Tensor::rand({n, 1}, gen, DType::Float32, -2.0, 2.0);
  std::vector<float> targets;
  for (float v : x.to_vector<float>()) targets.push_back(std::sin(3.0f * v) + 0.05f * static_cast<float>(gen.normal()));
  Tensor y = Tensor::from_vector(targets, {n, 1});

  std::vector<Tensor> params = {dense_weight(1, hidden, gen), Tensor::zeros({hidden}).set_requires_grad(),
                                dense_weight(hidden, hidden, gen), Tensor::zeros({hidden}).set_requires_grad(),
                                dense_weight(hidden, 1, gen), Tensor::zeros({1}).set_requires_grad()};
  const double lr = 0.05, momentum = 0.9;
  std::vector<Tensor> velocity;
  for (const auto& p : params) velocity.push_back(Tensor::zeros(p.shape()));

  fmt::print("tiny MLP: 1 -> {} -> {} -> 1, {} samples of y = sin(3x) + noise, SGD with momentum\n", hidden, hidden, n);
  for (int step = 0; step <= 2000; ++step) {
    Tensor h1 = relu(matmul(x, params[0]) + params[1]);
    Tensor h2 = relu(matmul(h1, params[2]) + params[3]);
    Tensor pred = matmul(h2, params[4]) + params[5];
    Tensor loss = mean(square(pred - y));
    for (auto& p : params) p.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;  // the update itself is not part of the model
      for (std::size_t i = 0; i < params.size(); ++i) {
        velocity[i].copy_(velocity[i] * momentum - params[i].grad() * lr);
        params[i].copy_(params[i] + velocity[i]);
      }
    }
    if (step % 200 == 0) fmt::print("step {:4d}  mse {:.5f}\n", step, loss.item());
  }
  return 0;
}
