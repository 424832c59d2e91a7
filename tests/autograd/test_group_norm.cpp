// group_norm: forward and gradients against PyTorch's F.group_norm (tests/reference/torch_group_norm.py)
// for channels_last, channels_first, middle axes and instance normalization; a hand calculation;
// float32 against float64; float64 gradchecks; errors.
#include <cmath>

#include "support/fixtures.h"

using namespace minidl;

namespace {

Tensor optional_param(const nlohmann::json& c, const char* key, DType dtype = DType::Float64, bool leaf = true) {
  if (!c.contains(key)) return Tensor();
  Tensor t = test::tensor_from_json(c.at(key), dtype);
  return leaf ? t.set_requires_grad() : t;
}

}  // namespace

TEST_CASE("group_norm matches PyTorch's group_norm on any channel axis", "[group_norm][reference]") {
  const auto fixture = test::load_fixture("torch_group_norm.json");
  REQUIRE(fixture.at("group_norm").size() >= 6);
  for (const auto& c : fixture.at("group_norm")) {
    Tensor x = test::tensor_from_json(c.at("x")).set_requires_grad();
    Tensor gamma = optional_param(c, "gamma"), beta = optional_param(c, "beta");
    INFO("x" << x.shape() << " axis " << c.at("axis") << " groups " << c.at("groups"));
    Tensor y = group_norm(x, gamma, beta, c.at("groups").get<std::int64_t>(), c.at("axis").get<std::int64_t>(),
                          c.at("epsilon").get<double>());
    REQUIRE_CLOSE(y, test::tensor_from_json(c.at("y")), 1e-10, 1e-12);
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(x.grad(), test::tensor_from_json(c.at("grad_x")), 1e-9, 1e-11);
    if (gamma.defined()) REQUIRE_CLOSE(gamma.grad(), test::tensor_from_json(c.at("grad_gamma")), 1e-10, 1e-11);
    if (beta.defined()) REQUIRE_CLOSE(beta.grad(), test::tensor_from_json(c.at("grad_beta")), 1e-10, 1e-11);

    // float32 stays within float32 rounding of the float64 reference.
    Tensor x32 = test::tensor_from_json(c.at("x"), DType::Float32);
    Tensor y32 = group_norm(x32, optional_param(c, "gamma", DType::Float32, false),
                            optional_param(c, "beta", DType::Float32, false), c.at("groups").get<std::int64_t>(),
                            c.at("axis").get<std::int64_t>(), c.at("epsilon").get<double>());
    REQUIRE(y32.dtype() == DType::Float32);
    REQUIRE_CLOSE(y32.to(DType::Float64), test::tensor_from_json(c.at("y")), 1e-5, 1e-5);
  }
}

TEST_CASE("group_norm by hand: two groups of a channels_last pixel pair", "[group_norm]") {
  // Channels {a, b | c, d} at two pixels: group 0 holds {1, 3, 5, 11} (mean 5, variance 14), group 1
  // holds {2, 2, 4, 4} (mean 3, variance 1). gamma {1, 2, 1, 1}, beta {0, 0, 0, 10}.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 3, 2, 2, 5, 11, 4, 4}, {1, 2, 4});
  const Tensor gamma = Tensor::from_vector(std::vector<double>{1, 2, 1, 1}, {4});
  const Tensor beta = Tensor::from_vector(std::vector<double>{0, 0, 0, 10}, {4});
  const double s = std::sqrt(14.0);
  const auto y = group_norm(x, gamma, beta, 2, -1, 0.0).to_vector<double>();
  CHECK_THAT(y, Catch::Matchers::Approx(std::vector<double>{-4 / s, 2 * -2 / s, -1, 10 - 1, 0, 2 * 6 / s, 1, 11})
                    .margin(1e-12));
}

