// The bad-input catalogue (issue 7): user mistakes across the whole public API, one table per area.
// Each row says what the user did wrong, does it, and names the exact exception type and the
// message fragments that must appear: the argument (or the function and file) and the offending
// value, so the message alone tells the user what to change. Rows that write files also check that
// nothing half-written is left behind. It lives in optim/ because it uses every layer of the library.
#include <cxxabi.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <typeinfo>

#include "optim/model_support.h"

using namespace minidl;
namespace fs = std::filesystem;

namespace {

struct Mistake {
  std::string what;                    // the user's mistake, shown when the row fails
  std::function<void()> attempt;       // makes it
  const std::type_info* type;          // the exact exception type expected
  std::vector<std::string> fragments;  // all must appear in what()
  std::function<void()> afterwards{};  // extra checks (files left intact), run after the attempt
};

const std::type_info* const kInvalid = &typeid(std::invalid_argument);
const std::type_info* const kOutOfRange = &typeid(std::out_of_range);
const std::type_info* const kRuntime = &typeid(std::runtime_error);

std::string type_name(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : t.name();
  std::free(name);
  return out;
}

void check_mistakes(const std::vector<Mistake>& table) {
  for (const auto& m : table) {
    INFO("mistake: " << m.what);
    const std::type_info* thrown = nullptr;
    std::string message;
    try {
      m.attempt();
    } catch (const std::exception& e) {
      thrown = &typeid(e);
      message = e.what();
    } catch (...) {
      thrown = &typeid(void);
      message = "(not a std::exception)";
    }
    INFO("message: " << message);
    if (thrown == nullptr) {
      FAIL_CHECK("no exception was thrown");
    } else {
      CHECK(type_name(*thrown) == type_name(*m.type));
      for (const auto& fragment : m.fragments) {
        INFO("expected fragment: " << fragment);
        CHECK(message.find(fragment) != std::string::npos);
      }
    }
    if (m.afterwards) m.afterwards();
  }
}

Tensor zeros(const Shape& s) { return Tensor::zeros(s); }

// ---------------------------------------------------------------------------------------------
// Tensors: factories, shapes, axes, broadcasting, products and joins.

std::vector<Mistake> tensor_mistakes() {
  const Tensor t23 = zeros({2, 3});
  return {
      {"from_vector with 6 values for a (4, 2) shape",
       [] { Tensor::from_vector(std::vector<float>(6, 1.0f), {4, 2}); }, kInvalid,
       {"from_vector", "6 values", "shape (4, 2)"}},
      {"a negative extent in a shape", [] { zeros({2, -3}); }, kInvalid, {"shape extents", "-3", "axis 1"}},
      {"creating a tensor with an unknown (-1) extent", [] { zeros({2, -1}); }, kInvalid,
       {"shape (2, -1)", "every extent must be known"}},
      {"reshape to a different element count", [t23] { t23.reshape({4, 2}); }, kInvalid,
       {"reshape", "(2, 3)", "(4, 2)"}},
      {"reshape with two -1 extents", [t23] { t23.reshape({-1, -1}); }, kInvalid,
       {"reshape", "only one extent may be -1", "(-1, -1)"}},
      {"reshape whose -1 cannot be inferred", [t23] { t23.reshape({4, -1}); }, kInvalid,
       {"reshape", "cannot infer", "(4, -1)", "(2, 3)"}},
      {"sum over axis 2 of a rank-2 tensor", [t23] { t23.sum({2}); }, kOutOfRange, {"sum", "axes=2", "rank 2"}},
      {"mean over the same axis twice", [t23] { t23.mean({1, -1}); }, kInvalid, {"mean", "axes", "[1, -1]"}},
      {"max over a negative axis beyond the rank", [t23] { max(t23, {-3}); }, kOutOfRange,
       {"max", "axes=-3", "rank 2"}},
      {"transpose with axis 5 of a rank-2 tensor", [t23] { t23.transpose(0, 5); }, kOutOfRange,
       {"transpose", "axis1=5", "rank 2"}},
      {"squeeze an axis whose extent is not 1", [t23] { t23.squeeze(0); }, kInvalid,
       {"squeeze", "axis 0", "extent 2"}},
      {"unsqueeze beyond rank + 1", [t23] { t23.unsqueeze(4); }, kOutOfRange, {"unsqueeze", "axis=4"}},
      {"item() on a tensor of 6 elements", [t23] { (void)t23.item(); }, kInvalid,
       {"item()", "shape (2, 3)", "6 elements"}},
      {"value_at past the end of an axis", [t23] { (void)t23.value_at({1, 3}); }, kOutOfRange,
       {"value_at", "index 3", "axis 1", "(2, 3)"}},
      {"value_at with too few indices", [t23] { (void)t23.value_at({1}); }, kInvalid,
       {"value_at", "1 entries", "rank 2"}},
      {"size() of an axis beyond the rank", [t23] { (void)t23.size(5); }, kOutOfRange, {"axis=5", "rank 2"}},
      {"adding shapes that do not broadcast", [t23] { add(t23, zeros({4})); }, kInvalid, {"add", "(2, 3)", "(4,)"}},
      {"multiplying float32 by float64", [t23] { mul(t23, Tensor::zeros({2, 3}, DType::Float64)); }, kInvalid,
       {"mul", "float32", "float64"}},
      {"matmul with different inner dimensions", [] { matmul(zeros({2, 3}), zeros({4, 5})); }, kInvalid,
       {"matmul", "inner dimensions", "(2, 3)", "(4, 5)"}},
      {"matmul of a vector", [t23] { matmul(zeros({3}), t23); }, kInvalid, {"matmul", "rank >= 2", "(3,)"}},
      {"concat of shapes that differ outside the axis", [t23] { concat({t23, zeros({3, 4})}, 0); }, kInvalid,
       {"concat", "tensor 1", "(3, 4)", "axis 0"}},
      {"concat along axis 2 of rank-2 tensors", [t23] { concat({t23, t23}, 2); }, kOutOfRange,
       {"concat axis=2", "rank 2"}},
      {"concat of an empty list", [] { concat({}, 0); }, kInvalid, {"concat", "received none"}},
      {"stack of different shapes", [t23] { stack({t23, zeros({3, 2})}, 0); }, kInvalid,
       {"stack", "tensor 1", "(3, 2)"}},
      {"permute with a repeated axis", [t23] { t23.permute({0, 0}); }, kInvalid, {"permute", "[0, 0]"}},
      {"permute with three axes for a rank-2 tensor", [t23] { t23.permute({1, 0, 2}); }, kInvalid,
       {"permute", "[1, 0, 2]", "(2, 3)"}},
      {"slice with step 0", [t23] { t23.slice(1, 0, 3, 0); }, kInvalid, {"slice", "step=0"}},
      {"pad with one pair for a rank-2 tensor", [t23] { pad(t23, {{1, 1}}); }, kInvalid,
       {"pad", "1 pairs", "(2, 3)"}},
      {"pad with a negative amount", [t23] { pad(t23, {{-1, 0}, {0, 0}}); }, kInvalid,
       {"pad", "(-1, 0)", "axis 0"}},
      {"broadcast_to a shape that does not fit", [t23] { broadcast_to(t23, {4, 3}); }, kInvalid,
       {"broadcast_to", "(2, 3)", "(4, 3)"}},
      {"copy_ from a tensor of another shape", [t23] { t23.deep_copy().copy_(zeros({3})); }, kInvalid,
       {"copy_", "(3,)", "(2, 3)"}},
      {"clip with min_value > max_value", [t23] { clip(t23, 2.0, 1.0); }, kInvalid,
       {"clip", "min_value=2", "max_value=1"}},
      {"arange with step 0", [] { Tensor::arange(0, 5, 0); }, kInvalid, {"arange", "step=0"}},
      {"rand with low == high",
       [] {
         Generator gen(1);
         Tensor::rand({2}, gen, DType::Float32, 1.0, 1.0);
       },
       kInvalid, {"rand", "low=1", "high=1"}},
      {"randn with a negative stddev",
       [] {
         Generator gen(1);
         Tensor::randn({2}, gen, DType::Float32, 0.0, -1.0);
       },
       kInvalid, {"randn", "stddev=-1"}},
      {"backward() of a non-scalar without a seed",
       [] {
         Tensor x = zeros({2, 3}).set_requires_grad();
         (x * 2.0).backward();
       },
       kInvalid, {"backward()", "shape (2, 3)"}},
      {"backward(seed) with a seed of another shape",
       [] {
         Tensor x = zeros({2, 3}).set_requires_grad();
         (x * 2.0).backward(zeros({3}));
       },
       kInvalid, {"backward(seed)", "(3,)", "(2, 3)"}},
  };
}

// ---------------------------------------------------------------------------------------------
// Ops: convolutions, pooling, resampling, dropout, normalisation, losses, activations.

std::vector<Mistake> op_mistakes() {
  const Tensor img = zeros({1, 5, 5, 3});
  const Tensor k3 = zeros({3, 3, 3, 4});
  auto conv = [img, k3](Conv2dOptions o) { return [img, k3, o] { conv2d(img, k3, {}, o); }; };
  auto pool = [](Pool2dOptions o, bool max_pool = true, Shape s = {1, 4, 4, 1}) {
    return [o, max_pool, s] { max_pool ? max_pool2d(zeros(s), o) : avg_pool2d(zeros(s), o); };
  };
  return {
      {"conv2d on a rank-3 input", [k3] { conv2d(zeros({2, 5, 5}), k3); }, kInvalid,
       {"conv2d", "input must be 4-D", "(2, 5, 5)"}},
      {"conv2d with a rank-3 kernel", [img] { conv2d(img, zeros({3, 3, 4})); }, kInvalid,
       {"conv2d", "kernel must be 4-D", "(3, 3, 4)"}},
      {"conv2d kernel made for 2 channels on a 3-channel input", [img] { conv2d(img, zeros({3, 3, 2, 4})); },
       kInvalid, {"conv2d", "expects 2 input channels", "(3, 3, 2, 4)", "input has 3"}},
      {"conv2d with a zero stride", conv({.strides = {0, 1}}), kInvalid, {"conv2d", "strides=(0, 1)"}},
      {"conv2d with a negative dilation", conv({.dilation_rate = {1, -2}}), kInvalid,
       {"conv2d", "dilation_rate=(1, -2)"}},
      {"conv2d with negative padding", conv({.padding = {-1, 0, 0, 0}}), kInvalid,
       {"conv2d", "padding", "top -1"}},
      {"conv2d with groups=0", conv({.groups = 0}), kInvalid, {"conv2d", "groups=0"}},
      {"conv2d with groups that do not divide the channels", [img] { conv2d(img, zeros({3, 3, 1, 4}), {}, {.groups = 2}); },
       kInvalid, {"conv2d", "groups=2", "(3)"}},
      {"conv2d bias of the wrong length", [img, k3] { conv2d(img, k3, zeros({5})); }, kInvalid,
       {"conv2d", "bias", "(4,)", "(5,)"}},
      {"conv2d kernel larger than the input", [] { conv2d(zeros({1, 2, 2, 1}), zeros({3, 3, 1, 1})); }, kInvalid,
       {"conv2d", "3x3", "2x2"}},
      {"conv2d with data_format 'NHWC'", conv({.data_format = "NHWC"}), kInvalid,
       {"conv2d", "data_format='NHWC'"}},
      {"conv2d_transpose with output_padding >= stride",
       [] { conv2d_transpose(zeros({1, 4, 4, 3}), zeros({3, 3, 2, 3}), {}, {.strides = {2, 2}, .output_padding = {2, 0}}); },
       kInvalid, {"conv2d_transpose", "output_padding=(2, 0)", "strides=(2, 2)"}},
      {"conv2d_transpose with stride > 1 and dilation > 1",
       [] { conv2d_transpose(zeros({1, 4, 4, 3}), zeros({3, 3, 2, 3}), {}, {.strides = {2, 2}, .dilation_rate = {2, 1}}); },
       kInvalid, {"conv2d_transpose", "strides=(2, 2)", "dilation_rate=(2, 1)"}},
      {"conv2d_transpose kernel made for 5 input channels on 3",
       [] { conv2d_transpose(zeros({1, 4, 4, 3}), zeros({3, 3, 2, 5})); }, kInvalid,
       {"conv2d_transpose", "expects 5 input channels", "input has 3"}},
      {"max_pool2d with a zero pool_size", pool({.pool_size = {0, 2}}), kInvalid,
       {"max_pool2d", "pool_size=(0, 2)"}},
      {"avg_pool2d with a negative stride", pool({.strides = {2, -1}}, false), kInvalid,
       {"avg_pool2d", "strides=(2, -1)"}},
      {"max_pool2d with padding 'full'", pool({.padding = "full"}), kInvalid, {"max_pool2d", "padding='full'"}},
      {"max_pool2d on a rank-3 input", pool({}, true, {4, 4, 1}), kInvalid,
       {"max_pool2d", "x must be 4-D", "(4, 4, 1)"}},
      {"max_pool2d 'valid' window larger than the input", pool({.pool_size = {3, 3}}, true, {1, 2, 2, 1}), kInvalid,
       {"max_pool2d", "pool_size (3, 3)", "(2, 2)"}},
      {"avg_pool2d with data_format 'NCHW'", pool({.data_format = "NCHW"}, false), kInvalid,
       {"avg_pool2d", "data_format='NCHW'"}},
      {"upsampling2d with a zero size", [] { upsampling2d(zeros({1, 2, 2, 1}), {0, 2}); }, kInvalid,
       {"upsampling2d", "size=(0, 2)"}},
      {"upsampling2d with interpolation 'area' (Keras's JAX backend has no area resize)",
       [] { upsampling2d(zeros({1, 2, 2, 1}), {2, 2}, "channels_last", "area"); }, kInvalid,
       {"upsampling2d", "interpolation='area'"}},
      {"resize with both crop_to_aspect_ratio and pad_to_aspect_ratio",
       [] { resize(zeros({1, 4, 6, 1}), {2, 2}, {.crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true}); },
       kInvalid, {"resize", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "both true"}},
      {"Resizing layer to a zero height", [] { layers::Resizing({.height = 0, .width = 8}); }, kInvalid,
       {"Resizing", "height=0"}},
      {"dropout with rate 1",
       [] {
         Generator gen(1);
         dropout(zeros({2, 3}), 1.0, gen);
       },
       kInvalid, {"dropout", "rate=1"}},
      {"dropout noise_shape of the wrong rank",
       [] {
         Generator gen(1);
         dropout(zeros({2, 3}), 0.5, gen, true, Shape{2});
       },
       kInvalid, {"dropout", "noise_shape=(2,)", "(2, 3)"}},
      {"softmax over axis 3 of a rank-2 tensor", [] { activations::softmax(zeros({2, 3}), 3); }, kOutOfRange,
       {"softmax", "axis=3", "rank 2"}},
      {"batch_norm with gamma of the wrong length",
       [] {
         Tensor mean = zeros({3}), var = Tensor::ones({3});
         batch_norm(zeros({4, 3}), zeros({2}), zeros({3}), mean, var);
       },
       kInvalid, {"batch_norm", "gamma", "(3,)", "(2,)"}},
      {"categorical_crossentropy with mismatched shapes",
       [] { losses::categorical_crossentropy(zeros({2, 3}), zeros({2, 4})); }, kInvalid,
       {"categorical_crossentropy", "y_true.shape=(2, 3)", "y_pred.shape=(2, 4)"}},
      {"sparse_categorical_crossentropy with class id 7 of 3",
       [] { losses::sparse_categorical_crossentropy(Tensor::from_vector(std::vector<float>{0, 7}), zeros({2, 3})); },
       kInvalid, {"sparse_categorical_crossentropy", "[0, 3)", "received 7"}},
      {"binary_crossentropy with label_smoothing 1.5",
       [] { losses::binary_crossentropy(zeros({2, 1}), zeros({2, 1}), false, 1.5); }, kInvalid,
       {"binary_crossentropy", "label_smoothing=1.5"}},
      {"an unknown activation name", [] { activations::get("relu7"); }, kInvalid, {"activation", "'relu7'"}},
      {"relu with a negative max_value", [] { activations::relu(zeros({2}), 0.0, -1.0); }, kInvalid,
       {"relu", "max_value=-1"}},
      {"glu over an odd axis", [] { activations::glu(zeros({2, 3})); }, kInvalid, {"glu", "axis -1", "(2, 3)"}},
      {"variance with correction >= the count", [] { variance(zeros({3}), {}, false, 3); }, kInvalid,
       {"variance", "correction=3"}},
  };
}

// ---------------------------------------------------------------------------------------------
// Layers: identifiers, constructor arguments, inputs that do not fit what the layer was built for.

std::vector<Mistake> layer_mistakes() {
  using namespace layers;
  return {
      {"Dense with an unknown activation", [] { Dense({.units = 4, .activation = "relu7"}); }, kInvalid,
       {"activation", "'relu7'"}},
      {"Dense with a misspelt initializer", [] { Dense({.units = 4, .kernel_initializer = "glorot_unifrom"}); },
       kInvalid, {"initializer", "'glorot_unifrom'"}},
      {"Dense with an unknown regularizer", [] { Dense({.units = 4, .kernel_regularizer = "l3"}); }, kInvalid,
       {"regularizer", "'l3'"}},
      {"Dense with a misspelt constraint", [] { Dense({.units = 4, .kernel_constraint = "max_norn"}); }, kInvalid,
       {"constraint", "'max_norn'"}},
      {"Dense with units=0", [] { Dense({.units = 0}); }, kInvalid, {"Dense", "units=0"}},
      {"a layer with dtype 'float16'", [] { Dense({.units = 2, .dtype = "float16"}); }, kInvalid,
       {"dtype", "'float16'"}},
      {"an integer Input for labels", [] { Input({.shape = Shape{1}, .dtype = "int32", .name = "labels"}); }, kInvalid,
       {"'labels'", "dtype='int32'", "float tensors holding whole numbers"}},
      {"Conv2D with padding 'full'", [] { Conv2D({.filters = 2, .kernel_size = 3, .padding = "full"}); }, kInvalid,
       {"Conv2D", "padding='full'"}},
      {"Conv2D with padding 'causal'", [] { Conv2D({.filters = 2, .kernel_size = 3, .padding = "causal"}); },
       kInvalid, {"Conv2D", "padding='causal'"}},
      {"Conv2D with filters=0", [] { Conv2D({.filters = 0, .kernel_size = 3}); }, kInvalid, {"Conv2D", "filters=0"}},
      {"Conv2D with filters=-4", [] { Conv2D({.filters = -4, .kernel_size = 3}); }, kInvalid,
       {"Conv2D", "filters=-4"}},
      {"Conv2D with a zero kernel extent", [] { Conv2D({.filters = 2, .kernel_size = {3, 0}}); }, kInvalid,
       {"Conv2D", "kernel_size=(3, 0)"}},
      {"Conv2D with strides > 1 and dilation_rate > 1",
       [] { Conv2D({.filters = 2, .kernel_size = 3, .strides = 2, .dilation_rate = 2}); }, kInvalid,
       {"Conv2D", "strides=(2, 2)", "dilation_rate=(2, 2)"}},
      {"Conv2D with groups that do not divide filters", [] { Conv2D({.filters = 4, .kernel_size = 3, .groups = 3}); },
       kInvalid, {"Conv2D", "groups=3", "filters=4"}},
      {"Conv2D with data_format 'NHWC'", [] { Conv2D({.filters = 2, .kernel_size = 3, .data_format = "NHWC"}); },
       kInvalid, {"Conv2D", "data_format='NHWC'"}},
      {"Conv2DTranspose with output_padding >= strides",
       [] { Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = IntPair(2)}); },
       kInvalid, {"Conv2DTranspose", "output_padding=(2, 2)", "strides=(2, 2)"}},
      {"Conv2D called with another channel count after build",
       [] {
         Conv2D c({.filters = 2, .kernel_size = 3, .name = "c1"});
         c(zeros({1, 5, 5, 3}));
         c(zeros({1, 5, 5, 4}));
       },
       kInvalid, {"'c1'", "value 3", "(1, 5, 5, 4)"}},
      {"Conv2D called on a rank-3 input",
       [] {
         Conv2D c({.filters = 2, .kernel_size = 3, .name = "c2"});
         c(zeros({5, 5, 3}));
       },
       kInvalid, {"'c2'", "expected ndim=4", "found ndim=3", "(5, 5, 3)"}},
      {"Dense called on a rank-1 input",
       [] {
         Dense d({.units = 2, .name = "d1"});
         d(zeros({3}));
       },
       kInvalid, {"'d1'", "min_ndim=2", "found ndim=1", "(3,)"}},
      {"Dense called with another feature count after build",
       [] {
         Dense d({.units = 2, .name = "d2"});
         d(zeros({2, 3}));
         d(zeros({2, 5}));
       },
       kInvalid, {"'d2'", "value 3", "(2, 5)"}},
      {"set_weights with one tensor for a Dense with kernel and bias",
       [] {
         Dense d({.units = 4, .name = "d3"});
         d.build({-1, 3});
         d.set_weights({zeros({3, 4})});
       },
       kInvalid, {"set_weights", "'d3'", "received 1 weights", "has 2"}},
      {"set_weights with a transposed kernel",
       [] {
         Dense d({.units = 4, .name = "d4"});
         d.build({-1, 3});
         d.set_weights({zeros({4, 3}), zeros({4})});
       },
       kInvalid, {"set_weights", "'kernel'", "(3, 4)", "(4, 3)"}},
      {"Reshape to a target with another element count",
       [] {
         Reshape r({.target_shape = {4, 4}, .name = "r1"});
         r(zeros({2, 3, 4}));
       },
       kInvalid, {"'r1'", "target_shape=(4, 4)", "12 elements"}},
      {"Reshape with two -1 extents", [] { Reshape({.target_shape = {-1, -1}}); }, kInvalid,
       {"Reshape", "target_shape=(-1, -1)"}},
      {"Reshape with a zero extent", [] { Reshape({.target_shape = {0, 3}}); }, kInvalid,
       {"Reshape", "target_shape=(0, 3)"}},
      {"Dropout with rate 1.5", [] { Dropout({.rate = 1.5}); }, kInvalid, {"Dropout", "rate=1.5"}},
      {"Dropout with a negative rate", [] { Dropout({.rate = -0.1}); }, kInvalid, {"Dropout", "rate=-0.1"}},
      {"BatchNormalization with momentum 2", [] { BatchNormalization({.momentum = 2.0}); }, kInvalid,
       {"BatchNormalization", "momentum=2"}},
      {"BatchNormalization with epsilon 0", [] { BatchNormalization({.epsilon = 0.0}); }, kInvalid,
       {"BatchNormalization", "epsilon=0"}},
      {"LeakyReLU with a negative slope", [] { LeakyReLU({.negative_slope = -1.0}); }, kInvalid,
       {"LeakyReLU", "negative_slope=-1"}},
      {"MaxPooling2D with pool_size 0", [] { MaxPooling2D({.pool_size = 0}); }, kInvalid,
       {"MaxPooling2D", "pool_size=(0, 0)"}},
      {"MaxPooling1D with pool_size 0", [] { MaxPooling1D({.pool_size = 0}); }, kInvalid,
       {"MaxPooling1D", "pool_size=0"}},
      {"Cropping1D cropping the whole sequence", [] { Cropping1D({.cropping = {2, 3}})(zeros({1, 5, 2})); }, kInvalid,
       {"Cropping1D", "cropping=(2, 3)", "(1, 5, 2)"}},
      {"ReLU with a negative threshold", [] { ReLU({.threshold = -0.5}); }, kInvalid, {"ReLU", "threshold=-0.5"}},
      {"GaussianNoise with stddev 2", [] { GaussianNoise({.stddev = 2.0}); }, kInvalid, {"GaussianNoise", "stddev=2"}},
      {"UpSampling2D with interpolation 'cubic'", [] { UpSampling2D({.interpolation = "cubic"}); }, kInvalid,
       {"UpSampling2D", "interpolation='cubic'"}},
      {"ZeroPadding2D with a negative padding", [] { ZeroPadding2D({.padding = {IntPair(-1), IntPair(1)}}); },
       kInvalid, {"ZeroPadding2D", "padding", "-1"}},
      {"VarianceScaling with mode 'fan_max'",
       [] { initializers::Initializer(initializers::VarianceScaling{.mode = "fan_max", .seed = {}}); }, kInvalid,
       {"VarianceScaling", "mode='fan_max'"}},
      {"RandomUniform with minval > maxval",
       [] { initializers::Initializer(initializers::RandomUniform{.minval = 1.0, .maxval = 0.0, .seed = {}}); }, kInvalid,
       {"RandomUniform", "minval=1", "maxval=0"}},
      {"an L2 regularizer with a negative factor", [] { regularizers::Regularizer(regularizers::L2{.l2 = -1.0}); },
       kInvalid, {"l2", "l2=-1"}},
      {"MinMaxNorm with min_value > max_value",
       [] { constraints::Constraint(constraints::MinMaxNorm{.min_value = 2.0, .max_value = 1.0}); }, kInvalid,
       {"MinMaxNorm", "min_value=2", "max_value=1"}},
      {"two layers with the same name in a Sequential",
       [] {
         Sequential s;
         s.add(Dense({.units = 2, .name = "dup"}));
         s.add(Dense({.units = 2, .name = "dup"}));
       },
       kInvalid, {"Sequential.add", "'dup'"}},
      {"calling a Sequential without layers",
       [] {
         Sequential s({.name = "empty"});
         s(zeros({1, 3}));
       },
       kInvalid, {"Sequential model 'empty'", "no layers"}},
      {"ops::add on tensors whose shapes do not broadcast",
       [] { ops::add(Input({.shape = Shape{3}}), Input({.shape = Shape{4}})); }, kInvalid,
       {"cannot broadcast shapes", "(None, 3)", "(None, 4)"}},
      {"ops::mean over an axis the tensor lacks", [] { ops::mean(Input({.shape = Shape{3}}), {.axis = 2}); }, kOutOfRange,
       {"Mean", "axis 2 is out of bounds"}},
      {"ops::cast to an unknown dtype", [] { ops::cast(Input({.shape = Shape{3}}), "float8"); }, kInvalid,
       {"cast", "'float8'"}},
      {"Bidirectional with an unknown merge_mode", [] { Bidirectional(LSTM({.units = 2}), {.merge_mode = "max"}); },
       kInvalid, {"Invalid merge mode", "Received: max", "\"concat\""}},
      {"Bidirectional given an odd count of initial states",
       [] { Bidirectional(GRU({.units = 2})).call_with_state(zeros({1, 3, 2}), false, {zeros({1, 2})}); }, kInvalid,
       {"Bidirectional", "even count", "received 1"}},
      {"a three-output model called as a one-output layer",
       [] {
         auto x = Input({.shape = Shape{2}});
         auto model = std::make_shared<Functional>(x, std::vector<KerasTensor>{Dense({.units = 1})(x), x, x});
         (*model)(Input({.shape = Shape{2}}));
       },
       kInvalid, {"returns 3 tensors", "call_outputs(inputs)"}},
  };
}

