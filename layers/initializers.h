#pragma once
// Keras's initializers, accepted three ways wherever a layer takes one: a Keras string identifier
// ("glorot_uniform"), a typed object with Keras's parameters (initializers::HeNormal{.seed = 3}),
// or any callable Tensor(const Shape&, DType).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "minidl/core/tensor.h"
#include "minidl/layers/keras_object.h"

namespace minidl::initializers {

// With a seed, every call draws the same values (Keras 3); without, draws from
// minidl::default_generator() (reproducible after minidl::manual_seed).
using Seed = std::optional<std::uint64_t>;

struct Zeros {};
struct Ones {};
struct Constant { double value = 0.0; };
struct RandomNormal { double mean = 0.0; double stddev = 0.05; Seed seed; };
struct RandomUniform { double minval = -0.05; double maxval = 0.05; Seed seed; };
struct TruncatedNormal { double mean = 0.0; double stddev = 0.05; Seed seed; };  // re-drawn outside 2 stddev
// Keras 3.15's input_axes / output_axes: when both are set, fan_in and fan_out are the products of
// those axes' extents (negative axes count from the end) instead of the conv-kernel rule below.
// Written to get_config only when set.
using Axes = std::optional<std::vector<std::int64_t>>;
// mode: fan_in | fan_out | fan_avg; distribution: truncated_normal (alias normal) |
// untruncated_normal | uniform.
struct VarianceScaling {
  double scale = 1.0;
  std::string mode = "fan_in";
  std::string distribution = "truncated_normal";
  Seed seed;
  Axes input_axes{}, output_axes{};
};
struct GlorotNormal { Seed seed; Axes input_axes{}, output_axes{}; };
struct GlorotUniform { Seed seed; Axes input_axes{}, output_axes{}; };
struct HeNormal { Seed seed; Axes input_axes{}, output_axes{}; };
struct HeUniform { Seed seed; Axes input_axes{}, output_axes{}; };
struct LecunNormal { Seed seed; Axes input_axes{}, output_axes{}; };
struct LecunUniform { Seed seed; Axes input_axes{}, output_axes{}; };
struct Orthogonal { double gain = 1.0; Seed seed; };
struct Identity { double gain = 1.0; };  // 2-D shapes only, as Keras

using Function = Tensor(const Shape&, DType);

struct Spec {  // what every typed initializer turns into
  std::string class_name;
  nlohmann::json config;
  std::function<Function> fn;
};
Spec describe(const Zeros&);
Spec describe(const Ones&);
Spec describe(const Constant&);
Spec describe(const RandomNormal&);
Spec describe(const RandomUniform&);
Spec describe(const TruncatedNormal&);
Spec describe(const VarianceScaling&);
Spec describe(const GlorotNormal&);
Spec describe(const GlorotUniform&);
Spec describe(const HeNormal&);
Spec describe(const HeUniform&);
Spec describe(const LecunNormal&);
Spec describe(const LecunUniform&);
Spec describe(const Orthogonal&);
Spec describe(const Identity&);

class Initializer : public KerasObject<Function> {
 public:
  Initializer() = default;
  Initializer(std::string_view identifier);  // Keras names: class names, snake_case, "normal", "uniform", "zero", "one"
  Initializer(const char* identifier) : Initializer(std::string_view(identifier)) {}
  Initializer(const std::string& identifier) : Initializer(std::string_view(identifier)) {}
  template <class S>
    requires requires(const S& s) { { describe(s) } -> std::same_as<Spec>; }
  Initializer(const S& spec) : Initializer(describe(spec)) {}
  template <class F>
    requires(std::is_invocable_r_v<Tensor, const F&, const Shape&, DType> &&
             !requires(const F& f) { describe(f); } && !std::is_convertible_v<F, std::string_view>)
  Initializer(F fn) : KerasObject("custom", "Custom", nlohmann::json::object(), std::move(fn)) {}
  explicit Initializer(Spec spec);

  // Rebuilds from Keras's serialized form ({"class_name", "config"}) or a plain string.
  static Initializer from_config(const nlohmann::json& j);
};

// Keras's fan computation: rank 0 -> (1, 1); rank 1 -> (n, n); rank 2 -> (rows, cols);
// rank >= 3 -> receptive field rf = prod(shape[:-2]), fan_in = shape[-2] * rf, fan_out = shape[-1] * rf.
// (For a Conv2DTranspose kernel (kh, kw, filters, in) that makes fan_in = kh*kw*filters.)
// With input_axes and output_axes both set: the products of those extents (Keras 3.15).
std::pair<double, double> compute_fans(const Shape& shape, const Axes& input_axes = {}, const Axes& output_axes = {});

}  // namespace minidl::initializers
