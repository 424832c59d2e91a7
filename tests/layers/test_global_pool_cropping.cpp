// GlobalAveragePooling2D, GlobalMaxPooling2D and Cropping2D: forward values against closed forms
// and plain loops written here, float64 gradchecks in both data formats, output shapes, Keras's
// get_config keys (keras/src/layers/pooling/base_global_pooling.py, reshaping/cropping2d.py), the
// round trip through optim::layer_from_config, and Keras's errors.
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "support/fixtures.h"

using namespace minidl;
using namespace minidl::layers;
using Inputs = std::vector<Tensor>;
using nlohmann::json;

namespace {

// A (N, H, W, C) or (N, C, H, W) tensor whose element (n, h, w, c) is f(n, h, w, c), whatever the layout.
template <class F>
Tensor image(std::int64_t N, std::int64_t H, std::int64_t W, std::int64_t C, bool channels_last, F f,
             DType dtype = DType::Float32) {
  std::vector<double> v;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t a = 0; a < (channels_last ? H : C); ++a)
      for (std::int64_t b = 0; b < (channels_last ? W : H); ++b)
        for (std::int64_t d = 0; d < (channels_last ? C : W); ++d)
          v.push_back(channels_last ? f(n, a, b, d) : f(n, b, d, a));
  const Shape s = channels_last ? Shape{N, H, W, C} : Shape{N, C, H, W};
  return Tensor::from_vector(v, s).to(dtype);
}

// Element (n, h, w, c) of an image in either layout.
double at(const Tensor& t, bool channels_last, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
  return channels_last ? t.value_at({n, h, w, c}) : t.value_at({n, c, h, w});
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

json serialized(const Layer& layer) { return {{"class_name", layer.class_name()}, {"config", layer.get_config()}}; }

const char* format_name(bool channels_last) { return channels_last ? "channels_last" : "channels_first"; }

}  // namespace

// ---- GlobalAveragePooling2D / GlobalMaxPooling2D ----

TEST_CASE("Global pooling: closed-form means and maxima in both data formats", "[layers][global_pooling]") {
  const std::int64_t N = 2, H = 3, W = 4, C = 5;
  // Increasing in h and w: the mean over the window is at its centre (h = 1, w = 1.5), the maximum
  // at its last corner (h = 2, w = 3).
  auto f = [](std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
    return 1000.0 * n + 100.0 * c + 10.0 * h + w;
  };
  for (bool cl : {true, false}) {
    INFO(format_name(cl));
    const Tensor x = image(N, H, W, C, cl, f);
    GlobalAveragePooling2D avg({.data_format = format_name(cl)});
    GlobalMaxPooling2D mx({.data_format = format_name(cl)});
    const Tensor a = avg(x), m = mx(x);
    REQUIRE(a.shape() == Shape{N, C});
    REQUIRE(m.shape() == Shape{N, C});
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t c = 0; c < C; ++c) {
        CHECK(a.value_at({n, c}) == 1000.0 * n + 100.0 * c + 10.0 * 1 + 1.5);
        CHECK(m.value_at({n, c}) == 1000.0 * n + 100.0 * c + 10.0 * 2 + 3);
      }
  }
}