// ---------------------------------------------------------------------------------------------
// Optimizers and learning-rate schedules.

VariablePtr variable(const Shape& shape, const std::string& name) {
  auto v = std::make_shared<Variable>();
  v->value = zeros(shape).set_requires_grad();
  v->name = v->path = name;
  return v;
}

std::vector<Mistake> optimizer_mistakes() {
  using namespace optim;
  return {
      {"an unknown optimizer name", [] { get("adamm"); }, kInvalid, {"optimizer identifier", "'adamm'"}},
      {"a negative learning rate", [] { SGD({.learning_rate = -0.1}); }, kInvalid, {"SGD", "learning_rate=-0.1"}},
      {"an infinite learning rate", [] { Adam({.learning_rate = std::numeric_limits<double>::infinity()}); },
       kInvalid, {"Adam", "learning_rate=inf"}},
      {"set_learning_rate to a negative value", [] { SGD().set_learning_rate(-1.0); }, kInvalid,
       {"SGD", "learning_rate=-1"}},
      {"Adam with beta_1 = 1", [] { Adam({.beta_1 = 1.0}); }, kInvalid, {"Adam", "beta_1", "beta_1=1"}},
      {"Adam with a negative beta_2", [] { Adam({.beta_2 = -0.5}); }, kInvalid, {"Adam", "beta_2=-0.5"}},
      {"AdamW with beta_2 = 1", [] { AdamW({.beta_2 = 1.0}); }, kInvalid, {"AdamW", "beta_2=1"}},
      {"Nadam with beta_1 = 1.5", [] { Nadam({.beta_1 = 1.5}); }, kInvalid, {"Nadam", "beta_1=1.5"}},
      {"Adam with a negative epsilon", [] { Adam({.epsilon = -1.0}); }, kInvalid, {"Adam", "epsilon=-1"}},
      {"SGD with momentum 1.5", [] { SGD({.momentum = 1.5}); }, kInvalid, {"SGD", "momentum=1.5"}},
      {"RMSprop with rho 2", [] { RMSprop({.rho = 2.0}); }, kInvalid, {"RMSprop", "rho=2"}},
      {"RMSprop with a negative momentum", [] { RMSprop({.momentum = -1.0}); }, kInvalid,
       {"RMSprop", "momentum=-1"}},
      {"Adagrad with a negative initial accumulator", [] { Adagrad({.initial_accumulator_value = -1.0}); },
       kInvalid, {"Adagrad", "initial_accumulator_value=-1"}},
      {"Adadelta with a negative rho", [] { Adadelta({.rho = -0.1}); }, kInvalid, {"Adadelta", "rho=-0.1"}},
      {"a negative clipnorm", [] { Adam({.clipnorm = -1.0}); }, kInvalid, {"Adam", "clipnorm=-1"}},
      {"a NaN clipvalue", [] { SGD({.clipvalue = std::nan("")}); }, kInvalid, {"SGD", "clipvalue=nan"}},
      {"a negative weight_decay", [] { SGD({.weight_decay = -0.1}); }, kInvalid, {"SGD", "weight_decay=-0.1"}},
      {"ExponentialDecay with decay_steps 0", [] { ExponentialDecay(0.1, 0, 0.9); }, kInvalid,
       {"ExponentialDecay", "decay_steps=0"}},
      {"PiecewiseConstantDecay with as many values as boundaries", [] { PiecewiseConstantDecay({10, 20}, {0.1, 0.01}); },
       kInvalid, {"PiecewiseConstantDecay", "boundaries=[10, 20]", "values=[0.1, 0.01]"}},
      {"PiecewiseConstantDecay with decreasing boundaries",
       [] { PiecewiseConstantDecay({20, 10}, {0.1, 0.01, 0.001}); }, kInvalid,
       {"PiecewiseConstantDecay", "boundaries=[20, 10]"}},
      {"CosineDecay with negative warmup_steps", [] { CosineDecay(0.1, 100, 0.0, 0.2, -5); }, kInvalid,
       {"CosineDecay", "warmup_steps=-5"}},
      {"apply with one gradient for two variables",
       [] { SGD().apply({zeros({2})}, {variable({2}, "a"), variable({2}, "b")}); }, kInvalid,
       {"SGD.apply", "1 gradients", "2 variables"}},
      {"apply with a gradient of the wrong shape", [] { SGD().apply({zeros({3})}, {variable({2, 2}, "w")}); },
       kInvalid, {"SGD.apply", "'w'", "(3,)", "(2, 2)"}},
      {"exclude_from_weight_decay with an invalid regular expression",
       [] { AdamW().exclude_from_weight_decay({}, {"bias["}); }, kInvalid,
       {"exclude_from_weight_decay", "'bias['"}},
      {"from_config asking for use_ema", [] { Adam::from_config({{"use_ema", true}}); }, kInvalid,
       {"Adam", "use_ema"}},
  };
}

