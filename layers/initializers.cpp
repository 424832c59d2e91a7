#include "minidl/layers/initializers.h"
#include "minidl/layers/weights_from_file.h"

#include <cmath>
#include <map>

#include "minidl/core/error.h"
#include "minidl/core/json_number.h"
#include "minidl/core/linalg.h"

namespace minidl::initializers {

namespace {

nlohmann::json seed_json(const Seed& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); }

// Seeded initializers restart their generator on every call, so they repeat their values.
template <class Draw>
std::function<Function> seeded(Seed seed, Draw draw) {
  return [seed, draw](const Shape& shape, DType dtype) {
    if (seed) {
      Generator gen(*seed);
      return draw(shape, dtype, gen);
    }
    return draw(shape, dtype, default_generator());
  };
}

// Keras writes input_axes / output_axes; minidl only when they are set (older Keras lacks them).
void write_axes(nlohmann::json& config, const Axes& input_axes, const Axes& output_axes) {
  if (input_axes) config["input_axes"] = *input_axes;
  if (output_axes) config["output_axes"] = *output_axes;
}

template <class Named>
Spec variance_scaling(const char* class_name, double scale, const char* mode, const char* distribution, const Named& i) {
  Spec s = describe(VarianceScaling{scale, mode, distribution, i.seed, i.input_axes, i.output_axes});
  s.class_name = class_name;
  s.config = {{"seed", seed_json(i.seed)}};
  write_axes(s.config, i.input_axes, i.output_axes);
  return s;
}

Axes read_axes(const nlohmann::json& c, const char* key) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  std::vector<std::int64_t> axes;
  if (!c[key].is_array()) return std::vector<std::int64_t>{json_int(c[key], key)};
  for (const auto& a : c[key]) axes.push_back(json_int(a, key));
  return axes;
}

}  // namespace

std::pair<double, double> compute_fans(const Shape& shape, const Axes& input_axes, const Axes& output_axes) {
  const auto& d = shape.dims();
  if (input_axes && output_axes) {
    auto product = [&](const std::vector<std::int64_t>& axes, const char* which) {
      double p = 1.0;
      for (auto a : axes) {
        const auto n = static_cast<std::int64_t>(d.size());
        if (a < -n || a >= n)
          throw_invalid_argument("compute_fans: {} has axis {}, out of range for a weight of shape {}", which, a, shape);
        p *= static_cast<double>(d[static_cast<std::size_t>(a < 0 ? a + n : a)]);
      }
      return p;
    };
    return {product(*input_axes, "input_axes"), product(*output_axes, "output_axes")};
  }
  if (d.empty()) return {1.0, 1.0};
  if (d.size() == 1) return {static_cast<double>(d[0]), static_cast<double>(d[0])};
  if (d.size() == 2) return {static_cast<double>(d[0]), static_cast<double>(d[1])};
  double receptive = 1.0;
  for (std::size_t i = 0; i + 2 < d.size(); ++i) receptive *= static_cast<double>(d[i]);
  return {static_cast<double>(d[d.size() - 2]) * receptive, static_cast<double>(d.back()) * receptive};
}

Spec describe(const Zeros&) {
  return {"Zeros", nlohmann::json::object(), [](const Shape& s, DType t) { return Tensor::zeros(s, t); }};
}
Spec describe(const Ones&) {
  return {"Ones", nlohmann::json::object(), [](const Shape& s, DType t) { return Tensor::ones(s, t); }};
}
Spec describe(const Constant& c) {
  return {"Constant", {{"value", c.value}}, [v = c.value](const Shape& s, DType t) { return Tensor::full(s, v, t); }};
}
Spec describe(const RandomNormal& r) {
  if (!(r.stddev >= 0)) throw_invalid_argument("RandomNormal: stddev must be >= 0, received stddev={}", r.stddev);
  return {"RandomNormal", {{"mean", r.mean}, {"stddev", r.stddev}, {"seed", seed_json(r.seed)}},
          seeded(r.seed, [r](const Shape& s, DType t, Generator& g) { return Tensor::randn(s, g, t, r.mean, r.stddev); })};
}
Spec describe(const RandomUniform& r) {
  if (!(r.minval < r.maxval))
    throw_invalid_argument("RandomUniform: minval must be < maxval, received minval={}, maxval={}", r.minval, r.maxval);
  return {"RandomUniform", {{"minval", r.minval}, {"maxval", r.maxval}, {"seed", seed_json(r.seed)}},
          seeded(r.seed, [r](const Shape& s, DType t, Generator& g) { return Tensor::rand(s, g, t, r.minval, r.maxval); })};
}
Spec describe(const TruncatedNormal& r) {
  if (!(r.stddev >= 0)) throw_invalid_argument("TruncatedNormal: stddev must be >= 0, received stddev={}", r.stddev);
  return {"TruncatedNormal", {{"mean", r.mean}, {"stddev", r.stddev}, {"seed", seed_json(r.seed)}},
          seeded(r.seed, [r](const Shape& s, DType t, Generator& g) {
            return Tensor::truncated_normal(s, g, t, r.mean, r.stddev);
          })};
}

