#include "minidl/optim/losses.h"

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/losses.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/core/error.h"
#include "minidl/core/json_number.h"

namespace minidl::optim {

namespace {

void check_reduction(const std::string& reduction, std::string_view who) {
  for (const char* allowed : {"sum_over_batch_size", "mean", "mean_with_sample_weight", "sum", "none"})
    if (reduction == allowed) return;
  throw_invalid_argument(
      "{}: invalid value for argument `reduction`. Expected one of 'sum_over_batch_size', 'mean', "
      "'mean_with_sample_weight', 'sum', 'none'. Received: reduction='{}'",
      who, reduction);
}

std::string or_default(const std::string& name, const char* fallback) { return name.empty() ? fallback : name; }

// Keras's squeeze_or_expand_to_same_rank, applied to the weights only: values keep their shape.
Tensor align_weights(const Tensor& values, const Tensor& weights) {
  Tensor w = weights.dtype() == values.dtype() ? weights : weights.to(values.dtype());
  if (w.ndim() == values.ndim() + 1 && w.shape()[-1] == 1) w = w.squeeze(-1);
  else if (w.ndim() + 1 == values.ndim()) w = w.unsqueeze(-1);
  return w;
}

// y_pred's mask AND the loss's own, which must broadcast against each other (Keras's `&`).
Tensor combine_masks(const Tensor& a, const Tensor& b, const Tensor& values) {
  try {
    return a * b;
  } catch (const std::invalid_argument& e) {
    throw_invalid_argument("Loss: the mask on y_pred of shape {} does not match the per-sample losses of shape {} ({})",
                           a.shape(), values.shape(), e.what());
  }
}

}  // namespace

Tensor apply_mask(const Tensor& sample_weight, const Tensor& mask) {
  if (!mask.defined()) return sample_weight;
  return sample_weight.defined() ? align_weights(mask, sample_weight) * mask : mask;
}

Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight, const std::string& reduction) {
  check_reduction(reduction, "reduce_weighted_values");
  Tensor v = values;
  Tensor w;
  if (sample_weight.defined()) {
    w = align_weights(values, sample_weight);
    try {
      v = v * w;
    } catch (const std::invalid_argument& e) {
      throw_invalid_argument("Loss: sample_weight of shape {} cannot be broadcast to the per-sample losses of shape {} "
                             "({})",
                             sample_weight.shape(), values.shape(), e.what());
    }
  }
  if (reduction == "none" || v.ndim() == 0) return v;
  Tensor total = sum(v);
  if (reduction == "sum") return total;
  double divisor = static_cast<double>(v.numel());
  if (reduction == "mean_with_sample_weight" && w.defined()) divisor = sum(w).item();
  // Keras's divide_no_nan: an empty batch (or all-zero weights) gives 0, not NaN.
  if (divisor == 0.0) return total * 0.0;
  return total / divisor;
}

Loss::Loss(std::string class_name, std::string name, std::string reduction, nlohmann::json config, LossFunction fn)
    : class_name_(std::move(class_name)),
      name_(std::move(name)),
      reduction_(std::move(reduction)),
      config_(std::move(config)),
      fn_(std::move(fn)) {
  check_reduction(reduction_, class_name_);
}

Loss::Loss(std::string_view identifier) : Loss(get_loss(identifier)) { identifier_ = std::string(identifier); }