// ---------------------------------------------------------------------------------------------
// Models: compile/fit/evaluate/predict arguments, callbacks, loading weights into another shape.

optim::Model compiled(optim::Loss loss = "mse") {
  optim::Model model(test::regression_net());
  model.compile({.optimizer = "sgd", .loss = std::move(loss)});
  return model;
}

std::vector<Mistake> model_mistakes(const fs::path& dir) {
  using namespace optim;
  const auto data = test::regression_data(10);
  const Tensor x = data.first, y = data.second;
  return {
      {"fit before compile", [x, y] { Model(test::regression_net()).fit(x, y, {.verbose = 0}); }, kInvalid,
       {"Model.fit", "compile()"}},
      {"evaluate before compile", [x, y] { Model(test::regression_net()).evaluate(x, y, {.verbose = 0}); },
       kInvalid, {"Model.evaluate", "compile()"}},
      {"train_on_batch before compile", [x, y] { Model(test::regression_net()).train_on_batch(x, y); }, kInvalid,
       {"Model.train_on_batch", "compile()"}},
      {"an unknown loss name", [] { compiled("mse2"); }, kInvalid, {"loss identifier", "'mse2'"}},
      {"an unknown metric name",
       [] { Model(test::regression_net()).compile({.loss = "mse", .metrics = {"acuracy"}}); }, kInvalid,
       {"metric identifier", "'acuracy'"}},
      {"an unknown optimizer name in compile", [] { Model(test::regression_net()).compile({.optimizer = "adamm"}); },
       kInvalid, {"optimizer identifier", "'adamm'"}},
      {"an unknown loss reduction", [] { MeanSquaredError({.reduction = "average"}); }, kInvalid,
       {"reduction", "reduction='average'"}},
      {"a loss with reduction 'none' for training",
       [x, y] { compiled(MeanSquaredError({.reduction = "none"})).fit(x, y, {.verbose = 0}); }, kInvalid,
       {"reduction='none'", "(10,)"}},
      {"x and y with different sample counts",
       [x, y] { compiled().fit(x, y.slice(0, 0, 8), {.verbose = 0}); }, kInvalid,
       {"Model.fit", "same number of samples", "(10, 3)", "(8, 1)"}},
      {"y with two outputs for a one-output model",
       [x] { compiled().fit(x, zeros({10, 2}), {.verbose = 0}); }, kInvalid,
       {"y_true.shape=(10, 2)", "y_pred.shape=(10, 1)"}},
      {"predict with 4 features for a 3-feature model", [] { compiled().predict(zeros({5, 4})); }, kInvalid,
       {"value 3", "(5, 4)"}},
      {"predict with batch_size 0", [x] { compiled().predict(x, {.batch_size = 0}); }, kInvalid,
       {"Model.predict", "batch_size=0"}},
      {"fit with batch_size 0", [x, y] { compiled().fit(x, y, {.batch_size = 0, .verbose = 0}); }, kInvalid,
       {"Model.fit", "batch_size=0"}},
      {"fit with negative epochs", [x, y] { compiled().fit(x, y, {.epochs = -1, .verbose = 0}); }, kInvalid,
       {"Model.fit", "epochs=-1"}},
      {"fit with verbose 3", [x, y] { compiled().fit(x, y, {.verbose = 3}); }, kInvalid,
       {"Model.fit", "verbose=3"}},
      {"fit with validation_split 1.5",
       [x, y] { compiled().fit(x, y, {.verbose = 0, .validation_split = 1.5}); }, kInvalid,
       {"Model.fit", "validation_split=1.5"}},
      {"validation_split leaving no training sample",
       [x, y] { compiled().fit(x.slice(0, 0, 1), y.slice(0, 0, 1), {.verbose = 0, .validation_split = 0.5}); },
       kInvalid, {"Model.fit", "validation_split=0.5", "0 training"}},
      {"sample_weight with 7 weights for 10 samples",
       [x, y] { compiled().fit(x, y, {.verbose = 0, .sample_weight = Tensor::ones({7})}); }, kInvalid,
       {"Model.fit", "sample_weight", "(10)", "(7,)"}},
      {"validation_data with mismatched x and y",
       [x, y] { compiled().fit(x, y, {.verbose = 0, .validation_data = std::pair{x, y.slice(0, 0, 4)}}); },
       kInvalid, {"validation_data", "(10, 3)", "(4, 1)"}},
      {"EarlyStopping with mode 'maximum'", [] { EarlyStopping({.mode = "maximum"}); }, kInvalid,
       {"EarlyStopping", "mode='maximum'"}},
      {"EarlyStopping with negative patience", [] { EarlyStopping({.patience = -1}); }, kInvalid,
       {"EarlyStopping", "patience=-1"}},
      {"ReduceLROnPlateau with factor 1.5", [] { ReduceLROnPlateau({.factor = 1.5}); }, kInvalid,
       {"ReduceLROnPlateau", "factor=1.5"}},
      {"ModelCheckpoint filepath naming a value that is not logged",
       [dir, x, y] {
         compiled().fit(x, y, {.verbose = 0, .callbacks = {ModelCheckpoint((dir / "ck-{val_acc:.2f}").string())}});
       },
       kInvalid, {"filepath", "{val_acc:.2f}", "available names: epoch, loss"}},
      {"reading a history key that was never logged",
       [x, y] { (void)compiled().fit(x, y, {.verbose = 0})["val_loss"]; }, kOutOfRange, {"History", "'val_loss'"}},
      {"load_weights saved from a wider model",
       [dir] {
         layers::clear_session();
         compiled().save_weights(dir / "narrow.safetensors");  // kernels (3, 8) and (8, 1)
         layers::clear_session();
         auto wide = std::make_shared<layers::Sequential>(layers::SequentialOptions{.input_shape = Shape{3}});
         wide->add(layers::Dense({.units = 9}));
         wide->add(layers::Dense({.units = 1}));
         Model(wide).load_weights(dir / "narrow.safetensors");
       },
       kRuntime, {"Model.load_weights", "narrow.safetensors", "sequential/dense/kernel", "(3, 8)", "(3, 9)"}},
      {"load_weights into a model that is not built",
       [dir] {
         compiled().save_weights(dir / "built.safetensors");
         auto unbuilt = std::make_shared<layers::Sequential>();
         unbuilt->add(layers::Dense({.units = 8}));
         Model(unbuilt).load_weights(dir / "built.safetensors");
       },
       kRuntime, {"Model.load_weights", "built.safetensors", "4 weights", "none yet"}},
  };
}

