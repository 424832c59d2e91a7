#include "minidl/layers/summary.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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
std::size_t display_columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Pads `s` to `width` display columns.
std::string pad_cell(const std::string& s, std::size_t width, bool right_align) {
  const std::size_t len = display_columns(s);
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

// One horizontal rule of the box: left corner, the columns' bars joined by `cross`, right corner.
std::string rule(const std::vector<SummaryColumn>& columns, const char* left, const char* bar, const char* cross,
                 const char* right) {
  std::string s = left;
  for (std::size_t i = 0; i < columns.size(); ++i) s += (i ? cross : "") + repeat(bar, columns[i].width + 2);
  return s + right + "\n";
}

// Keras's print_summary column widths (int(position * line_length) steps) and rich's reduction
// of an over-wide table (ratio_reduce with equal ratios, Python's round-half-even).
std::vector<SummaryColumn> keras_columns(std::vector<SummaryColumn> columns, const std::vector<double>& positions) {
  constexpr std::int64_t line_length = 76;
  std::vector<std::int64_t> padded;
  std::int64_t current = 0, total = 0;
  for (double p : positions) {
    const auto width = static_cast<std::int64_t>(p * static_cast<double>(line_length)) - current;
    current += width;
    padded.push_back(width + 2);
    total += width + 2;
  }
  const auto borders = static_cast<std::int64_t>(columns.size()) + 1;
  std::int64_t excess = total - (line_length - borders);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto remaining_ratio = static_cast<double>(columns.size() - i);
    const auto cut = excess > 0 ? static_cast<std::int64_t>(std::nearbyint(static_cast<double>(excess) / remaining_ratio)) : 0;
    padded[i] -= cut;
    excess -= cut;
    columns[i].width = static_cast<std::size_t>(padded[i] - 2);
  }
  return columns;
}

}  // namespace

std::vector<SummaryColumn> sequential_summary_columns() {
  return keras_columns({{"Layer (type)", 0}, {"Output Shape", 0}, {"Param #", 0, true}}, {0.45, 0.80, 1.0});
}

std::vector<SummaryColumn> graph_summary_columns() {
  return keras_columns({{"Layer (type)", 0}, {"Output Shape", 0}, {"Param #", 0, true}, {"Connected to", 0}},
                       {0.3, 0.56, 0.74, 1.0});
}

std::string param_count_cell(const Layer& layer) {
  return layer.built() ? with_commas(layer.count_params()) : "0 (unbuilt)";
}

std::string render_summary(const Layer& model, const SummaryTable& table, const std::optional<OptimizerParams>& optimizer) {
  const auto& columns = table.columns;
  const auto& rows = table.rows;
  std::string s = fmt::format("Model: \"{}\"\n", model.name());
  s += rule(columns, "┏", "━", "┳", "┓");
  s += "┃";
  for (const auto& c : columns) s += fmt::format(" {} ┃", pad_cell(c.header, c.width, c.right_align));
  s += '\n';
  s += rule(columns, "┡", "━", "╇", "┩");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<std::vector<std::string>> cells;
    std::size_t height = 0;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      cells.push_back(wrap_cell(c < rows[i].size() ? rows[i][c] : "", columns[c].width));
      height = std::max(height, cells.back().size());
    }
    for (std::size_t k = 0; k < height; ++k) {
      s += "│";
      for (std::size_t c = 0; c < columns.size(); ++c)
        s += fmt::format(" {} │", pad_cell(k < cells[c].size() ? cells[c][k] : "", columns[c].width, columns[c].right_align));
      s += "\n";
    }
    if (i + 1 < rows.size()) s += rule(columns, "├", "─", "┼", "┤");
  }
  s += rule(columns, "└", "─", "┴", "┘");
  std::int64_t trainable_count = 0, non_trainable_count = 0;
  for (const auto& v : model.trainable_weights()) trainable_count += v->value.numel();
  for (const auto& v : model.non_trainable_weights()) non_trainable_count += v->value.numel();
  const double elem = static_cast<double>(dtype_size(model.dtype()));
  const std::int64_t total = trainable_count + non_trainable_count + (optimizer ? optimizer->count : 0);
  const double total_bytes =
      static_cast<double>(trainable_count + non_trainable_count) * elem + (optimizer ? optimizer->bytes : 0.0);
  s += fmt::format(" Total params: {} ({})\n", with_commas(total), readable_bytes(total_bytes));
  s += fmt::format(" Trainable params: {} ({})\n", with_commas(trainable_count),
                   readable_bytes(static_cast<double>(trainable_count) * elem));
  s += fmt::format(" Non-trainable params: {} ({})\n", with_commas(non_trainable_count),
                   readable_bytes(static_cast<double>(non_trainable_count) * elem));
  if (optimizer)
    s += fmt::format(" Optimizer params: {} ({})\n", with_commas(optimizer->count), readable_bytes(optimizer->bytes));
  return s;
}

}  // namespace minidl::layers