TEST_CASE("Global pooling: arbitrary values against plain loops, with keepdims", "[layers][global_pooling]") {
  const std::int64_t N = 3, H = 5, W = 2, C = 4;
  // Not monotone: the maximum moves around the window from one (n, c) to the next.
  auto f = [](std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
    return std::sin(1.7 * static_cast<double>(h * W + w) + 0.9 * static_cast<double>(c) + 2.3 * static_cast<double>(n));
  };
  for (bool cl : {true, false}) {
    INFO(format_name(cl));
    const Tensor x = image(N, H, W, C, cl, f, DType::Float64);
    for (bool keep : {false, true}) {
      INFO("keepdims " << keep);
      GlobalAveragePooling2D avg({.data_format = format_name(cl), .keepdims = keep, .dtype = "float64"});
      GlobalMaxPooling2D mx({.data_format = format_name(cl), .keepdims = keep, .dtype = "float64"});
      const Tensor a = avg(x), m = mx(x);
      const Shape want = !keep ? Shape{N, C} : cl ? Shape{N, 1, 1, C} : Shape{N, C, 1, 1};
      REQUIRE(a.shape() == want);
      REQUIRE(m.shape() == want);
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t c = 0; c < C; ++c) {
          double sum = 0.0, best = -std::numeric_limits<double>::infinity();
          for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t w = 0; w < W; ++w) {
              sum += f(n, h, w, c);
              best = std::max(best, f(n, h, w, c));
            }
          const double got_a = keep ? at(a, cl, n, 0, 0, c) : a.value_at({n, c});
          const double got_m = keep ? at(m, cl, n, 0, 0, c) : m.value_at({n, c});
          CHECK(got_a == Approx(sum / (H * W)).epsilon(1e-14).margin(1e-15));
          CHECK(got_m == best);
        }
    }
  }
}

TEST_CASE("GlobalMaxPooling2D: NaN wins and tied maxima share the gradient, as minidl::max", "[layers][global_pooling]") {
  // One sample, 2x2 window, two channels (channels_last): channel 0 holds its maximum 3 twice,
  // channel 1 a NaN among 2, 0 and 5.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> values{3, 2, 1, nan, 3, 0, 0, 5};
  Tensor x = Tensor::from_vector(values, Shape{1, 2, 2, 2}).set_requires_grad();
  GlobalMaxPooling2D layer({.dtype = "float64"});
  const Tensor y = layer(x);
  CHECK(y.value_at({0, 0}) == 3.0);
  CHECK(std::isnan(y.value_at({0, 1})));
  y.sum().backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  // Channel 0 sits at the even positions: the two 3s share the gradient.
  CHECK(g[0] == 0.5);
  CHECK(g[2] == 0.0);
  CHECK(g[4] == 0.5);
  CHECK(g[6] == 0.0);
  // Whatever the reduction does with the NaN window, the layer does the same, element for element.
  Tensor r = Tensor::from_vector(values, Shape{1, 2, 2, 2}).set_requires_grad();
  max(r, {1, 2}).sum().backward();
  const std::vector<double> gr = r.grad().to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i);
    CHECK(std::isnan(g[i]) == std::isnan(gr[i]));
    if (!std::isnan(gr[i])) CHECK(g[i] == gr[i]);
  }
}

TEST_CASE("Global pooling gradients pass float64 gradcheck in both data formats", "[layers][global_pooling][gradcheck]") {
  for (bool cl : {true, false})
    for (bool keep : {false, true}) {
      const GlobalPooling2DOptions o{.data_format = format_name(cl), .keepdims = keep, .dtype = "float64"};
      GlobalAveragePooling2D avg(o);
      GlobalMaxPooling2D mx(o);
      // Random values: no ties, so the maximum is differentiable.
      const Tensor x = test::random_leaf(cl ? Shape{2, 3, 4, 3} : Shape{2, 3, 3, 4}, 61);
      const std::string label = fmt::format("{} keepdims={}", format_name(cl), keep);
      REQUIRE_GRADCHECK("GlobalAveragePooling2D " + label, [&avg](const Inputs& in) { return avg(in[0]); }, Inputs{x});
      REQUIRE_GRADCHECK("GlobalMaxPooling2D " + label, [&mx](const Inputs& in) { return mx(in[0]); }, Inputs{x});
    }
}