Spec describe(const VarianceScaling& v) {
  if (!(v.scale > 0.0)) throw_invalid_argument("VarianceScaling: scale must be > 0, received scale={}", v.scale);
  if (v.mode != "fan_in" && v.mode != "fan_out" && v.mode != "fan_avg")
    throw_invalid_argument("VarianceScaling: mode must be one of fan_in, fan_out, fan_avg, received mode='{}'", v.mode);
  std::string dist = v.distribution;
  for (auto& ch : dist) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (dist == "normal") dist = "truncated_normal";
  if (dist != "truncated_normal" && dist != "untruncated_normal" && dist != "uniform")
    throw_invalid_argument(
        "VarianceScaling: distribution must be one of truncated_normal, untruncated_normal, uniform (or normal), "
        "received distribution='{}'",
        v.distribution);
  nlohmann::json config = {{"scale", v.scale}, {"mode", v.mode}, {"distribution", dist}, {"seed", seed_json(v.seed)}};
  write_axes(config, v.input_axes, v.output_axes);
  return {"VarianceScaling", config, seeded(v.seed, [v, dist](const Shape& s, DType t, Generator& g) {
            const auto [fan_in, fan_out] = compute_fans(s, v.input_axes, v.output_axes);
            double n = v.mode == "fan_in" ? fan_in : v.mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2.0;
            const double variance = v.scale / std::max(1.0, n);
            if (dist == "uniform") {
              const double limit = std::sqrt(3.0 * variance);
              return Tensor::rand(s, g, t, -limit, limit);
            }
            if (dist == "untruncated_normal") return Tensor::randn(s, g, t, 0.0, std::sqrt(variance));
            // 0.8796... is the stddev of a standard normal truncated to [-2, 2]: the result has the
            // requested variance after truncation.
            return Tensor::truncated_normal(s, g, t, 0.0, std::sqrt(variance) / 0.87962566103423978);
          })};
}