Tensor Loss::call(const Tensor& y_true, const Tensor& y_pred) const {
  if (!fn_) throw_invalid_argument("Loss: this loss is empty (default-constructed); give it an identifier or a function");
  return fn_(y_true, y_pred);
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                        const Tensor& y_pred_mask) const {
  const Tensor values = call(y_true, y_pred);
  // Keras's Loss.__call__: the mask on y_pred and the loss's own (ignore_class) are combined by AND.
  Tensor mask = y_pred_mask.defined() ? y_pred_mask.detach().to(values.dtype()) : Tensor();
  if (mask.defined()) {
    mask = not_equal(mask, Tensor::zeros(mask.shape(), mask.dtype()));
    try {
      broadcast_shapes(values.shape(), align_weights(values, mask).shape(), "Loss");
    } catch (const std::invalid_argument&) {
      throw_invalid_argument("Loss '{}': the mask on y_pred of shape {} does not match the per-sample losses of shape {}",
                             name_, mask.shape(), values.shape());
    }
  }
  if (mask_) {
    const Tensor own = mask_(y_true, y_pred);
    mask = mask.defined() ? combine_masks(mask, own, values) : own;
  }
  if (!mask.defined()) return reduce_weighted_values(values, sample_weight, reduction_);
  // Keras's apply_mask: masked entries weigh 0 and, for the mean reductions, valid ones total/valid,
  // so that the mean runs over the valid entries only (divide_no_nan when none is valid).
  if (reduction_ == "sum_over_batch_size" || reduction_ == "mean") {
    const double valid = sum(mask).item();
    mask = valid == 0.0 ? mask * 0.0 : mask * (static_cast<double>(mask.numel()) / valid);
  }
  return reduce_weighted_values(values, apply_mask(sample_weight, mask), reduction_);
}

nlohmann::json Loss::get_config() const {
  nlohmann::json c = {{"name", name_}, {"reduction", reduction_}};
  for (auto& [k, v] : config_.items()) c[k] = v;
  return c;
}

nlohmann::json Loss::serialize() const {
  return {{"module", "keras.losses"}, {"class_name", class_name_}, {"config", get_config()}, {"registered_name", nullptr}};
}

Loss Loss::from_config(const nlohmann::json& j) {
  if (j.is_string()) return Loss(j.get<std::string>());
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    throw_invalid_argument("Loss.from_config: expected a loss identifier or {{\"class_name\", \"config\"}}, received {}",
                           j.dump());
  const std::string cls = j["class_name"].get<std::string>();
  const nlohmann::json c = j.value("config", nlohmann::json::object());
  const std::string reduction = c.value("reduction", std::string("sum_over_batch_size"));
  const std::string name = c.value("name", std::string());
  if (cls == "MeanSquaredError") return MeanSquaredError({.reduction = reduction, .name = name});
  if (cls == "MeanAbsoluteError") return MeanAbsoluteError({.reduction = reduction, .name = name});
  if (cls == "BinaryCrossentropy")
    return BinaryCrossentropy({.from_logits = c.value("from_logits", false),
                               .label_smoothing = c.value("label_smoothing", 0.0),
                               .axis = json_int_or(c, "axis", -1),
                               .reduction = reduction,
                               .name = name});
  if (cls == "CategoricalCrossentropy")
    return CategoricalCrossentropy({.from_logits = c.value("from_logits", false),
                                    .label_smoothing = c.value("label_smoothing", 0.0),
                                    .axis = json_int_or(c, "axis", -1),
                                    .reduction = reduction,
                                    .name = name});
  if (cls == "SparseCategoricalCrossentropy") {
    std::optional<std::int64_t> ignore;
    if (c.contains("ignore_class") && !c["ignore_class"].is_null()) ignore = json_int(c["ignore_class"], "ignore_class");
    return SparseCategoricalCrossentropy(
        {.from_logits = c.value("from_logits", false), .ignore_class = ignore, .reduction = reduction, .name = name});
  }
  if (cls == "Custom")
    throw_invalid_argument("Loss.from_config: '{}' is a custom loss function, which cannot be rebuilt from its config; "
                           "compile the model again with the function",
                           name);
  throw_invalid_argument("Loss.from_config: unknown loss class '{}'", cls);
}

MeanSquaredError::MeanSquaredError(const LossOptions& o)
    : Loss("MeanSquaredError", or_default(o.name, "mean_squared_error"), o.reduction, nlohmann::json::object(),
           [](const Tensor& t, const Tensor& p) { return losses::mean_squared_error(t, p); }) {}