TEST_CASE("Global pooling: output shapes in both formats, with unknown extents", "[layers][global_pooling]") {
  CHECK(GlobalAveragePooling2D().compute_output_shape({-1, 7, 9, 3}) == Shape{-1, 3});
  CHECK(GlobalMaxPooling2D({.keepdims = true}).compute_output_shape({-1, 7, 9, 3}) == Shape{-1, 1, 1, 3});
  CHECK(GlobalAveragePooling2D({.data_format = "channels_first"}).compute_output_shape({4, 3, -1, 9}) == Shape{4, 3});
  CHECK(GlobalMaxPooling2D({.data_format = "channels_first", .keepdims = true}).compute_output_shape({4, 3, 7, 9}) ==
        Shape{4, 3, 1, 1});
  // Functional: the symbolic output shape.
  auto x = Input({6, 5, 8});
  CHECK(GlobalAveragePooling2D()(x).shape() == Shape{-1, 8});
  CHECK(GlobalMaxPooling2D({.data_format = "channels_first", .keepdims = true})(x).shape() == Shape{-1, 6, 1, 1});
}

TEST_CASE("Global pooling: Keras's get_config keys and a round trip through the registry", "[layers][global_pooling][config]") {
  clear_session();
  GlobalAveragePooling2D avg;
  GlobalMaxPooling2D mx({.data_format = "channels_first", .keepdims = true, .name = "gmp", .trainable = false,
                         .dtype = "float64"});
  CHECK(avg.name() == "global_average_pooling2d");  // Keras's automatic name
  const std::set<std::string> keras_keys{"name", "trainable", "dtype", "data_format", "keepdims"};
  for (const Layer* l : {static_cast<const Layer*>(&avg), static_cast<const Layer*>(&mx)}) {
    INFO(l->class_name());
    CHECK(keys_of(l->get_config()) == keras_keys);
    CHECK(l->count_params() == 0);
  }
  const json c = mx.get_config();
  CHECK(c["name"] == "gmp");
  CHECK(c["trainable"] == false);
  CHECK(c["dtype"]["config"]["name"] == "float64");
  CHECK(c["data_format"] == "channels_first");
  CHECK(c["keepdims"] == true);
  CHECK(avg.get_config()["data_format"] == "channels_last");
  CHECK(avg.get_config()["keepdims"] == false);

  for (const Layer* l : {static_cast<const Layer*>(&avg), static_cast<const Layer*>(&mx)}) {
    auto back = optim::layer_from_config(serialized(*l));
    REQUIRE(back->class_name() == l->class_name());
    CHECK(back->get_config() == l->get_config());
  }
  // A Keras file's config (no keepdims written by older versions): the defaults fill in.
  auto old = optim::layer_from_config({{"class_name", "GlobalMaxPooling2D"},
                                       {"config", {{"name", "g"}, {"data_format", "channels_last"}}}});
  CHECK(old->get_config()["keepdims"] == false);
  // Same results after the round trip.
  auto back = optim::layer_from_config(serialized(mx));
  const Tensor x = test::random_leaf({2, 3, 4, 5}, 7).detach();
  REQUIRE((*back)(x).to_vector<double>() == mx(x).to_vector<double>());
}

TEST_CASE("Global pooling: Keras's errors for rank and data_format", "[layers][global_pooling][errors]") {
  GlobalAveragePooling2D avg;
  REQUIRE_THROWS_WITH_ALL(avg(Tensor::zeros({2, 3, 4})), std::invalid_argument, "global_average_pooling2d",
                          "expected ndim=4", "found ndim=3", "(2, 3, 4)");
  GlobalMaxPooling2D mx({.name = "gmp"});
  REQUIRE_THROWS_WITH_ALL(mx.compute_output_shape({2, 3, 4, 5, 6}), std::invalid_argument, "gmp", "expected ndim=4",
                          "found ndim=5");
  REQUIRE_THROWS_WITH_ALL(GlobalMaxPooling2D({.data_format = "channels_middle"}), std::invalid_argument,
                          "GlobalMaxPooling2D", "data_format", "'channels_middle'");
  REQUIRE_THROWS_WITH_ALL(GlobalAveragePooling2D({.data_format = "NHWC"}), std::invalid_argument,
                          "GlobalAveragePooling2D", "data_format", "'NHWC'");
}

