#pragma once
// Keras's model.summary() table, as Keras prints it without a terminal: rich's box table, 76
// columns wide, long cells wrapped at spaces, then the parameter totals.
#include <cstdint>
#include <optional>
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

struct SummaryTable {
  std::vector<SummaryColumn> columns;
  std::vector<std::vector<std::string>> rows;  // one cell per column
};

// The optimizer's variables, for Keras's " Optimizer params:" line (shown once a compiled model's
// optimizer has created them; they count in the total too).
struct OptimizerParams {
  std::int64_t count = 0;
  double bytes = 0.0;
};

// The model's name, the table, then the totals of its weights (and of the optimizer's).
std::string render_summary(const Layer& model, const SummaryTable& table,
                           const std::optional<OptimizerParams>& optimizer = std::nullopt);
// The parameter-count cell: "1,234", or "0 (unbuilt)".
std::string param_count_cell(const Layer& layer);

}  // namespace minidl::layers