// ---------------------------------------------------------------------------------------------
// Files: missing, damaged or unwritable paths for safetensors, IDX, Fashion-MNIST, saving, callbacks.

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A fresh folder for one row, so the row can check exactly which files exist afterwards.
fs::path fresh(const fs::path& dir, const std::string& name) {
  fs::remove_all(dir / name);
  fs::create_directories(dir / name);
  return dir / name;
}

// Every path under `folder`, relative to it (so a temporary file left behind shows up).
std::set<std::string> listing(const fs::path& folder) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(folder)) out.insert(fs::relative(e.path(), folder).string());
  return out;
}

// A folder holding only a regular file "blocker" ("keep me"): paths under it cannot be written, even
// by root. Afterwards the folder must hold exactly that file, unchanged.
fs::path blocked(const fs::path& dir, const std::string& name) {
  const fs::path folder = fresh(dir, name);
  write_bytes(folder / "blocker", "keep me");
  return folder;
}

std::function<void()> only_blocker_left(const fs::path& folder) {
  return [folder] {
    CHECK(listing(folder) == std::set<std::string>{"blocker"});
    CHECK(read_bytes(folder / "blocker") == "keep me");
  };
}

// A safetensors file from a header text and a data buffer (the 8-byte little-endian length first).
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

// An unsigned-byte IDX label file: magic 0x00000801, the count, then `present` of the bytes.
std::string idx_labels(std::uint32_t magic, std::uint32_t count, std::size_t present) {
  std::string out;
  for (std::uint32_t v : {magic, count})
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
  return out + std::string(present, '\1');
}