// ---- Cropping2D ----

TEST_CASE("Cropping2D keeps the window Keras keeps, in both data formats", "[layers][cropping2d]") {
  const std::int64_t N = 2, H = 6, W = 7, C = 3;
  auto f = [](std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
    return 1000.0 * n + 100.0 * c + 10.0 * h + w;
  };
  struct Case {
    Cropping2DArg cropping;
    std::int64_t top, bottom, left, right;
  };
  const std::vector<Case> cases = {
      {Cropping2DArg(), 0, 0, 0, 0},          // Keras's default ((0, 0), (0, 0))
      {2, 2, 2, 2, 2},                        // one int
      {{1, 2}, 1, 1, 2, 2},                   // (symmetric_height_crop, symmetric_width_crop)
      {{{1, 3}, {0, 4}}, 1, 3, 0, 4},         // ((top, bottom), (left, right))
      {{{0, 5}, {6, 0}}, 0, 5, 6, 0},         // down to one row and one column
  };
  for (bool cl : {true, false})
    for (const auto& k : cases) {
      INFO(format_name(cl) << " cropping ((" << k.top << ", " << k.bottom << "), (" << k.left << ", " << k.right
                           << "))");
      Cropping2D layer({.cropping = k.cropping, .data_format = format_name(cl)});
      const Tensor x = image(N, H, W, C, cl, f);
      const Tensor y = layer(x);
      const std::int64_t h = H - k.top - k.bottom, w = W - k.left - k.right;
      REQUIRE(y.shape() == (cl ? Shape{N, h, w, C} : Shape{N, C, h, w}));
      REQUIRE(layer.compute_output_shape(x.shape()) == y.shape());
      REQUIRE_FALSE(y.shares_storage(x));
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < h; ++i)
          for (std::int64_t j = 0; j < w; ++j)
            for (std::int64_t c = 0; c < C; ++c)
              REQUIRE(at(y, cl, n, i, j, c) == f(n, i + k.top, j + k.left, c));
    }
}

TEST_CASE("Cropping2D: the gradient reaches the kept window only", "[layers][cropping2d][gradcheck]") {
  for (bool cl : {true, false}) {
    INFO(format_name(cl));
    Cropping2D layer({.cropping = {{1, 0}, {2, 1}}, .data_format = format_name(cl), .dtype = "float64"});
    const Tensor x = test::random_leaf(cl ? Shape{2, 4, 5, 3} : Shape{2, 3, 4, 5}, 17);
    REQUIRE_GRADCHECK(std::string("Cropping2D ") + format_name(cl), [&layer](const Inputs& in) { return layer(in[0]); },
                      Inputs{x});
    // d(sum y)/dx: ones inside rows [1, 4) and columns [2, 4), zeros elsewhere.
    Tensor leaf = test::random_leaf(x.shape(), 18);
    layer(leaf).sum().backward();
    const Tensor g = leaf.grad();
    for (std::int64_t n = 0; n < 2; ++n)
      for (std::int64_t h = 0; h < 4; ++h)
        for (std::int64_t w = 0; w < 5; ++w)
          for (std::int64_t c = 0; c < 3; ++c)
            REQUIRE(at(g, cl, n, h, w, c) == ((h >= 1 && w >= 2 && w < 4) ? 1.0 : 0.0));
  }
  // Every crop spelling, float64 gradcheck once more on asymmetric crops in channels_first.
  Cropping2D sym({.cropping = {1, 2}, .data_format = "channels_first", .dtype = "float64"});
  REQUIRE_GRADCHECK("Cropping2D (1, 2)", [&sym](const Inputs& in) { return sym(in[0]); },
                    Inputs{test::random_leaf({1, 2, 4, 6}, 19)});
}

