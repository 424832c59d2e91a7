// gather: rows and scatter-add gradients against PyTorch's F.embedding
// (tests/reference/norm_embedding_reference.py), hand calculations, a float64 gradcheck with
// repeated indices, and the errors for indices outside [0, rows) or not integers.
#include <cmath>
#include <limits>

#include "support/fixtures.h"

using namespace minidl;

TEST_CASE("gather matches PyTorch's embedding lookup and its gradient", "[gather][reference]") {
  const auto fixture = test::load_fixture("norm_embedding_reference.json");
  REQUIRE(fixture.at("embedding").size() >= 3);
  for (const auto& c : fixture.at("embedding")) {
    Tensor params = test::tensor_from_json(c.at("embeddings")).set_requires_grad();
    const Tensor indices = test::tensor_from_json(c.at("indices"));
    INFO("params" << params.shape() << " indices" << indices.shape());
    Tensor y = gather(params, indices);
    REQUIRE(y.to_vector<double>() == test::tensor_from_json(c.at("y")).to_vector<double>());  // a copy: exact
    y.backward(test::tensor_from_json(c.at("w")));
    REQUIRE_CLOSE(params.grad(), test::tensor_from_json(c.at("grad_embeddings")), 1e-14, 1e-14);
  }
}

TEST_CASE("gather picks rows and adds the gradients of repeated rows", "[gather]") {
  Tensor params = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2}).set_requires_grad();
  Tensor indices = Tensor::from_vector(std::vector<double>{2, 0, 2, 2}, {2, 2}).set_requires_grad();
  Tensor y = gather(params, indices);
  REQUIRE(y.shape() == Shape{2, 2, 2});
  REQUIRE(y.to_vector<double>() == std::vector<double>{5, 6, 1, 2, 5, 6, 5, 6});
  // Seed g[k] = k + 1 per picked row: row 2 receives 1 + 3 + 4 = 8, row 0 receives 2, row 1 nothing.
  y.backward(Tensor::from_vector(std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4}, {2, 2, 2}));
  REQUIRE(params.grad().to_vector<double>() == std::vector<double>{2, 2, 0, 0, 8, 8});
  REQUIRE_FALSE(indices.grad().defined());  // no gradient to the indices
  // A scalar index gives one row; higher-rank params keep their trailing axes.
  REQUIRE(gather(params, Tensor::scalar(1.0, DType::Float64)).to_vector<double>() == std::vector<double>{3, 4});
  const Tensor cube = Tensor::arange(0, 12, 1, DType::Float64).reshape({3, 2, 2});
  const Tensor picked = gather(cube, Tensor::from_vector(std::vector<float>{1, 1}));
  REQUIRE(picked.shape() == Shape{2, 2, 2});
  REQUIRE(picked.to_vector<double>() == std::vector<double>{4, 5, 6, 7, 4, 5, 6, 7});
}

TEST_CASE("gather accumulates many repeated rows the same way on every thread split", "[gather]") {
  // 3000 picks of 4 rows, 96 columns: enough work for the threaded scatter-add. With a seed of
  // ones, each gradient row is the number of times it was picked.
  const std::int64_t picks = 3000, cols = 96;
  std::vector<float> idx(static_cast<std::size_t>(picks));
  std::vector<double> count(4, 0.0);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    idx[k] = static_cast<float>((k * 7 + k / 5) % 4);
    count[static_cast<std::size_t>(idx[k])] += 1.0;
  }
  Tensor params = Tensor::zeros({4, cols}).set_requires_grad();
  Tensor y = gather(params, Tensor::from_vector(idx));
  y.backward(Tensor::ones(y.shape()));
  const auto grad = params.grad().to_vector<double>();
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < static_cast<std::size_t>(cols); ++c) {
      INFO("row " << r << " column " << c);
      REQUIRE(grad[r * static_cast<std::size_t>(cols) + c] == count[r]);
    }
}

TEST_CASE("gather gradchecks for params with repeated indices", "[gather][gradcheck]") {
  const Tensor indices = Tensor::from_vector(std::vector<double>{0, 3, 3, 1, 0, 3}, {2, 3});
  for (const Shape& shape : {Shape{4, 3}, Shape{5, 2, 2}}) {
    Tensor params = test::random_leaf(shape, 17);
    auto f = [indices](const std::vector<Tensor>& in) { return gather(in[0], indices); };
    REQUIRE_GRADCHECK(fmt::format("gather params{}", shape), f, std::vector<Tensor>{params});
  }
}

TEST_CASE("gather rejects indices that are not integers in range", "[gather][errors]") {
  const Tensor params = Tensor::zeros({3, 2});
  auto idx = [](std::vector<double> v) { return Tensor::from_vector(v, {1, static_cast<std::int64_t>(v.size())}); };
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({0, 3})), std::out_of_range, "gather", "indices[0, 1] = 3", "[0, 3)",
                          "params.shape[0]=3");
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({-1})), std::out_of_range, "indices[0, 0] = -1", "[0, 3)");
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({1, 1.5})), std::invalid_argument, "indices[0, 1] = 1.5",
                          "not an integer", "[0, 3)");
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({std::numeric_limits<double>::quiet_NaN()})), std::invalid_argument,
                          "indices[0, 0] = nan", "[0, 3)");
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({std::numeric_limits<double>::infinity()})), std::invalid_argument,
                          "= inf", "[0, 3)");
  REQUIRE_THROWS_WITH_ALL(gather(Tensor::scalar(1.0), idx({0})), std::invalid_argument, "params", "at least one axis");
  // The caller's names, as the Embedding layer uses them.
  REQUIRE_THROWS_WITH_ALL(gather(params, idx({5}), {.op = "my_layer", .indices = "inputs", .limit = "input_dim"}),
                          std::out_of_range, "my_layer: inputs[0, 0] = 5", "input_dim=3");
}
