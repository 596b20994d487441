// Line charts as standalone SVG files: training curves and the LR range
// test, drawn with no tool beyond a text file.
#pragma once

#include "../requires_cxx20.hpp"

#include <string>
#include <vector>

namespace tg::optim {

/// One line of a chart. Non-finite points are left out (the line breaks).
struct Series {
  std::string name{};
  std::vector<double> x{}, y{};
  bool dashed = false;
};

/// One panel: axes with ticks, the series in distinct colours, a legend.
struct Chart {
  std::string title{};
  std::string x_label{}, y_label{};
  std::vector<Series> series{};
  bool log_x = false;  ///< a log₁₀ axis (learning rates)
  bool log_y = false;
  /// Optional vertical marker, e.g. the suggested learning rate.
  double marker_x = 0;
  bool has_marker = false;
  std::string marker_label{};
};

/// The charts side by side in one SVG document (about 480 × 320 px each).
std::string render_svg(const std::vector<Chart>& charts);

/// Writes the SVG to `path`; throws std::runtime_error naming the path when
/// it cannot.
void write_svg(const std::string& path, const std::vector<Chart>& charts);

}  // namespace tg::optim