TEST_CASE("group_norm by hand: a small spread far from zero keeps its precision", "[group_norm]") {
  // Each group holds 1e8 + {1.5, -1.5, 0.5, -0.5} repeated: mean 1e8, variance 1.25, so
  // y = {1.5, -1.5, 0.5, -0.5} / sqrt(1.25). x^2 takes 56 bits, so summing x and x^2 directly would
  // round away more than the variance itself: the statistics must be taken about a value near the
  // group's own.
  const std::vector<double> pattern = {1.5, -1.5, 0.5, -0.5};
  for (const std::int64_t axis : {-1, 1}) {
    // Two samples, 4 channels in 2 groups, 8 positions: the pattern runs over each group's values
    // in memory order (channels_last: pixel by pixel; channels_first: channel by channel).
    const Shape shape = axis == -1 ? Shape{2, 8, 4} : Shape{2, 4, 8};
    std::vector<double> x(static_cast<std::size_t>(shape.numel())), expected(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t slot = axis == -1 ? (i / 4) * 2 + i % 2 : i % 16;  // its place within its group
      const double d = pattern[slot % pattern.size()];
      x[i] = 1e8 + d;
      expected[i] = d / std::sqrt(1.25);
    }
    INFO("axis " << axis);
    const Tensor y = group_norm(Tensor::from_vector(x, shape), Tensor(), Tensor(), 2, axis, 0.0);
    CHECK_THAT(y.to_vector<double>(), Catch::Matchers::Approx(expected).margin(1e-9));
  }
}

TEST_CASE("group_norm gradients pass float64 gradcheck", "[group_norm][gradcheck]") {
  struct Case {
    Shape shape;
    std::int64_t groups, axis;
    bool gamma, beta;
  };
  const std::vector<Case> cases = {{{2, 3, 2, 4}, 2, -1, true, true},  {{2, 6, 2, 2}, 3, 1, true, true},
                                   {{3, 3, 4}, 4, -1, true, false},    {{2, 2, 4, 3}, 1, 2, false, true},
                                   {{2, 1, 1, 6}, 3, -1, false, false}, {{1, 4, 5}, 2, 1, true, true}};
  std::uint64_t seed = 40;
  for (const auto& c : cases) {
    const std::int64_t channels = c.shape[c.axis < 0 ? c.axis + c.shape.ndim() : c.axis];
    std::vector<Tensor> leaves;  // x, then gamma and beta where the case has them
    leaves.push_back(test::random_leaf(c.shape, ++seed, -1.0, 2.0));
    if (c.gamma) leaves.push_back(test::random_leaf({channels}, ++seed, 0.5, 1.5));
    if (c.beta) leaves.push_back(test::random_leaf({channels}, ++seed, -1.0, 1.0));
    REQUIRE_GRADCHECK(fmt::format("group_norm {} groups {} axis {}", c.shape, c.groups, c.axis),
                      [&](const std::vector<Tensor>& in) {
                        std::size_t k = 1;
                        const Tensor g = c.gamma ? in[k++] : Tensor();
                        const Tensor b = c.beta ? in[k++] : Tensor();
                        return group_norm(in[0], g, b, c.groups, c.axis, 1e-3);
                      },
                      leaves);
  }
}

TEST_CASE("group_norm rejects bad arguments, naming them", "[group_norm][errors]") {
  const Tensor x = Tensor::zeros({2, 3, 3, 4});
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor(), 3), std::invalid_argument, "groups=3", "4 channels");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor(), 0), std::invalid_argument, "groups=0");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor(), 1, 0), std::invalid_argument, "batch axis", "axis 0");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor(), 1, 4), std::out_of_range, "axis=4", "-4 to 3");
  REQUIRE_THROWS_WITH_ALL(group_norm(Tensor::zeros({4}), Tensor(), Tensor(), 1), std::invalid_argument,
                          "batch axis and a channel axis", "(4,)");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor::ones({3}), Tensor(), 2), std::invalid_argument, "gamma", "(4,)",
                          "(3,)");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor::ones({4}, DType::Float64), 2), std::invalid_argument, "beta",
                          "float64");
  REQUIRE_THROWS_WITH_ALL(group_norm(x, Tensor(), Tensor(), 2, -1, -1.0), std::invalid_argument, "epsilon=-1");
}