TEST_CASE("Cropping2D: output shapes in both formats, with unknown extents", "[layers][cropping2d]") {
  Cropping2D last({.cropping = {{1, 2}, {3, 4}}});
  CHECK(last.compute_output_shape({-1, 10, 10, 3}) == Shape{-1, 7, 3, 3});
  CHECK(last.compute_output_shape({-1, -1, 10, 3}) == Shape{-1, -1, 3, 3});
  Cropping2D first({.cropping = {{1, 2}, {3, 4}}, .data_format = "channels_first"});
  CHECK(first.compute_output_shape({5, 3, 10, 11}) == Shape{5, 3, 7, 4});
  CHECK(first.compute_output_shape({5, 3, 10, -1}) == Shape{5, 3, 7, -1});
  auto x = Input({8, 9, 2});
  CHECK(Cropping2D({.cropping = 2})(x).shape() == Shape{-1, 4, 5, 2});
}

TEST_CASE("Cropping2D: get_config writes ((top, bottom), (left, right)) and loads back", "[layers][cropping2d][config]") {
  clear_session();
  CHECK(Cropping2D().name() == "cropping2d");  // Keras's automatic name
  const std::set<std::string> keras_keys{"name", "trainable", "dtype", "cropping", "data_format"};
  CHECK(keys_of(Cropping2D().get_config()) == keras_keys);
  CHECK(Cropping2D().get_config()["cropping"] == json::parse("[[0, 0], [0, 0]]"));
  CHECK(Cropping2D({.cropping = 2}).get_config()["cropping"] == json::parse("[[2, 2], [2, 2]]"));
  CHECK(Cropping2D({.cropping = {1, 2}}).get_config()["cropping"] == json::parse("[[1, 1], [2, 2]]"));
  CHECK(Cropping2D({.cropping = {{1, 2}, {3, 4}}}).get_config()["cropping"] == json::parse("[[1, 2], [3, 4]]"));
  CHECK(Cropping2D().count_params() == 0);

  Cropping2D layer({.cropping = {{1, 2}, {0, 3}}, .data_format = "channels_first", .name = "crop", .dtype = "float64"});
  const json c = layer.get_config();
  CHECK(c["data_format"] == "channels_first");
  auto back = optim::layer_from_config(serialized(layer));
  REQUIRE(back->class_name() == "Cropping2D");
  CHECK(back->get_config() == c);
  const Tensor x = test::random_leaf({2, 3, 5, 6}, 5).detach();
  REQUIRE((*back)(x).to_vector<double>() == layer(x).to_vector<double>());
  // Keras's other spellings in a hand-written config.
  for (const auto& [spelled, normal] : std::vector<std::pair<const char*, const char*>>{
           {"2", "[[2, 2], [2, 2]]"}, {"[1, 3]", "[[1, 1], [3, 3]]"}, {"[[1, 3], 2]", "[[1, 3], [2, 2]]"}}) {
    INFO(spelled);
    auto l = optim::layer_from_config({{"class_name", "Cropping2D"}, {"config", {{"cropping", json::parse(spelled)}}}});
    CHECK(l->get_config()["cropping"] == json::parse(normal));
  }
}

