// Inference on one shared model from several threads at once gives the serial results (the
// ThreadSanitizer build, scripts/test.sh --tsan, runs this file too).
#include <thread>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;

namespace {

// Calls `model` on inputs[t] from one thread per input, `reps` times each, all at once, and
// requires every result to equal the serial call bit for bit.
void require_concurrent_equals_serial(Layer& model, const std::vector<Tensor>& inputs, int reps) {
  NoGradGuard guard;
  std::vector<Tensor> expected;
  for (const auto& x : inputs) expected.push_back(model(x, false));
  std::vector<std::vector<Tensor>> got(inputs.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < inputs.size(); ++t)
    threads.emplace_back([&, t] {
      NoGradGuard thread_guard;
      for (int rep = 0; rep < reps; ++rep) got[t].push_back(model(inputs[t], false));
    });
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < inputs.size(); ++t)
    for (const auto& y : got[t]) REQUIRE(y.to_vector<float>() == expected[t].to_vector<float>());
}

}  // namespace

TEST_CASE("one model called from 3 threads at once equals serial calls", "[layers][threads]") {
  manual_seed(5);
  Sequential model({.input_shape = Shape{12, 12, 2}});
  model.add(Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .activation = "relu"}));
  model.add(BatchNormalization());
  model.add(MaxPooling2D());
  model.add(Conv2DTranspose({.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same", .activity_regularizer = "l2"}));
  model.add(Dropout({.rate = 0.5}));
  model.add(Flatten());
  model.add(Dense({.units = 5, .activation = "softmax"}));
  std::vector<Tensor> inputs;
  Generator gen(9);
  for (int t = 0; t < 3; ++t) inputs.push_back(Tensor::randn({4, 12, 12, 2}, gen));
  require_concurrent_equals_serial(model, inputs, 5);
}

TEST_CASE("a model with large (split) GEMMs called from 3 threads at once equals serial calls", "[layers][threads]") {
  // Products above blas::gemm's threshold are split over the pool when called alone, and run whole
  // on the calling thread when another call holds the pool: both must give the same bits.
  manual_seed(6);
  Sequential model({.input_shape = Shape{384}});
  model.add(Dense({.units = 512, .activation = "relu"}));
  model.add(Dense({.units = 200}));
  std::vector<Tensor> inputs;
  Generator gen(10);
  for (int t = 0; t < 3; ++t) inputs.push_back(Tensor::randn({211, 384}, gen));
  require_concurrent_equals_serial(model, inputs, 4);
}
