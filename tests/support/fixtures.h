#pragma once
// Test helpers: reference fixtures written by tests/reference/*.py, closeness checks that report
// the worst element, and a gradcheck assertion that prints the errors it measured.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include <minidl/minidl.h>

namespace minidl::test {

// Parses tests/fixtures/<name> (JSON).
nlohmann::json load_fixture(const std::string& name);
// [d0, d1, ...] -> Shape.
Shape shape_from_json(const nlohmann::json& j);
// {"shape": [...], "data": [...]} -> tensor of `dtype`.
Tensor tensor_from_json(const nlohmann::json& j, DType dtype = DType::Float64);
// A fixture's flat values (Keras's float32 outputs and gradients) as a float32 tensor of `shape`.
inline Tensor fixture_tensor(const nlohmann::json& values, const Shape& shape) {
  return Tensor::from_vector(values.get<std::vector<double>>(), shape).to(DType::Float32);
}

struct Closeness {
  bool ok = true;
  double max_abs = 0.0, max_rel = 0.0;
  std::string detail;
};
// |actual - expected| <= atol + rtol * |expected| everywhere, shapes equal.
Closeness compare(const Tensor& actual, const Tensor& expected, double rtol, double atol);

// Runs minidl::gradcheck and reports the measured errors through Catch (visible with -s).
GradcheckResult check_gradients(const std::string& label,
                                const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

// A float64 leaf with requires_grad, from values drawn with a fixed seed.
Tensor random_leaf(const Shape& shape, std::uint64_t seed, double low = -1.0, double high = 1.0);

// The deterministic values of tests/reference/torch_conv.py's pattern(): element i is
// ((i * 7919 + seed * 104729) % 1000) / 500 - 1, computed in double like Python does.
Tensor pattern(const Shape& shape, std::int64_t seed, DType dtype = DType::Float32);
// Whole numbers in [0, limit) from the same sequence: element i is k * limit / 1000 (integer
// division) with k = (i * 7919 + seed * 104729) % 1000, as keras_layers_extra.py's indices(). Float32.
Tensor pattern_indices(const Shape& shape, std::int64_t seed, std::int64_t limit);

}  // namespace minidl::test

#define REQUIRE_CLOSE(actual, expected, rtol, atol)                                   \
  do {                                                                                \
    const auto closeness_ = ::minidl::test::compare((actual), (expected), (rtol), (atol)); \
    INFO(closeness_.detail);                                                          \
    REQUIRE(closeness_.ok);                                                           \
  } while (0)

// The inputs (and optional GradcheckOptions) go last, so a braced list such as {x, w} may hold commas.
#define REQUIRE_GRADCHECK(label, f, ...)                                                    \
  do {                                                                                      \
    const auto gradcheck_ = ::minidl::test::check_gradients((label), (f), __VA_ARGS__);     \
    INFO((label) << ": " << gradcheck_.summary());                                          \
    REQUIRE(gradcheck_.passed);                                                             \
  } while (0)

#define REQUIRE_THROWS_WITH_ALL(expr, ExceptionType, ...)                                              \
  do {                                                                                                 \
    bool thrown_ = false;                                                                              \
    try {                                                                                              \
      (void)(expr);                                                                                    \
    } catch (const ExceptionType& e_) {                                                                \
      thrown_ = true;                                                                                  \
      const std::string message_ = e_.what();                                                          \
      INFO("message: " << message_);                                                                   \
      for (const char* needle_ : {__VA_ARGS__}) {                                                      \
        INFO("expected to contain: " << needle_);                                                      \
        CHECK(message_.find(needle_) != std::string::npos);                                            \
      }                                                                                                \
    }                                                                                                  \
    INFO(#expr " should throw " #ExceptionType);                                                       \
    REQUIRE(thrown_);                                                                                  \
  } while (0)
