#include "support/fixtures.h"

#include <cmath>
#include <fstream>

namespace minidl::test {

nlohmann::json load_fixture(const std::string& name) {
  const std::string path = std::string(MINIDL_FIXTURE_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing fixture " + path + " (regenerate with tests/reference/)");
  return nlohmann::json::parse(in);
}

Shape shape_from_json(const nlohmann::json& j) {
  const auto v = j.get<std::vector<std::int64_t>>();
  return Shape(v.begin(), v.end());
}

Tensor tensor_from_json(const nlohmann::json& j, DType dtype) {
  std::vector<double> data = j.at("data").get<std::vector<double>>();
  return Tensor::from_vector(data, shape_from_json(j.at("shape"))).to(dtype).detach();
}

Closeness compare(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  Closeness c;
  if (actual.shape() != expected.shape()) {
    c.ok = false;
    c.detail = fmt::format("shape {} differs from expected {}", actual.shape(), expected.shape());
    return c;
  }
  const auto a = actual.to_vector<double>();
  const auto e = expected.to_vector<double>();
  double worst = -1.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - e[i]);
    const bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
    const bool same_inf = std::isinf(a[i]) && a[i] == e[i];
    if (both_nan || same_inf) continue;
    c.max_abs = std::max(c.max_abs, err);
    if (std::abs(e[i]) > atol) c.max_rel = std::max(c.max_rel, err / std::abs(e[i]));
    const double ratio = err / (atol + rtol * std::abs(e[i]));
    if (!(ratio <= 1.0)) c.ok = false;
    if (ratio > worst || std::isnan(ratio)) {
      worst = std::isnan(ratio) ? INFINITY : ratio;
      c.detail = fmt::format("worst element {}: actual {:.9g}, expected {:.9g}", i, a[i], e[i]);
    }
  }
  c.detail = fmt::format("{} elements, max abs err {:.3e}, max rel err {:.3e}; {}", a.size(), c.max_abs, c.max_rel,
                         c.detail);
  return c;
}

GradcheckResult check_gradients(const std::string& label, const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  GradcheckResult r = gradcheck(f, inputs, options);
  UNSCOPED_INFO(label << ": " << r.summary());
  return r;
}

Tensor random_leaf(const Shape& shape, std::uint64_t seed, double low, double high) {
  Generator gen(seed);
  Tensor t = Tensor::rand(shape, gen, DType::Float64, low, high);
  t.set_requires_grad(true);
  return t;
}

Tensor pattern(const Shape& shape, std::int64_t seed, DType dtype) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>((static_cast<std::int64_t>(i) * 7919 + seed * 104729) % 1000) / 500.0 - 1.0;
  return Tensor::from_vector(v, shape).to(dtype);
}

Tensor pattern_indices(const Shape& shape, std::int64_t seed, std::int64_t limit) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>((static_cast<std::int64_t>(i) * 7919 + seed * 104729) % 1000 * limit / 1000);
  return Tensor::from_vector(v, shape).to(DType::Float32);
}

}  // namespace minidl::test
