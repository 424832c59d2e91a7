// conv2d and conv2d_transpose against PyTorch (fixture from tests/reference/torch_conv.py: 120
// conv2d and 240 conv2d_transpose configurations, outputs and the three gradients; depthwise
// conv2d from tests/reference/torch_depthwise.py: 22 configurations), float64 gradchecks, Keras's
// geometry rules by hand, and argument errors.
#include "support/fixtures.h"

using namespace minidl;
using Inputs = std::vector<Tensor>;

namespace {

Pair pair_of(const nlohmann::json& j) { return {j[0].get<std::int64_t>(), j[1].get<std::int64_t>()}; }

Tensor from_flat(const nlohmann::json& values, const Shape& shape) {
  return Tensor::from_vector(values.get<std::vector<double>>(), shape).to(DType::Float32);
}

// |a - e| <= 1e-4 |e| + 1e-5 max|e|: relative agreement, with a floor scaled to the tensor for
// elements that cancel to ~0.
void require_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  double scale = 0;
  for (double v : expected.to(DType::Float64).to_vector<double>()) scale = std::max(scale, std::abs(v));
  const auto c = test::compare(actual, expected, 1e-4, 1e-5 * scale + 1e-7);
  INFO(what << ": " << c.detail);
  REQUIRE(c.ok);
}

Tensor run_case(const nlohmann::json& c, const Tensor& x, const Tensor& k, const Tensor& b) {
  const bool first = c["channels_first"].get<bool>();
  const Tensor xin = first ? permute(x, {0, 3, 1, 2}) : x;
  const std::string format = first ? "channels_first" : "channels_last";
  const auto pad = c["padding"].get<std::vector<std::int64_t>>();
  Tensor y;
  if (c["kind"] == "conv2d")
    y = conv2d(xin, k, b,
               {.strides = pair_of(c["strides"]), .dilation_rate = pair_of(c["dilation"]),
                .padding = {pad[0], pad[1], pad[2], pad[3]}, .data_format = format,
                .groups = c["groups"].get<std::int64_t>()});
  else
    y = conv2d_transpose(xin, k, b,
                         {.strides = pair_of(c["strides"]), .dilation_rate = pair_of(c["dilation"]),
                          .padding = {pad[0], pad[1], pad[2], pad[3]}, .output_padding = pair_of(c["output_padding"]),
                          .data_format = format});
  return first ? permute(y, {0, 2, 3, 1}) : y;
}

