#include "minidl/layers/sequential.h"

#include <algorithm>
#include <cstdio>

#include "minidl/core/error.h"

namespace minidl::layers {

namespace {

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Keras's readable_memory_size: 1024-based units, two decimals.
std::string readable_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return fmt::format("{:.2f} {}", bytes, units[u]);
}

// Display columns of UTF-8 text: one per code point ("…" is one column, three bytes).
std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Pads `s` to `width` display columns.
std::string pad_cell(const std::string& s, std::size_t width, bool right_align) {
  const std::size_t len = columns(s);
  const std::string fill = len < width ? std::string(width - len, ' ') : "";
  return right_align ? fill + s : s + fill;
}

// Keras prints its table with rich, whose columns keep their width: a longer cell wraps at spaces
// onto continuation lines ("conv2d_transpose" / "(Conv2DTranspose)"), and a word longer than the
// column gets a line of its own, cut short with an ellipsis (rich's default overflow).
std::vector<std::string> wrap_cell(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() <= width) {
      line += " " + word;
      continue;
    }
    if (!line.empty()) lines.push_back(line);
    line.clear();
    if (word.size() > width) lines.push_back(word.substr(0, width - 1) + "…");
    else line = word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string repeat(const char* glyph, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += glyph;
  return out;
}

Shape with_batch(const Shape& s) {
  std::vector<std::int64_t> d{-1};
  d.insert(d.end(), s.begin(), s.end());
  return Shape(d);
}

}  // namespace

Sequential::Sequential(const SequentialOptions& options) : Layer("Sequential", common_options(options)) {}

Sequential::Sequential(std::vector<std::shared_ptr<Layer>> layers, const SequentialOptions& options)
    : Sequential(options) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(std::shared_ptr<Layer> layer) {
  if (!layer) throw_invalid_argument("Sequential.add: received a null layer");
  for (const auto& existing : layers_)
    if (existing->name() == layer->name())
      throw_invalid_argument("Sequential.add: all layers added to a Sequential model should have unique names; '{}' is "
                             "already in model '{}'",
                             layer->name(), name());
  if (built()) throw_invalid_argument("Sequential.add: model '{}' is already built; add layers before using it", name());
  layer->set_path_prefix(path() + "/");
  layers_.push_back(std::move(layer));
  // Like Keras: with a known input shape the model (and so every weight) is built right away.
  if (auto shape = input_shape_without_batch()) {
    Shape s = with_batch(*shape);
    for (auto& l : layers_) {
      l->build(s);
      s = l->compute_output_shape(s);
    }
  }
}

std::optional<Shape> Sequential::input_shape_without_batch() const {
  if (declared_input_shape()) return declared_input_shape();
  if (!layers_.empty()) return layers_.front()->declared_input_shape();
  return std::nullopt;
}

void Sequential::build_impl(const Shape& input_shape) {
  Shape s = input_shape;
  for (auto& l : layers_) {
    l->build(s);
    s = l->compute_output_shape(s);
  }
}

Tensor Sequential::call(const Tensor& x, bool training) {
  if (layers_.empty()) throw_invalid_argument("Sequential model '{}' has no layers; add some first", name());
  Tensor h = x;
  for (auto& l : layers_) h = (*l)(h, training);
  return h;
}

