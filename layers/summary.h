#pragma once
// Keras's model.summary() table, as Keras prints it without a terminal: rich's box table, 76
// columns wide, long cells wrapped at spaces, then the parameter totals.
#include <cstdint>
#include <string>
#include <vector>

#include "minidl/layers/layer.h"

namespace minidl::layers {

struct SummaryColumn {
  std::string header;
  std::size_t width;  // text columns inside the cell padding
  bool right_align = false;
};

// Keras's columns at its line length without a terminal (76): positions [0.45, 0.80, 1.0] for a
// sequential-like model, [0.3, 0.56, 0.74, 1.0] with "Connected to" for a graph; rich then takes
// what the borders and padding need evenly off every column.
std::vector<SummaryColumn> sequential_summary_columns();
std::vector<SummaryColumn> graph_summary_columns();

// The model's name, the table of `rows` (one cell per column), then the totals of its weights.
std::string render_summary(const Layer& model, const std::vector<SummaryColumn>& columns,
                           const std::vector<std::vector<std::string>>& rows);
// The parameter-count cell: "1,234", or "0 (unbuilt)".
std::string param_count_cell(const Layer& layer);

}  // namespace minidl::layers