MeanAbsoluteError::MeanAbsoluteError(const LossOptions& o)
    : Loss("MeanAbsoluteError", or_default(o.name, "mean_absolute_error"), o.reduction, nlohmann::json::object(),
           [](const Tensor& t, const Tensor& p) { return losses::mean_absolute_error(t, p); }) {}

BinaryCrossentropy::BinaryCrossentropy(const BinaryCrossentropyOptions& o)
    : Loss("BinaryCrossentropy", or_default(o.name, "binary_crossentropy"), o.reduction,
           {{"from_logits", o.from_logits}, {"label_smoothing", o.label_smoothing}, {"axis", o.axis}},
           [o](const Tensor& t, const Tensor& p) {
             return losses::binary_crossentropy(t, p, o.from_logits, o.label_smoothing, o.axis);
           }) {}

CategoricalCrossentropy::CategoricalCrossentropy(const CategoricalCrossentropyOptions& o)
    : Loss("CategoricalCrossentropy", or_default(o.name, "categorical_crossentropy"), o.reduction,
           {{"from_logits", o.from_logits}, {"label_smoothing", o.label_smoothing}, {"axis", o.axis}},
           [o](const Tensor& t, const Tensor& p) {
             return losses::categorical_crossentropy(t, p, o.from_logits, o.label_smoothing, o.axis);
           }) {}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(const SparseCategoricalCrossentropyOptions& o)
    : Loss("SparseCategoricalCrossentropy", or_default(o.name, "sparse_categorical_crossentropy"), o.reduction,
           {{"from_logits", o.from_logits},
            {"ignore_class", o.ignore_class ? nlohmann::json(*o.ignore_class) : nlohmann::json(nullptr)}},
           [o](const Tensor& t, const Tensor& p) {
             return losses::sparse_categorical_crossentropy(t, p, o.from_logits, o.ignore_class);
           }) {
  if (!o.ignore_class) return;
  // y_true holds one id per per-sample loss (a trailing size-1 axis aside): valid where it is not ignore_class.
  set_mask([ignore = static_cast<double>(*o.ignore_class)](const Tensor& t, const Tensor& p) {
    NoGradGuard no_grad;
    const Tensor ids = t.dtype() == p.dtype() ? t.detach() : t.detach().to(p.dtype());
    Shape per_sample(p.shape().begin(), p.shape().end() - 1);
    return not_equal(ids, Tensor::scalar(ignore, p.dtype())).reshape(per_sample);
  });
}

std::string canonical_loss_name(std::string_view id) {
  if (id == "mse" || id == "MSE" || id == "mean_squared_error" || id == "MeanSquaredError") return "mean_squared_error";
  if (id == "mae" || id == "MAE" || id == "mean_absolute_error" || id == "MeanAbsoluteError")
    return "mean_absolute_error";
  if (id == "bce" || id == "BCE" || id == "binary_crossentropy" || id == "BinaryCrossentropy")
    return "binary_crossentropy";
  if (id == "categorical_crossentropy" || id == "CategoricalCrossentropy") return "categorical_crossentropy";
  if (id == "sparse_categorical_crossentropy" || id == "SparseCategoricalCrossentropy")
    return "sparse_categorical_crossentropy";
  return "";
}

Loss get_loss(std::string_view identifier) {
  const std::string name = canonical_loss_name(identifier);
  if (name == "mean_squared_error") return MeanSquaredError();
  if (name == "mean_absolute_error") return MeanAbsoluteError();
  if (name == "binary_crossentropy") return BinaryCrossentropy();
  if (name == "categorical_crossentropy") return CategoricalCrossentropy();
  if (name == "sparse_categorical_crossentropy") return SparseCategoricalCrossentropy();
  throw_invalid_argument(
      "Could not interpret loss identifier: '{}'. Known: mse, mean_squared_error, mae, mean_absolute_error, bce, "
      "binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy and their class names",
      identifier);
}

}  // namespace minidl::optim
