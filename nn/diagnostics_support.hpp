// What the diagnostics' files share: the activation scans Diagnostics
// accumulates, number formats and a text table. Private.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tapegrad/nn/diagnostics.hpp"

namespace tg::nn::detail {

/// The units of `y`: numel/N for y (N, ...), numel for rank 0 or 1.
std::int64_t units_of(const Tensor& y);
/// Sets alive[u] for every unit u of `y` that is non-zero for some example;
/// `alive` must have units_of(y) entries. Returns how many units are alive
/// in this tensor alone.
std::int64_t mark_alive_units(const Tensor& y, std::vector<char>& alive);
/// How many values of `y` are saturated (see saturated_fraction).
std::int64_t count_saturated(const Tensor& y, Squashing kind, double epsilon);
/// The table of GradientReport::str and the first/last line, without the warnings.
std::string layers_table(const GradientReport& report);

/// "1.23e-04"; "nan", "inf" and "-" (not measured: NaN) as such.
inline std::string sci(double v, bool dash_for_nan = false) {
  if (std::isnan(v)) return dash_for_nan ? "-" : "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

/// "12.5%"; "-" for NaN (not measured).
inline std::string percent(double share) {
  if (std::isnan(share)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
  return buf;
}

/// Columns padded to their widest cell; the first column left-aligned, the
/// others right-aligned; a rule under the header.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string str() const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (const auto& row : rows_)
      for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    std::size_t total = 0;
    for (std::size_t w : width) total += w + 2;
    std::string out;
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < width.size(); ++c) {
        const std::string cell = c < rows_[r].size() ? rows_[r][c] : "";
        const std::string pad(width[c] - cell.size(), ' ');
        line += c == 0 ? cell + pad : pad + cell;
        if (c + 1 < width.size()) line += "  ";
      }
      out += line + "\n";
      if (r == 0) out += std::string(total > 2 ? total - 2 : total, '-') + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tg::nn::detail