Spec describe(const GlorotNormal& i) { return variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal", i); }
Spec describe(const GlorotUniform& i) { return variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform", i); }
Spec describe(const HeNormal& i) { return variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal", i); }
Spec describe(const HeUniform& i) { return variance_scaling("HeUniform", 2.0, "fan_in", "uniform", i); }
Spec describe(const LecunNormal& i) { return variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal", i); }
Spec describe(const LecunUniform& i) { return variance_scaling("LecunUniform", 1.0, "fan_in", "uniform", i); }

Spec describe(const Orthogonal& o) {
  return {"Orthogonal", {{"gain", o.gain}, {"seed", seed_json(o.seed)}},
          seeded(o.seed, [gain = o.gain](const Shape& s, DType t, Generator& g) {
            if (s.ndim() < 2)
              throw_invalid_argument("Orthogonal initializer needs a shape of rank >= 2, received {}", s);
            const std::int64_t cols = s.dims().back();
            const std::int64_t rows = s.numel() / std::max<std::int64_t>(cols, 1);
            const std::int64_t big = std::max(rows, cols), small = std::min(rows, cols);
            std::vector<double> a = Tensor::randn({big, small}, g, DType::Float64).to_vector<double>();
            std::vector<double> q, r;
            linalg::qr(a, big, small, q, r);
            // Sign-fix the columns with diag(R) so the distribution is uniform over orthogonal matrices.
            for (std::int64_t i = 0; i < big; ++i)
              for (std::int64_t j = 0; j < small; ++j)
                q[static_cast<std::size_t>(i * small + j)] *= (r[static_cast<std::size_t>(j)] < 0 ? -gain : gain);
            Tensor qt = Tensor::from_vector(q, {big, small});
            if (rows < cols) qt = qt.transpose(0, 1);
            return qt.reshape(s).to(t).detach();
          })};
}

Spec describe(const Identity& i) {
  return {"Identity", {{"gain", i.gain}}, [gain = i.gain](const Shape& s, DType t) {
            if (s.ndim() != 2)
              throw_invalid_argument(
                  "Identity initializer can only be used for 2D matrices, received shape {}; use Orthogonal for "
                  "convolution kernels",
                  s);
            Tensor out = Tensor::zeros(s, t);
            for (std::int64_t k = 0; k < std::min(s[0], s[1]); ++k)
              dispatch(t, [&](auto tag) { out.data<decltype(tag)>()[k * s[1] + k] = static_cast<decltype(tag)>(gain); });
            return out;
          }};
}

Initializer::Initializer(Spec spec)
    : KerasObject("keras.initializers", std::move(spec.class_name), std::move(spec.config), std::move(spec.fn)) {}

namespace {
const std::map<std::string, std::function<Spec()>, std::less<>>& registry() {
  static const std::map<std::string, std::function<Spec()>, std::less<>> r = [] {
    std::map<std::string, std::function<Spec()>, std::less<>> m;
    auto add = [&m](std::initializer_list<const char*> names, std::function<Spec()> f) {
      for (const char* n : names) m[n] = f;
    };
    add({"Zeros", "zeros", "zero"}, [] { return describe(Zeros{}); });
    add({"Ones", "ones", "one"}, [] { return describe(Ones{}); });
    add({"Constant", "constant"}, [] { return describe(Constant{}); });
    add({"RandomNormal", "random_normal", "normal"}, [] { return describe(RandomNormal{}); });
    add({"RandomUniform", "random_uniform", "uniform"}, [] { return describe(RandomUniform{}); });
    add({"TruncatedNormal", "truncated_normal"}, [] { return describe(TruncatedNormal{}); });
    add({"VarianceScaling", "variance_scaling"}, [] { return describe(VarianceScaling{}); });
    add({"GlorotNormal", "glorot_normal"}, [] { return describe(GlorotNormal{}); });
    add({"GlorotUniform", "glorot_uniform"}, [] { return describe(GlorotUniform{}); });
    add({"HeNormal", "he_normal"}, [] { return describe(HeNormal{}); });
    add({"HeUniform", "he_uniform"}, [] { return describe(HeUniform{}); });
    add({"LecunNormal", "lecun_normal"}, [] { return describe(LecunNormal{}); });
    add({"LecunUniform", "lecun_uniform"}, [] { return describe(LecunUniform{}); });
    add({"Orthogonal", "orthogonal"}, [] { return describe(Orthogonal{}); });
    add({"Identity", "identity"}, [] { return describe(Identity{}); });
    return m;
  }();
  return r;
}

std::string known_names() {
  std::string s;
  for (const auto& [k, v] : registry()) s += (s.empty() ? "" : ", ") + k;
  return s;
}
}  // namespace

Initializer::Initializer(std::string_view identifier) {
  auto it = registry().find(identifier);
  if (it == registry().end())
    throw_invalid_argument("Could not interpret initializer identifier: '{}'. Known initializers: {}", identifier,
                           known_names());
  *this = Initializer(it->second());
}

namespace {
thread_local int weights_from_file_depth = 0;
}  // namespace

WeightsFromFileScope::WeightsFromFileScope() { ++weights_from_file_depth; }
WeightsFromFileScope::~WeightsFromFileScope() { --weights_from_file_depth; }
bool WeightsFromFileScope::active() { return weights_from_file_depth > 0; }

Initializer Initializer::from_config(const nlohmann::json& j) {
  if (j.is_null()) return Initializer();
  if (j.is_string()) return Initializer(j.get<std::string>());
  const std::string name = j.at("class_name").get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  auto seed = [&c]() -> Seed {
    if (c.contains("seed") && !c["seed"].is_null()) return json_uint(c["seed"], "seed");
    return std::nullopt;
  };
  if (name == "Constant") return Constant{c.value("value", 0.0)};
  if (name == "RandomNormal") return RandomNormal{c.value("mean", 0.0), c.value("stddev", 0.05), seed()};
  if (name == "RandomUniform") return RandomUniform{c.value("minval", -0.05), c.value("maxval", 0.05), seed()};
  if (name == "TruncatedNormal") return TruncatedNormal{c.value("mean", 0.0), c.value("stddev", 0.05), seed()};
  if (name == "VarianceScaling")
    return VarianceScaling{c.value("scale", 1.0), c.value("mode", std::string("fan_in")),
                           c.value("distribution", std::string("truncated_normal")), seed(), read_axes(c, "input_axes"),
                           read_axes(c, "output_axes")};
  const Axes in = read_axes(c, "input_axes"), out = read_axes(c, "output_axes");
  if (name == "GlorotNormal") return GlorotNormal{seed(), in, out};
  if (name == "GlorotUniform") return GlorotUniform{seed(), in, out};
  if (name == "HeNormal") return HeNormal{seed(), in, out};
  if (name == "HeUniform") return HeUniform{seed(), in, out};
  if (name == "LecunNormal") return LecunNormal{seed(), in, out};
  if (name == "LecunUniform") return LecunUniform{seed(), in, out};
  if (name == "Orthogonal") return Orthogonal{c.value("gain", 1.0), seed()};
  if (name == "Identity") return Identity{c.value("gain", 1.0)};
  if (name == "Custom")
    return Initializer([](const Shape& shape, DType dtype) {
      if (!WeightsFromFileScope::active())
        throw_invalid_argument(
            "initializer: this layer was rebuilt from a config, which cannot hold its custom initializer callable, "
            "so it cannot create fresh weights of shape {}; build the layer in code with the callable, or load the "
            "whole model with optim::load_model, which takes the weights from the file",
            shape);
      return Tensor::zeros(shape, dtype);  // overwritten from the file by load_model
    });
  return Initializer(std::string_view(name));
}

}  // namespace minidl::initializers