TEST_CASE("Cropping2D: a model summary counts no parameters", "[layers][cropping2d][global_pooling][summary]") {
  clear_session();
  Sequential model({.input_shape = Shape{8, 9, 4}});
  model.add(Cropping2D({.cropping = {{1, 2}, {3, 0}}}));
  model.add(GlobalMaxPooling2D({.keepdims = true}));
  model.add(GlobalAveragePooling2D());
  const std::string s = model.summary_string();
  INFO(s);
  // The first line of a layer's row: its cells between the box bars are (layer, output shape, params).
  auto row_has = [&s](const std::string& layer, const std::string& shape) {
    const std::string bar = "│";
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) {
      if (line.find(layer) == std::string::npos) continue;
      std::vector<std::string> cells;
      for (std::size_t pos = line.find(bar), next; pos != std::string::npos && (next = line.find(bar, pos + bar.size())) != std::string::npos; pos = next) {
        std::string cell = line.substr(pos + bar.size(), next - pos - bar.size());
        cell.erase(0, cell.find_first_not_of(' '));
        cell.erase(cell.find_last_not_of(' ') + 1);
        cells.push_back(cell);
      }
      return cells.size() == 3 && cells[1] == shape && cells[2] == "0";
    }
    return false;
  };
  CHECK(row_has("cropping2d (Cropping2D)", "(None, 5, 6, 4)"));
  CHECK(row_has("global_max_pooling2d", "(None, 1, 1, 4)"));
  CHECK(row_has("global_average_pooling2d", "(None, 4)"));
  CHECK(s.find("Total params: 0 (0.00 B)") != std::string::npos);
  CHECK(model.count_params() == 0);
}

TEST_CASE("Cropping2D: Keras's errors name the argument and the value", "[layers][cropping2d][errors]") {
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.cropping = -1}), std::invalid_argument, "Cropping2D",
                          "`cropping` cannot be negative", "Received: cropping=-1");
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.cropping = {-1, 2}}), std::invalid_argument, "`1st entry of cropping`",
                          "Received 1st entry of cropping=-1,", "{-1}", "value >= 0");
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.cropping = {{0, 0}, {1, -2}}}), std::invalid_argument,
                          "`2nd entry of cropping`", "Received 2nd entry of cropping=(1, -2)", "{-2}");
  // Cropping that leaves nothing: at the call, and symbolically when the extent is known.
  Cropping2D whole({.cropping = {{2, 2}, {0, 0}}, .name = "crop"});
  REQUIRE_THROWS_WITH_ALL(whole(Tensor::zeros({1, 4, 5, 3})), std::invalid_argument, "crop",
                          "Values in `cropping` argument should be smaller", "input_shape=(1, 4, 5, 3)",
                          "cropping=((2, 2), (0, 0))");
  Cropping2D wide({.cropping = {{0, 0}, {4, 3}}, .data_format = "channels_first"});
  REQUIRE_THROWS_WITH_ALL(wide.compute_output_shape({-1, 3, 9, 6}), std::invalid_argument, "should be smaller",
                          "input_shape=(None, 3, 9, 6)", "cropping=((0, 0), (4, 3))");
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.cropping = 3})(Input({6, 6, 1})), std::invalid_argument, "should be smaller",
                          "input_shape=(None, 6, 6, 1)", "cropping=((3, 3), (3, 3))");
  // Rank: Keras's InputSpec(ndim=4).
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.name = "c3"})(Tensor::zeros({4, 5, 6})), std::invalid_argument, "c3",
                          "expected ndim=4", "found ndim=3");
  REQUIRE_THROWS_WITH_ALL(Cropping2D({.data_format = "channels_middle"}), std::invalid_argument, "Cropping2D",
                          "data_format", "'channels_middle'");
  // The config reader's forms.
  auto load = [](const char* cropping) {
    return optim::layer_from_config({{"class_name", "Cropping2D"}, {"config", {{"cropping", json::parse(cropping)}}}});
  };
  REQUIRE_THROWS_WITH_ALL(load("[1, 2, 3]"), std::invalid_argument, "`cropping` should have two elements",
                          "cropping=[1,2,3]");
  REQUIRE_THROWS_WITH_ALL(load("\"same\""), std::invalid_argument, "`cropping` should be either an int",
                          "cropping=\"same\"");
  REQUIRE_THROWS_WITH_ALL(load("[[1, 2, 3], [0, 0]]"), std::invalid_argument, "`1st entry of cropping`",
                          "cropping=[1,2,3]");
  REQUIRE_THROWS_WITH_ALL(load("[[1, 2], [-1, 0]]"), std::invalid_argument, "`2nd entry of cropping`",
                          "cropping=(-1, 0)");
}
