#include "minidl/layers/dropout.h"

#include "minidl/autograd/ops/dropout.h"
#include "minidl/core/error.h"

namespace minidl::layers {

Dropout::Dropout(std::string class_name, const DropoutOptions& o)
    : Layer(std::move(class_name), common_options(o)), options_(o), generator_(o.seed) {
  set_supports_masking(true);  // as Keras: the mask passes through unchanged
  if (!(o.rate >= 0.0 && o.rate < 1.0))
    throw_invalid_argument("{}: invalid value received for argument `rate`: expected a value in [0, 1) (1 would "
                           "drop everything), received rate={}",
                           Layer::class_name(), o.rate);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || options_.rate == 0.0) return x;
  return generator_.draw([&](Generator& gen) { return dropout(x, options_.rate, gen, true, noise_shape_for(x.shape())); });
}

std::optional<Shape> Dropout::noise_shape_for(const Shape&) const { return options_.noise_shape; }

std::map<std::string, std::string> Dropout::rng_states() const { return generator_.states(path()); }

void Dropout::set_rng_states(const std::map<std::string, std::string>& states) { generator_.restore(states, path()); }

nlohmann::json Dropout::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["rate"] = options_.rate;
  c["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
  if (options_.noise_shape) {
    nlohmann::json ns = nlohmann::json::array();
    for (auto d : options_.noise_shape->dims()) ns.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
    c["noise_shape"] = ns;
  } else {
    c["noise_shape"] = nullptr;
  }
  return c;
}

}  // namespace minidl::layers