void write_gzip(const fs::path& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(gz) == Z_OK);
}

io::NamedTensors one_tensor(double value) { return {{"a", Tensor::full({2}, value)}}; }

std::vector<Mistake> file_mistakes(const fs::path& dir) {
  using optim::Model;
  return {
      {"load_safetensors of a missing file", [dir] { io::load_safetensors(dir / "nope.safetensors"); }, kRuntime,
       {"nope.safetensors", "does not exist"}},
      {"load_safetensors of a folder",
       [dir] { io::load_safetensors(fresh(dir, "a_folder.safetensors")); }, kRuntime,
       {"a_folder.safetensors", "is a folder"}},
      {"load_safetensors of a file cut short",
       [dir] {
         io::save_safetensors(dir / "whole.safetensors", one_tensor(1.0));
         const std::string bytes = read_bytes(dir / "whole.safetensors");
         write_bytes(dir / "cut.safetensors", bytes.substr(0, bytes.size() - 4));
         io::load_safetensors(dir / "cut.safetensors");
       },
       kRuntime, {"cut.safetensors", "'a'", "data_offsets"}},
      {"load_safetensors of a 5-byte file", [dir] {
         write_bytes(dir / "tiny.safetensors", "hello");
         io::load_safetensors(dir / "tiny.safetensors");
       },
       kRuntime, {"tiny.safetensors", "5 bytes", "8-byte header length"}},
      {"load_safetensors whose header length runs past the end",
       [dir] {
         std::string bytes = safetensors_bytes("{}", "");
         bytes[0] = static_cast<char>(0xE8), bytes[1] = 0x03;  // 1000
         write_bytes(dir / "long.safetensors", bytes);
         io::load_safetensors(dir / "long.safetensors");
       },
       kRuntime, {"long.safetensors", "header length 1000", "only 2 bytes follow"}},
      {"load_safetensors whose header is not JSON",
       [dir] {
         write_bytes(dir / "notjson.safetensors", safetensors_bytes("{\"a\": [1, 2", ""));
         io::load_safetensors(dir / "notjson.safetensors");
       },
       kRuntime, {"notjson.safetensors", "JSON header", "does not parse"}},
      {"load_safetensors of an int32 tensor",
       [dir] {
         write_bytes(dir / "int.safetensors",
                     safetensors_bytes(R"({"a": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}})", "abcd"));
         io::load_safetensors(dir / "int.safetensors");
       },
       kRuntime, {"int.safetensors", "'a'", "unsupported dtype \"I32\""}},
      {"save_safetensors with a repeated name over a good file",
       [dir] {
         const fs::path folder = fresh(dir, "dup_names");
         io::save_safetensors(folder / "good.safetensors", one_tensor(1.0));
         io::save_safetensors(folder / "good.safetensors", {{"w", zeros({1})}, {"w", zeros({2})}});
       },
       kInvalid, {"save_safetensors", "'w'", "more than once"},
       [dir] {
         const fs::path folder = dir / "dup_names";
         CHECK(listing(folder) == std::set<std::string>{"good.safetensors"});
         const auto kept = io::load_safetensors(folder / "good.safetensors").tensors;
         REQUIRE(kept.size() == 1);
         CHECK(kept[0].first == "a");
         CHECK(kept[0].second.to_vector<double>() == std::vector<double>{1.0, 1.0});
       }},
      {"save_safetensors with a tensor named __metadata__",
       [dir] { io::save_safetensors(fresh(dir, "meta") / "m.safetensors", {{"__metadata__", zeros({1})}}); },
       kInvalid, {"save_safetensors", "\"__metadata__\""},
       [dir] { CHECK(listing(dir / "meta").empty()); }},
      {"save_safetensors under a regular file",
       [dir] { io::save_safetensors(blocked(dir, "st_blocked") / "blocker" / "w.safetensors", one_tensor(1.0)); },
       kRuntime, {"save_safetensors", "blocker/w.safetensors", "is not a folder"},
       only_blocker_left(dir / "st_blocked")},
      {"save_safetensors into a missing folder",
       [dir] { io::save_safetensors(fresh(dir, "st_missing") / "sub" / "w.safetensors", one_tensor(1.0)); },
       kRuntime, {"save_safetensors", "sub/w.safetensors", "does not exist"},
       [dir] { CHECK(listing(dir / "st_missing").empty()); }},
      {"Model.save_weights under a regular file",
       [dir] { compiled().save_weights(blocked(dir, "sw_blocked") / "blocker" / "w.safetensors"); }, kRuntime,
       {"Model.save_weights", "blocker/w.safetensors", "is not a folder"}, only_blocker_left(dir / "sw_blocked")},
      {"Model.save_weights onto an existing folder",
       [dir] {
         const fs::path folder = fresh(dir, "sw_folder");
         fs::create_directories(folder / "w.safetensors");
         write_bytes(folder / "w.safetensors" / "inside.txt", "keep me");
         compiled().save_weights(folder / "w.safetensors");
       },
       kRuntime, {"Model.save_weights", "w.safetensors"},
       [dir] {
         CHECK(listing(dir / "sw_folder") == std::set<std::string>{"w.safetensors", "w.safetensors/inside.txt"});
         CHECK(read_bytes(dir / "sw_folder" / "w.safetensors" / "inside.txt") == "keep me");
       }},
      {"Model.save to a file under a regular file",
       [dir] { compiled().save(blocked(dir, "ms_blocked") / "blocker" / "m.safetensors"); }, kRuntime,
       {"Model.save", "blocker/m.safetensors", "is not a folder"}, only_blocker_left(dir / "ms_blocked")},
      {"Model.save to a folder under a regular file",
       [dir] { compiled().save((blocked(dir, "msf_blocked") / "blocker" / "ckpt").string() + "/"); }, kRuntime,
       {"Model.save", "blocker/ckpt", "Not a directory"}, only_blocker_left(dir / "msf_blocked")},
      {"ModelCheckpoint writing under a regular file",
       [dir] {
         const auto [x, y] = test::regression_data(8);
         const std::string pattern = (blocked(dir, "ck_blocked") / "blocker" / "ck-{epoch}.safetensors").string();
         compiled().fit(x, y, {.verbose = 0, .callbacks = {optim::ModelCheckpoint(pattern)}});
       },
       kRuntime, {"ModelCheckpoint", "filepath", "blocker/ck-1.safetensors", "is not a folder"},
       only_blocker_left(dir / "ck_blocked")},
      {"CSVLogger writing under a regular file",
       [dir] {
         const auto [x, y] = test::regression_data(8);
         compiled().fit(x, y, {.verbose = 0, .callbacks = {optim::CSVLogger(blocked(dir, "csv_blocked") / "blocker" / "log.csv")}});
       },
       kRuntime, {"CSVLogger", "blocker/log.csv", "Not a directory"}, only_blocker_left(dir / "csv_blocked")},
      {"load_model of a missing file", [dir] { optim::load_model(dir / "no_model.safetensors"); }, kRuntime,
       {"no_model.safetensors", "does not exist"}},
      {"load_model of a weights-only file",
       [dir] {
         compiled().save_weights(dir / "only_weights.safetensors");
         optim::load_model(dir / "only_weights.safetensors");
       },
       kRuntime, {"load_model", "only_weights.safetensors", "not a minidl model file", "'minidl.weights'"}},
      {"load_weights of a missing file", [dir] { compiled().load_weights(dir / "no_weights.safetensors"); },
       kRuntime, {"no_weights.safetensors", "does not exist"}},
      {"load_fashion_mnist from a folder without the files",
       [dir] { io::load_fashion_mnist("train", fresh(dir, "no_fashion")); }, kRuntime,
       {"train-images-idx3-ubyte", "no_fashion", "dataset-fashion-mnist"}},
      {"load_fashion_mnist with the labels file missing",
       [dir] {
         const fs::path folder = fresh(dir, "half_fashion");
         write_bytes(folder / "t10k-images-idx3-ubyte", "");
         io::load_fashion_mnist("test", folder);
       },
       kRuntime, {"t10k-labels-idx1-ubyte", "half_fashion"}},
      {"load_fashion_mnist with split 'validation'", [dir] { io::load_fashion_mnist("validation", dir); }, kInvalid,
       {"load_fashion_mnist", "split=\"validation\""}},
      {"load_fashion_mnist with a negative limit", [dir] { io::load_fashion_mnist("train", dir, -1); }, kInvalid,
       {"load_fashion_mnist", "limit=-1"}},
      {"read_idx of a missing file", [dir] { io::read_idx(dir / "nope-idx1-ubyte"); }, kRuntime,
       {"nope-idx1-ubyte", "does not exist"}},
      {"read_idx of a file with a foreign magic number",
       [dir] {
         write_bytes(dir / "magic-idx1-ubyte", idx_labels(0x12340801, 3, 3));
         io::read_idx(dir / "magic-idx1-ubyte");
       },
       kRuntime, {"magic-idx1-ubyte", "magic number 0x12340801"}},
      {"read_idx of a label file cut short",
       [dir] {
         write_bytes(dir / "short-idx1-ubyte", idx_labels(0x00000801, 10, 3));
         io::read_idx(dir / "short-idx1-ubyte");
       },
       kRuntime, {"short-idx1-ubyte", "truncated", "10 bytes", "got 3"}},
      {"read_idx of images where labels were expected",
       [dir] {
         write_bytes(dir / "images-idx3-ubyte", idx_labels(0x00000803, 1, 0) + std::string(8, '\1'));
         io::read_idx(dir / "images-idx3-ubyte", {.expected_ndim = 1});
       },
       kRuntime, {"images-idx3-ubyte", "0x00000803", "3 dimension(s)"}},
      {"read_idx of a truncated gzip file",
       [dir] {
         write_gzip(dir / "whole-idx1-ubyte.gz", idx_labels(0x00000801, 2000, 2000));
         const std::string bytes = read_bytes(dir / "whole-idx1-ubyte.gz");
         write_bytes(dir / "cut-idx1-ubyte.gz", bytes.substr(0, bytes.size() / 2));
         io::read_idx(dir / "cut-idx1-ubyte.gz");
       },
       kRuntime, {"cut-idx1-ubyte.gz", "truncated gzip"}},
  };
}

}  // namespace