Shape Sequential::compute_output_shape(const Shape& input_shape) const {
  Shape s = input_shape;
  for (const auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

std::vector<VariablePtr> Sequential::weights() const {
  std::vector<VariablePtr> out;
  for (const auto& l : layers_) {
    auto w = l->weights();
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

std::vector<Tensor> Sequential::losses() const {
  // A frozen model still reports its layers' activity terms (as Keras); the layers themselves
  // leave out the penalties of weights that are not trainable.
  std::vector<Tensor> out;
  for (const auto& l : layers_) {
    auto w = l->losses();
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

void Sequential::set_trainable(bool trainable) {
  Layer::set_trainable(trainable);
  for (auto& l : layers_) l->set_trainable(trainable);
}

void Sequential::set_path_prefix(std::string prefix) {
  Layer::set_path_prefix(std::move(prefix));
  for (auto& l : layers_) l->set_path_prefix(path() + "/");
}

std::map<std::string, std::string> Sequential::rng_states() const {
  std::map<std::string, std::string> out;
  for (const auto& l : layers_) out.merge(l->rng_states());
  return out;
}

void Sequential::set_rng_states(const std::map<std::string, std::string>& states) {
  for (auto& l : layers_) l->set_rng_states(states);
}

nlohmann::json Sequential::get_config() const {
  nlohmann::json config = Layer::get_config();
  nlohmann::json layers = nlohmann::json::array();
  if (auto shape = input_shape_without_batch()) {
    nlohmann::json batch_shape = nlohmann::json::array({nullptr});
    for (auto d : *shape) batch_shape.push_back(d);
    layers.push_back({{"module", "keras.layers"},
                      {"class_name", "InputLayer"},
                      {"config", {{"batch_shape", batch_shape}, {"dtype", std::string(dtype_name(dtype()))},
                                  {"sparse", false}, {"ragged", false}, {"name", "input_layer"}}},
                      {"registered_name", nullptr}});
  }
  for (const auto& l : layers_)
    layers.push_back({{"module", "keras.layers"},
                      {"class_name", l->class_name()},
                      {"config", l->get_config()},
                      {"registered_name", nullptr}});
  config["layers"] = layers;
  return config;
}

std::string Sequential::summary_string() const {
  constexpr std::size_t w1 = 33, w2 = 24, w3 = 15;
  std::vector<std::array<std::string, 3>> rows;
  std::optional<Shape> shape;
  if (auto in = input_shape_without_batch()) shape = with_batch(*in);
  else if (built_input_shape_) shape = built_input_shape_;
  for (const auto& l : layers_) {
    std::string out = "?";
    if (shape) {
      shape = l->compute_output_shape(*shape);
      out = shape_str(*shape);
    }
    rows.push_back({fmt::format("{} ({})", l->name(), l->class_name()), out,
                    l->built() ? with_commas(l->count_params()) : "0 (unbuilt)"});
  }
  // Keras's widths when the terminal is unknown (80 columns): the table is 76 wide.
  const std::size_t c1 = w1 - 2, c2 = w2 - 2, c3 = w3 - 2;
  std::string s = fmt::format("Model: \"{}\"\n", name());
  s += "┏" + repeat("━", c1 + 2) + "┳" + repeat("━", c2 + 2) + "┳" + repeat("━", c3 + 2) + "┓\n";
  s += "┃ " + pad_cell("Layer (type)", c1, false) + " ┃ " + pad_cell("Output Shape", c2, false) + " ┃ " +
       pad_cell("Param #", c3, true) + " ┃\n";
  s += "┡" + repeat("━", c1 + 2) + "╇" + repeat("━", c2 + 2) + "╇" + repeat("━", c3 + 2) + "┩\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto name_lines = wrap_cell(rows[i][0], c1), shape_lines = wrap_cell(rows[i][1], c2),
               param_lines = wrap_cell(rows[i][2], c3);
    const std::size_t height = std::max({name_lines.size(), shape_lines.size(), param_lines.size()});
    auto line_of = [](const std::vector<std::string>& lines, std::size_t k) { return k < lines.size() ? lines[k] : ""; };
    for (std::size_t k = 0; k < height; ++k)
      s += "│ " + pad_cell(line_of(name_lines, k), c1, false) + " │ " + pad_cell(line_of(shape_lines, k), c2, false) +
           " │ " + pad_cell(line_of(param_lines, k), c3, true) + " │\n";
    if (i + 1 < rows.size())
      s += "├" + repeat("─", c1 + 2) + "┼" + repeat("─", c2 + 2) + "┼" + repeat("─", c3 + 2) + "┤\n";
  }
  s += "└" + repeat("─", c1 + 2) + "┴" + repeat("─", c2 + 2) + "┴" + repeat("─", c3 + 2) + "┘\n";
  std::int64_t trainable_count = 0, non_trainable_count = 0;
  for (const auto& v : trainable_weights()) trainable_count += v->value.numel();
  for (const auto& v : non_trainable_weights()) non_trainable_count += v->value.numel();
  const double elem = static_cast<double>(dtype_size(dtype()));
  const std::int64_t total = trainable_count + non_trainable_count;
  s += fmt::format(" Total params: {} ({})\n", with_commas(total), readable_bytes(static_cast<double>(total) * elem));
  s += fmt::format(" Trainable params: {} ({})\n", with_commas(trainable_count),
                   readable_bytes(static_cast<double>(trainable_count) * elem));
  s += fmt::format(" Non-trainable params: {} ({})\n", with_commas(non_trainable_count),
                   readable_bytes(static_cast<double>(non_trainable_count) * elem));
  return s;
}

void Sequential::summary() const { std::fputs(summary_string().c_str(), stdout); }

}  // namespace minidl::layers