int check_against_torch(const std::string& fixture, const std::string& kind) {
  const auto fx = test::load_fixture(fixture);
  int checked = 0;
  for (const auto& c : fx["cases"]) {
    if (c["kind"] != kind) continue;
    const std::int64_t n = c["n"], h = c["h"], w = c["w"], ci = c["cin"], co = c["cout"], groups = c["groups"];
    const Pair ks = pair_of(c["kernel"]);
    const std::int64_t seed = c["seed"];
    const Shape kshape = kind == "conv2d" ? Shape{ks[0], ks[1], ci / groups, co} : Shape{ks[0], ks[1], co, ci};
    Tensor x = test::pattern({n, h, w, ci}, seed).set_requires_grad();
    Tensor k = test::pattern(kshape, seed + 1).set_requires_grad();
    Tensor b = test::pattern({co}, seed + 2).set_requires_grad();
    INFO("case " << c.dump().substr(0, 260));
    Tensor y = run_case(c, x, k, b);
    const auto ys = c["y_shape"].get<std::vector<std::int64_t>>();
    const Shape yshape(ys.begin(), ys.end());
    REQUIRE(y.shape() == yshape);
    require_matches(y, from_flat(c["y"], yshape), "output");
    y.backward(test::pattern(yshape, seed + 3));
    require_matches(x.grad(), from_flat(c["dx"], x.shape()), "input gradient");
    require_matches(k.grad(), from_flat(c["dk"], kshape), "kernel gradient");
    require_matches(b.grad(), from_flat(c["db"], {co}), "bias gradient");
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("conv2d matches PyTorch on 120 configurations", "[conv2d]") {
  REQUIRE(check_against_torch("torch_conv.json", "conv2d") >= 100);
}

TEST_CASE("conv2d_transpose matches PyTorch on 240 configurations", "[conv2d]") {
  REQUIRE(check_against_torch("torch_conv.json", "conv2d_transpose") >= 200);
}

// groups == input channels runs on the direct depthwise loops (core/kernels/depthwise_conv2d.h).
TEST_CASE("depthwise conv2d matches PyTorch on 22 configurations", "[conv2d][depthwise]") {
  REQUIRE(check_against_torch("torch_depthwise.json", "conv2d") == 22);
}

TEST_CASE("conv2d passes float64 gradchecks", "[conv2d][gradcheck]") {
  struct Case {
    const char* label;
    Shape x, k;
    Conv2dOptions o;
  };
  const std::vector<Case> cases = {
      {"3x3 stride 1", {2, 5, 4, 3}, {3, 3, 3, 2}, {}},
      {"stride 2 asymmetric padding", {1, 6, 5, 2}, {3, 2, 2, 3}, {.strides = {2, 2}, .padding = {1, 0, 0, 1}}},
      {"dilation 2, non-square", {2, 7, 5, 2}, {2, 3, 2, 2}, {.dilation_rate = {2, 1}, .padding = {0, 1, 1, 1}}},
      {"groups 2", {1, 4, 4, 4}, {2, 2, 2, 6}, {.strides = {1, 2}, .groups = 2}},
      {"1x1 pointwise", {2, 3, 3, 4}, {1, 1, 4, 3}, {}},
      {"GEMM path (9 filters)", {2, 4, 5, 2}, {3, 3, 2, 9}, {.strides = {2, 1}, .padding = {1, 1, 0, 2}}},
      {"direct path, dilated", {1, 6, 6, 3}, {2, 2, 3, 2}, {.strides = {1, 2}, .dilation_rate = {2, 2}, .padding = {1, 0, 1, 1}}},
      {"direct path, 19 channels (vector blocks and a tail)", {1, 4, 5, 19}, {3, 3, 19, 2}, {.strides = {2, 1}, .padding = {1, 1, 1, 0}}},
      {"kernel larger than input", {1, 2, 2, 1}, {3, 3, 1, 2}, {.padding = {1, 1, 1, 1}}},
      {"1x1 input", {3, 1, 1, 2}, {1, 1, 2, 2}, {.strides = {3, 3}}},
      {"channels_first", {2, 3, 5, 4}, {3, 2, 3, 2}, {.strides = {2, 1}, .padding = {1, 1, 0, 1}, .data_format = "channels_first"}},
  };
  for (const auto& c : cases) {
    Tensor x = test::random_leaf(c.x, 1), k = test::random_leaf(c.k, 2), b = test::random_leaf({c.k[3]}, 3);
    REQUIRE_GRADCHECK(c.label, [o = c.o](const Inputs& in) { return conv2d(in[0], in[1], in[2], o); }, Inputs{x, k, b});
  }
}

TEST_CASE("depthwise conv2d passes float64 gradchecks", "[conv2d][depthwise][gradcheck]") {
  struct Case {
    const char* label;
    Shape x, k;  // x in the case's data format; k is (kh, kw, 1, channels * depth_multiplier)
    Conv2dOptions o;
  };
  const std::vector<Case> cases = {
      {"NHWC 3x3 same", {2, 5, 4, 3}, {3, 3, 1, 3}, {.padding = {1, 1, 1, 1}, .groups = 3}},
      {"NCHW 3x3 same", {2, 3, 5, 4}, {3, 3, 1, 3}, {.padding = {1, 1, 1, 1}, .data_format = "channels_first", .groups = 3}},
      {"NHWC stride 2, asymmetric padding", {1, 7, 6, 2}, {3, 3, 1, 2}, {.strides = {2, 2}, .padding = {0, 1, 1, 0}, .groups = 2}},
      {"NCHW stride 2, asymmetric padding", {1, 2, 7, 6}, {3, 3, 1, 2}, {.strides = {2, 2}, .padding = {0, 1, 1, 0}, .data_format = "channels_first", .groups = 2}},
      {"NHWC dilation 2, multiplier 3", {2, 6, 7, 2}, {3, 2, 1, 6}, {.dilation_rate = {2, 2}, .padding = {2, 1, 0, 2}, .groups = 2}},
      {"NCHW dilation 2, multiplier 3", {2, 2, 6, 7}, {3, 2, 1, 6}, {.dilation_rate = {2, 2}, .padding = {2, 1, 0, 2}, .data_format = "channels_first", .groups = 2}},
      {"NHWC strides (1, 2), multiplier 3, batch 1", {1, 5, 6, 3}, {2, 3, 1, 9}, {.strides = {1, 2}, .padding = {1, 0, 1, 1}, .groups = 3}},
      {"NCHW strides (2, 1), multiplier 3, batch 1", {1, 3, 6, 5}, {2, 3, 1, 9}, {.strides = {2, 1}, .padding = {0, 1, 2, 0}, .data_format = "channels_first", .groups = 3}},
      {"NHWC kernel larger than input", {1, 2, 2, 2}, {4, 3, 1, 2}, {.padding = {2, 1, 1, 1}, .groups = 2}},
      {"NCHW kernel larger than input", {1, 2, 2, 2}, {4, 3, 1, 6}, {.padding = {2, 1, 1, 1}, .data_format = "channels_first", .groups = 2}},
      {"NHWC 19 channels (vector blocks and a tail)", {1, 4, 3, 19}, {3, 3, 1, 19}, {.strides = {2, 1}, .padding = {1, 1, 1, 1}, .groups = 19}},
  };
  for (const auto& c : cases) {
    Tensor x = test::random_leaf(c.x, 7), k = test::random_leaf(c.k, 8), b = test::random_leaf({c.k[3]}, 9);
    REQUIRE_GRADCHECK(c.label, [o = c.o](const Inputs& in) { return conv2d(in[0], in[1], in[2], o); }, Inputs{x, k, b});
  }
}

// The kernel gradient sums over the batch in fixed blocks, not per thread: bit-identical results.
TEST_CASE("depthwise conv2d gives the same bits for any thread count", "[conv2d][depthwise]") {
  const int saved_threads = get_num_threads();
  for (const std::string format : {"channels_last", "channels_first"}) {
    auto run = [&](int threads) {
      set_num_threads(threads);
      const Shape xs = format == "channels_last" ? Shape{9, 6, 7, 5} : Shape{9, 5, 6, 7};
      Tensor x = test::pattern(xs, 11).set_requires_grad(), k = test::pattern({3, 3, 1, 10}, 12).set_requires_grad();
      Tensor y = conv2d(x, k, {}, {.strides = {1, 2}, .padding = {1, 1, 1, 1}, .data_format = format, .groups = 5});
      y.backward(test::pattern(y.shape(), 13));
      return std::vector<Tensor>{y, x.grad(), k.grad()};
    };
    const auto one = run(1), three = run(3);
    for (std::size_t i = 0; i < one.size(); ++i) REQUIRE(one[i].to_vector<float>() == three[i].to_vector<float>());
  }
  set_num_threads(saved_threads);
}

TEST_CASE("conv2d_transpose passes float64 gradchecks", "[conv2d][gradcheck]") {
  struct Case {
    const char* label;
    Shape x, k;
    Conv2dTransposeOptions o;
  };
  const std::vector<Case> cases = {
      {"k3 s2 same-like", {2, 3, 3, 2}, {3, 3, 3, 2}, {.strides = {2, 2}, .padding = {1, 1, 1, 1}, .output_padding = {1, 1}}},
      {"asymmetric crop", {1, 4, 3, 2}, {3, 2, 2, 2}, {.strides = {2, 3}, .padding = {0, 1, 1, 0}}},
      {"dilation", {2, 3, 4, 1}, {2, 3, 2, 1}, {.dilation_rate = {2, 3}, .padding = {1, 0, 0, 2}}},
      {"stride larger than kernel", {1, 3, 2, 2}, {2, 1, 1, 2}, {.strides = {3, 4}, .output_padding = {2, 0}}},
      {"1x1 input, batch 1", {1, 1, 1, 3}, {4, 4, 2, 3}, {.strides = {2, 2}, .padding = {1, 1, 1, 1}}},
      {"channels_first", {2, 2, 3, 3}, {3, 3, 2, 2}, {.strides = {2, 1}, .padding = {1, 0, 1, 1}, .data_format = "channels_first"}},
  };
  for (const auto& c : cases) {
    Tensor x = test::random_leaf(c.x, 4), k = test::random_leaf(c.k, 5), b = test::random_leaf({c.k[2]}, 6);
    REQUIRE_GRADCHECK(c.label, [o = c.o](const Inputs& in) { return conv2d_transpose(in[0], in[1], in[2], o); },
                      Inputs{x, k, b});
  }
}

TEST_CASE("conv2d_transpose by hand: the spec's worked example", "[conv2d]") {
  // k=3 ([1, 2, 3]), s=2, Keras 'same', n=3, ones: the full scatter is [1, 2, 4, 2, 4, 2, 3];
  // Keras keeps O = 6 positions starting at P = 0.
  const auto geo = keras_conv_transpose_geometry("same", {1, 3}, {1, 3}, {1, 2}, {1, 1}, std::nullopt);
  REQUIRE(geo.output_hw == Pair{1, 6});
  const Tensor x = Tensor::ones({1, 1, 3, 1});
  const Tensor k = Tensor::from_vector(std::vector<float>{1, 2, 3}, {1, 3, 1, 1});
  const Tensor y = conv2d_transpose(x, k, {}, {.strides = {1, 2}, .padding = geo.padding, .output_padding = geo.output_padding});
  REQUIRE(y.to_vector<float>() == std::vector<float>{1, 2, 4, 2, 4, 2});
}

TEST_CASE("Keras's 'same' and 'valid' geometry", "[conv2d]") {
  // forward 'same': out = ceil(n / s), the odd pixel of padding at the bottom/right
  REQUIRE(keras_conv_padding("same", {5, 6}, {3, 4}, {2, 1}, {1, 1}) == Padding4{1, 1, 1, 2});
  REQUIRE(keras_conv_padding("SAME", {4, 4}, {2, 2}, {2, 2}, {1, 1}) == Padding4{0, 0, 0, 0});
  REQUIRE(keras_conv_output_length("valid", 7, 3, 2, 1) == 3);
  REQUIRE(keras_conv_output_length("same", 7, 3, 2, 1) == 4);
  // transpose output lengths, spec table 1.1 and Keras's own shape tests
  REQUIRE(keras_conv_transpose_output_length("valid", 8, 2, 2, 1, std::nullopt) == 16);
  REQUIRE(keras_conv_transpose_output_length("same", 8, 2, 3, 1, 2) == 23);
  REQUIRE(keras_conv_transpose_output_length("valid", 14, 7, 16, 1, std::nullopt) == 224);
  REQUIRE(keras_conv_transpose_output_length("valid", 4, 2, 5, 1, 4) == 21);
  REQUIRE(keras_conv_transpose_output_length("same", 3, 2, 1, 1, 0) == 2);  // op=0 with even ke: n - 1
  // the k=7, s=16, same, op=2 case: O = 13*16 + 1 + 2 = 211 and P = 2
  const auto g = keras_conv_transpose_geometry("same", {14, 14}, {7, 7}, {16, 16}, {1, 1}, Pair{2, 2});
  REQUIRE(g.output_hw == Pair{211, 211});
  REQUIRE(g.padding == Padding4{2, 2, 2, 2});  // full length 13*16 + 7 = 215: crop 2 + 2
}

TEST_CASE("the tf.keras dilation example", "[conv2d]") {
  // tf_keras conv_transpose_test: input arange(48) (1,4,4,3), 1 filter, k=3, same, dilation 2,
  // kernel of ones, zero bias -> rows [192, 228, 192, 228] / [336, 372, 336, 372].
  const Tensor x = Tensor::arange(0, 48).reshape({1, 4, 4, 3});
  const auto g = keras_conv_transpose_geometry("same", {4, 4}, {3, 3}, {1, 1}, {2, 2}, std::nullopt);
  const Tensor y = conv2d_transpose(x, Tensor::ones({3, 3, 1, 3}), {},
                                    {.dilation_rate = {2, 2}, .padding = g.padding, .output_padding = g.output_padding});
  REQUIRE(y.to_vector<float>() == std::vector<float>{192, 228, 192, 228, 336, 372, 336, 372, 192, 228, 192, 228,
                                                     336, 372, 336, 372});
}

TEST_CASE("the direct loops (<= 8 filters) equal the im2col + GEMM path on wide float32 inputs", "[conv2d]") {
  // 3 filters take the direct loops; the same 3 plus 6 zero filters take im2col + GEMM. 37 and 21
  // input channels exercise the 16-wide float32 blocks and a tail; rows of 7 and 19 columns the
  // 4-column blocks (interior columns) and the single columns next to the padding.
  struct Case {
    Shape x, k;
    Conv2dOptions o;
  };
  const Case cases[] = {
      {{2, 9, 7, 37}, {3, 3, 37, 3}, {.strides = {2, 1}, .dilation_rate = {1, 1}, .padding = {1, 2, 0, 1}}},
      {{1, 6, 19, 21}, {3, 4, 21, 3}, {.strides = {1, 2}, .dilation_rate = {1, 1}, .padding = {0, 1, 2, 1}}},
      {{1, 7, 19, 21}, {2, 3, 21, 3}, {.strides = {1, 1}, .dilation_rate = {2, 3}, .padding = {1, 0, 3, 2}}},
  };
  Generator rng(5);
  for (const auto& c : cases) {
    CAPTURE(c.x, c.o.strides, c.o.dilation_rate);
    const Tensor x0 = Tensor::randn(c.x, rng), k0 = Tensor::randn(c.k, rng), b0 = Tensor::randn({3}, rng);
    Tensor x_direct = x0.deep_copy().set_requires_grad(), k_direct = k0.deep_copy().set_requires_grad();
    Tensor x_gemm = x0.deep_copy().set_requires_grad();
    Tensor k_gemm = concat({k0, Tensor::zeros({c.k[0], c.k[1], c.k[2], 6})}, 3).set_requires_grad();
    const Tensor y_direct = conv2d(x_direct, k_direct, b0, c.o);
    const Tensor y_gemm = slice(conv2d(x_gemm, k_gemm, concat({b0, Tensor::zeros({6})}, 0), c.o), 3, 0, 3);
    REQUIRE_CLOSE(y_direct, y_gemm, 1e-5, 1e-4);
    const Tensor w = Tensor::randn(y_direct.shape(), rng);
    (y_direct * w).sum().backward();
    (y_gemm * w).sum().backward();
    REQUIRE_CLOSE(x_direct.grad(), x_gemm.grad(), 1e-5, 1e-4);
    REQUIRE_CLOSE(k_direct.grad(), slice(k_gemm.grad(), 3, 0, 3), 1e-5, 1e-4);
  }
}

TEST_CASE("large batches are chunked under the scratch limit", "[conv2d]") {
  // 600 images whose columns take 3*3*32*28*28*4 B = 0.9 MB each: 540 MB unchunked.
  reset_scratch_peak();
  const Tensor x = Tensor::randn({600, 28, 28, 32});
  const Tensor k = Tensor::randn({3, 3, 32, 8});
  const Tensor y = conv2d(x, k, {}, {.padding = {1, 1, 1, 1}});
  REQUIRE(scratch_peak_bytes() <= kMaxScratchBytes * 2);  // per thread, at most two slots
  // chunking must not change the numbers: the last image equals a single-image call
  const Tensor last = conv2d(slice(x, 0, 599, 600), k, {}, {.padding = {1, 1, 1, 1}});
  REQUIRE_CLOSE(slice(y, 0, 599, 600), last, 1e-6, 1e-6);
}

TEST_CASE("conv errors name the argument and the value", "[conv2d][errors]") {
  const Tensor x = Tensor::ones({1, 5, 5, 3});
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 2, 4})), std::invalid_argument, "expects 2 input channels",
                          "has 3");
  REQUIRE_THROWS_WITH_ALL(conv2d(Tensor::ones({5, 5, 3}), Tensor::ones({3, 3, 3, 4})), std::invalid_argument,
                          "input must be 4-D", "(5, 5, 3)");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3})), std::invalid_argument, "kernel must be 4-D");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3, 4}), {}, {.strides = {0, 1}}), std::invalid_argument,
                          "strides must be >= 1", "(0, 1)");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({7, 7, 3, 4})), std::invalid_argument, "larger than the padded input");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 1, 4}), {}, {.groups = 2}), std::invalid_argument, "groups=2",
                          "must divide");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3, 4}), Tensor::ones({3})), std::invalid_argument, "bias",
                          "(4,)");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3, 4}), {}, {.data_format = "NHWC"}), std::invalid_argument,
                          "data_format", "NHWC");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3, 4}, DType::Float64)), std::invalid_argument, "float32",
                          "float64");
  REQUIRE_THROWS_WITH_ALL(conv2d(x, Tensor::ones({3, 3, 3, 4}), {}, {.padding = {-1, 0, 0, 0}}), std::invalid_argument,
                          "padding must be >= 0");

  const Tensor k = Tensor::ones({3, 3, 2, 3});
  REQUIRE_THROWS_WITH_ALL(conv2d_transpose(x, k, {}, {.strides = {2, 2}, .output_padding = {2, 0}}),
                          std::invalid_argument, "output_padding", "(2, 0)", "strides=(2, 2)");
  REQUIRE_THROWS_WITH_ALL(conv2d_transpose(x, k, {}, {.strides = {2, 1}, .dilation_rate = {1, 2}}),
                          std::invalid_argument, "strides > 1 cannot be combined with dilation_rate > 1");
  REQUIRE_THROWS_WITH_ALL(conv2d_transpose(x, Tensor::ones({3, 3, 2, 4})), std::invalid_argument,
                          "expects 4 input channels", "has 3");
  REQUIRE_THROWS_WITH_ALL(conv2d_transpose(x, k, {}, {.padding = {4, 4, 0, 0}}), std::invalid_argument,
                          "crops the whole output");
  REQUIRE_THROWS_WITH_ALL(conv2d_transpose(x, Tensor::ones({0, 3, 2, 3})), std::invalid_argument,
                          "kernel extents must be >= 1");
  REQUIRE_THROWS_WITH_ALL(keras_conv_transpose_geometry("causal", {1, 1}, {1, 1}, {1, 1}, {1, 1}, std::nullopt),
                          std::invalid_argument, "causal");
  REQUIRE_THROWS_WITH_ALL(keras_conv_padding("full", {1, 1}, {1, 1}, {1, 1}, {1, 1}), std::invalid_argument,
                          "padding must be 'valid' or 'same'", "full");
}
