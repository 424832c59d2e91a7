// BatchNormalization called with a mask in training against the real Keras 3 (fixture:
// tests/reference/keras_bn_mask.py): the batch moments over the unmasked positions only, every
// position normalised with them, the moving statistics updated, and the gradients of a weighted sum
// of the output w.r.t. the input, gamma and beta. Rank 3 and 4, axis -1, 1 and -2, center/scale off,
// a fully masked sample and a fully masked batch. Then the bad masks.
#include "support/bn_mask_case.h"

using namespace minidl;
using namespace minidl::layers;
using nlohmann::json;

TEST_CASE("BatchNormalization with a mask in training matches Keras", "[layers][batch_norm][masking]") {
  for (const auto& c : test::bn_mask_fixture()["layer"]) {
    const Shape shape = test::shape_from_json(c["input_shape"]);
    const std::int64_t seed = c["seed"], axis = c["axis"];
    const bool center = c["center"], scale = c["scale"];
    INFO("x" << shape.str() << " axis " << axis << " seed " << seed << " center " << center << " scale " << scale);
    BatchNormalization bn({.axis = axis, .momentum = c["momentum"].get<double>(),
                           .epsilon = c["epsilon"].get<double>(), .center = center, .scale = scale});
    bn.build(shape);
    const std::int64_t channels = shape[axis < 0 ? shape.ndim() + axis : axis];
    std::vector<Tensor> ws;
    if (scale) ws.push_back(test::pattern({channels}, seed + 1) + 1.0);
    if (center) ws.push_back(test::pattern({channels}, seed + 2));
    ws.push_back(test::pattern({channels}, seed + 3));
    ws.push_back(test::pattern({channels}, seed + 4) + 1.5);
    bn.set_weights(ws);
    Tensor x = test::pattern(shape, seed).set_requires_grad();
    const Tensor mask = test::bn_mask_values(c["mask"], test::shape_from_json(c["mask_shape"])).to(DType::Float32);
    const Masked out = bn.call_with_mask(x, mask, true);
    REQUIRE_CLOSE(out.value, test::bn_mask_values(c["y"], shape), 1e-5, 1e-5);
    REQUIRE_CLOSE(out.mask, mask, 0.0, 1e-12);  // passes through
    const auto weights = bn.weights();
    const Shape per_channel{channels};
    REQUIRE_CLOSE(weights[weights.size() - 2]->value, test::bn_mask_values(c["moving_mean"], per_channel), 1e-5, 1e-6);
    REQUIRE_CLOSE(weights.back()->value, test::bn_mask_values(c["moving_variance"], per_channel), 1e-5, 1e-6);
    (out.value * test::pattern(shape, seed + 5)).sum().backward();
    REQUIRE_CLOSE(x.grad(), test::bn_mask_values(c["grad_x"], shape), 1e-5, 1e-4);
    if (scale) REQUIRE_CLOSE(weights[0]->value.grad(), test::bn_mask_values(c["grad_gamma"], per_channel), 1e-5, 1e-4);
    if (center)
      REQUIRE_CLOSE(weights[scale ? 1 : 0]->value.grad(), test::bn_mask_values(c["grad_beta"], per_channel), 1e-5,
                    1e-4);
  }
}

TEST_CASE("BatchNormalization with a mask: inference and a frozen layer ignore it",
          "[layers][batch_norm][masking]") {
  BatchNormalization bn({.momentum = 0.5});
  const Tensor x = test::pattern({2, 3, 4}, 7);
  const Tensor mask = Tensor::from_vector(std::vector<float>{1, 0, 1, 0, 0, 1}, {2, 3});
  const Tensor plain = bn(x, false);
  REQUIRE_CLOSE(bn.call_with_mask(x, mask, false).value, plain, 0.0, 1e-12);
  bn.set_trainable(false);
  REQUIRE_CLOSE(bn.call_with_mask(x, mask, true).value, plain, 0.0, 1e-12);
  bn.set_trainable(true);
}

TEST_CASE("BatchNormalization rejects a mask of the wrong shape", "[layers][batch_norm][masking][errors]") {
  BatchNormalization bn;
  const Tensor x = Tensor::zeros({2, 3, 4});
  for (const bool training : {true, false})
    REQUIRE_THROWS_WITH_ALL(bn.call_with_mask(x, Tensor::ones({2, 3, 4}), training), std::invalid_argument,
                            "batch_normalization", "one dimension less than the inputs", "(2, 3, 4)");
  REQUIRE_THROWS_WITH_ALL(bn.call_with_mask(x, Tensor::ones({2, 4}), true), std::invalid_argument,
                          "batch_normalization", "the mask must have the shape of the input's leading axes", "(2, 4)",
                          "(2, 3, 4)");
  REQUIRE_THROWS_WITH_ALL(bn.call_with_mask(x, Tensor::ones({2}), true), std::invalid_argument,
                          "one dimension less than the inputs", "mask.shape=(2,)");
}