TEST_CASE("bad-input catalogue: tensors") { check_mistakes(tensor_mistakes()); }

TEST_CASE("bad-input catalogue: ops") { check_mistakes(op_mistakes()); }

TEST_CASE("bad-input catalogue: layers") {
  layers::clear_session();
  check_mistakes(layer_mistakes());
}

TEST_CASE("bad-input catalogue: optimizers") { check_mistakes(optimizer_mistakes()); }

TEST_CASE("bad-input catalogue: models") {
  test::TempDir dir("catalogue_models");
  layers::clear_session();
  check_mistakes(model_mistakes(dir.path));
}

TEST_CASE("bad-input catalogue: files") {
  test::TempDir dir("catalogue_files");
  layers::clear_session();
  check_mistakes(file_mistakes(dir.path));
}

TEST_CASE("bad-input catalogue: at least 50 distinct mistakes, each with an argument and a value") {
  test::TempDir dir("catalogue_count");
  const std::vector<std::vector<Mistake>> areas = {tensor_mistakes(),    op_mistakes(),
                                                   layer_mistakes(),     optimizer_mistakes(),
                                                   model_mistakes(dir.path), file_mistakes(dir.path)};
  std::set<std::string> seen;
  std::size_t total = 0;
  for (const auto& table : areas) {
    CHECK(table.size() >= 5);  // every area is covered, not just the easy ones
    for (const auto& m : table) {
      INFO(m.what);
      CHECK(seen.insert(m.what).second);  // distinct
      CHECK(m.fragments.size() >= 2);     // at least the argument and the offending value
      CHECK(m.type != nullptr);
      ++total;
    }
  }
  CHECK(total >= 50);
}

