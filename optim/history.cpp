#include "tapegrad/optim/history.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "tapegrad/optim/plot.hpp"

namespace tg::optim {

void History::begin_epoch() {
  rows_.emplace_back(names_.size(), std::numeric_limits<double>::quiet_NaN());
}

std::size_t History::column(const std::string& metric) {
  const auto it = std::find(names_.begin(), names_.end(), metric);
  if (it != names_.end()) return static_cast<std::size_t>(it - names_.begin());
  names_.push_back(metric);
  for (auto& row : rows_) row.push_back(std::numeric_limits<double>::quiet_NaN());
  return names_.size() - 1;
}

void History::set(const std::string& metric, double value) {
  if (metric.empty() || metric == "epoch" || metric.find_first_of(",\n\"") != std::string::npos) {
    throw std::invalid_argument("History::set: '" + metric +
                                "' is not a metric name (non-empty, not 'epoch', no comma, quote or newline)");
  }
  if (rows_.empty()) begin_epoch();
  const std::size_t c = column(metric);
  rows_.back()[c] = value;
}

bool History::has(const std::string& metric) const {
  return std::find(names_.begin(), names_.end(), metric) != names_.end();
}

std::vector<double> History::values(const std::string& metric) const {
  const auto it = std::find(names_.begin(), names_.end(), metric);
  if (it == names_.end()) {
    std::string known;
    for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("History: no metric '" + metric + "'; recorded: " + (known.empty() ? "none" : known));
  }
  const auto c = static_cast<std::size_t>(it - names_.begin());
  std::vector<double> out;
  for (const auto& row : rows_) out.push_back(row[c]);
  return out;
}

double History::last(const std::string& metric) const {
  const std::vector<double> v = values(metric);
  if (v.empty()) throw std::invalid_argument("History: no epoch recorded yet");
  return v.back();
}

std::string History::csv() const {
  std::ostringstream out;
  out << "epoch";
  for (const auto& n : names_) out << "," << n;
  out << "\n";
  out.precision(17);
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out << r + 1;
    for (double v : rows_[r]) {
      out << ",";
      if (!std::isnan(v)) out << v;
    }
    out << "\n";
  }
  return out.str();
}

void History::write_csv(const std::string& path) const {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw std::runtime_error("History::write_csv: cannot open '" + path + "' for writing");
  file << csv();
  file.flush();
  if (!file) throw std::runtime_error("History::write_csv: writing '" + path + "' failed");
}

void History::write_svg(const std::string& path, const std::string& title) const {
  std::vector<double> epochs;
  for (std::size_t r = 0; r < rows_.size(); ++r) epochs.push_back(static_cast<double>(r + 1));
  std::vector<Chart> charts;
  for (const auto& name : names_) {
    if (name.rfind("val_", 0) == 0 && has(name.substr(4))) continue;  // drawn with its training twin
    if (name == "lr" || name == "seconds") continue;                    // not a curve to compare
    Chart chart;
    chart.title = title.empty() ? name : title + ": " + name;
    chart.x_label = "epoch";
    chart.y_label = name;
    chart.series.push_back({name.rfind("val_", 0) == 0 ? name : "train " + name, epochs, values(name)});
    if (has("val_" + name)) chart.series.push_back({"validation " + name, epochs, values("val_" + name), true});
    charts.push_back(std::move(chart));
  }
  optim::write_svg(path, charts);
}

}  // namespace tg::optim