// Not an exception: Keras's TerminateOnNaN prints a line and sets stop_training after the batch
// whose loss is NaN or infinite; fit returns normally with the history so far.
TEST_CASE("bad-input catalogue: models, NaN inputs stop training through TerminateOnNaN") {
  test::TempDir dir("catalogue_nan");
  layers::clear_session();
  auto [x, y] = test::regression_data(16);
  auto xv = x.to_vector<float>();
  xv[5 * 3] = std::numeric_limits<float>::quiet_NaN();  // sample 5: batch 1 without shuffling
  const Tensor x_nan = Tensor::from_vector(xv, {16, 3});
  optim::Model model = compiled();
  int batches = 0;
  // The callback reports on stdout (Keras's print_msg): capture file descriptor 1 around fit.
  std::fflush(stdout);
  const int saved = ::dup(1);
  REQUIRE(saved >= 0);
  const int fd = ::open((dir / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  ::dup2(fd, 1);
  ::close(fd);
  optim::History h;
  try {
    h = model.fit(x_nan, y,
                  {.batch_size = 4, .epochs = 3, .verbose = 0,
                   .callbacks = {optim::LambdaCallback({.on_train_batch_end = [&](int, optim::Logs&) { ++batches; }}),
                                 optim::TerminateOnNaN()},
                   .shuffle = false, .seed = 0});
  } catch (...) {
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    throw;
  }
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  CHECK(batches == 2);  // batch 0 is finite, batch 1 holds the NaN and is the last one run
  CHECK(model.stop_training);
  CHECK(h.epoch == std::vector<int>{0});
  REQUIRE(h.contains("loss"));
  CHECK(std::isnan(h["loss"][0]));
  CHECK(read_bytes(dir / "stdout.txt") == "Batch 1: Invalid loss, terminating training\n");
}

// A save that fails after the new bytes are written (the disk fills, the process is stopped) must
// leave the previous file as it was: simulated with the test hook between fsync and rename.
TEST_CASE("bad-input catalogue: files, a failed save keeps the previous model file") {
  test::TempDir dir("catalogue_atomic");
  layers::clear_session();
  optim::Model model = compiled();
  model.save(dir / "m.safetensors");
  const std::string before = read_bytes(dir / "m.safetensors");
  model.set_weights([&] {
    auto w = model.get_weights();
    for (auto& t : w) t.fill_(0.5);
    return w;
  }());
  struct ClearHook {
    ~ClearHook() { io::detail::set_save_hook(nullptr); }
  } clear_hook;
  io::detail::set_save_hook([](const fs::path&) { throw std::runtime_error("simulated: no space left on device"); });
  REQUIRE_THROWS_WITH_ALL(model.save(dir / "m.safetensors"), std::runtime_error, "no space left");
  io::detail::set_save_hook(nullptr);
  CHECK(listing(dir.path) == std::set<std::string>{"m.safetensors"});
  CHECK(read_bytes(dir / "m.safetensors") == before);
  optim::Model loaded = optim::load_model(dir / "m.safetensors");
  CHECK_FALSE(test::same_values(loaded.get_weights(), model.get_weights()));
  // Folder form: the model file fails, so the readable config.json copy is not written either.
  io::detail::set_save_hook([](const fs::path& p) {
    if (p.filename().string().find("model.safetensors") != std::string::npos)
      throw std::runtime_error("simulated: no space left on device");
  });
  REQUIRE_THROWS_WITH_ALL(model.save(dir / "folder/"), std::runtime_error, "no space left");
  io::detail::set_save_hook(nullptr);
  CHECK(listing(dir / "folder").empty());
}
