// SVG line charts: nice ticks, linear or log axes, a legend, no dependencies.
#include "tapegrad/optim/plot.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "tapegrad/autodiff/format.hpp"

namespace tg::optim {

namespace {

constexpr double kWidth = 480, kHeight = 320;
constexpr double kLeft = 64, kRight = 16, kTop = 34, kBottom = 46;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// One axis: the data range mapped to pixels, linear or log10.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double pixel_lo = 0, pixel_hi = 1;

  double value(double v) const { return log ? std::log10(v) : v; }
  double to_pixel(double v) const {
    const double t = (value(v) - lo) / (hi - lo);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
  bool usable(double v) const { return std::isfinite(v) && (!log || v > 0); }

  // Tick values: 1-2-5 steps on a linear axis, powers of ten on a log one.
  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      for (double e = std::ceil(lo - 1e-9); e <= hi + 1e-9; e += 1) out.push_back(std::pow(10.0, e));
      return out;
    }
    const double raw = (hi - lo) / 5;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (m * magnitude >= raw) {
        step = m * magnitude;
        break;
      }
    }
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    }
    return out;
  }
};

// The range of the usable values, padded, in axis units (log10 for a log axis).
Axis make_axis(const std::vector<const std::vector<double>*>& values, bool log, double pixel_lo, double pixel_hi,
               double extra = std::numeric_limits<double>::quiet_NaN()) {
  Axis axis;
  axis.log = log;
  axis.pixel_lo = pixel_lo;
  axis.pixel_hi = pixel_hi;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto take = [&](double v) {
    if (!axis.usable(v)) return;
    lo = std::min(lo, axis.value(v));
    hi = std::max(hi, axis.value(v));
  };
  for (const auto* vs : values)
    for (double v : *vs) take(v);
  take(extra);
  if (!std::isfinite(lo)) lo = 0, hi = 1;  // nothing to draw
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  if (!log) {
    const double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  axis.lo = lo;
  axis.hi = hi;
  return axis;
}

void render_chart(std::ostringstream& out, const Chart& chart, double offset_x) {
  std::vector<const std::vector<double>*> xs, ys;
  for (const Series& s : chart.series) {
    xs.push_back(&s.x);
    ys.push_back(&s.y);
  }
  const double x0 = offset_x + kLeft, x1 = offset_x + kWidth - kRight, y0 = kHeight - kBottom, y1 = kTop;
  const Axis ax = make_axis(xs, chart.log_x, x0, x1, chart.has_marker ? chart.marker_x : NAN);
  const Axis ay = make_axis(ys, chart.log_y, y0, y1);

  out << "<g font-family=\"sans-serif\" font-size=\"11\">\n";
  out << "<text x=\"" << offset_x + kWidth / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
      << escaped(chart.title) << "</text>\n";
  out << "<rect x=\"" << x0 << "\" y=\"" << y1 << "\" width=\"" << x1 - x0 << "\" height=\"" << y0 - y1
      << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double t : ax.ticks()) {
    const double px = ax.to_pixel(t);
    if (px < x0 - 0.5 || px > x1 + 0.5) continue;
    out << "<line x1=\"" << px << "\" y1=\"" << y1 << "\" x2=\"" << px << "\" y2=\"" << y0
        << "\" stroke=\"#ddd\"/><text x=\"" << px << "\" y=\"" << y0 + 14 << "\" text-anchor=\"middle\">"
        << number_str(t, 4) << "</text>\n";
  }
  for (double t : ay.ticks()) {
    const double py = ay.to_pixel(t);
    if (py > y0 + 0.5 || py < y1 - 0.5) continue;
    out << "<line x1=\"" << x0 << "\" y1=\"" << py << "\" x2=\"" << x1 << "\" y2=\"" << py
        << "\" stroke=\"#ddd\"/><text x=\"" << x0 - 4 << "\" y=\"" << py + 4 << "\" text-anchor=\"end\">"
        << number_str(t, 4) << "</text>\n";
  }
  out << "<text x=\"" << (x0 + x1) / 2 << "\" y=\"" << kHeight - 10 << "\" text-anchor=\"middle\">"
      << escaped(chart.x_label) << "</text>\n";
  out << "<text x=\"" << offset_x + 14 << "\" y=\"" << (y0 + y1) / 2 << "\" text-anchor=\"middle\" transform=\"rotate(-90 "
      << offset_x + 14 << " " << (y0 + y1) / 2 << ")\">" << escaped(chart.y_label) << "</text>\n";

  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const char* color = kColors[i % std::size(kColors)];
    // Breaks the line at unusable points, so a NaN never draws a spike.
    std::string path;
    bool pen_down = false;
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t k = 0; k < n; ++k) {
      if (!ax.usable(s.x[k]) || !ay.usable(s.y[k])) {
        pen_down = false;
        continue;
      }
      path += (pen_down ? " L" : " M") + number_str(ax.to_pixel(s.x[k]), 4) + "," + number_str(ay.to_pixel(s.y[k]), 4);
      pen_down = true;
    }
    if (!path.empty()) {
      out << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.8\""
          << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << "/>\n";
    }
    const double ly = y1 + 14 + 14 * static_cast<double>(i);
    out << "<line x1=\"" << x1 - 110 << "\" y1=\"" << ly - 4 << "\" x2=\"" << x1 - 92 << "\" y2=\"" << ly - 4
        << "\" stroke=\"" << color << "\" stroke-width=\"1.8\"" << (s.dashed ? " stroke-dasharray=\"5,3\"" : "")
        << "/><text x=\"" << x1 - 88 << "\" y=\"" << ly << "\">" << escaped(s.name) << "</text>\n";
  }
  if (chart.has_marker && ax.usable(chart.marker_x)) {
    const double px = ax.to_pixel(chart.marker_x);
    out << "<line x1=\"" << px << "\" y1=\"" << y1 << "\" x2=\"" << px << "\" y2=\"" << y0
        << "\" stroke=\"#555\" stroke-dasharray=\"3,3\"/><text x=\"" << px + 4 << "\" y=\"" << y0 - 6 << "\">"
        << escaped(chart.marker_label) << "</text>\n";
  }
  out << "</g>\n";
}

}  // namespace

std::string render_svg(const std::vector<Chart>& charts) {
  std::ostringstream out;
  const double width = kWidth * static_cast<double>(std::max<std::size_t>(charts.size(), 1));
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << width << " " << kHeight << "\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (std::size_t i = 0; i < charts.size(); ++i) render_chart(out, charts[i], kWidth * static_cast<double>(i));
  out << "</svg>\n";
  return out.str();
}

void write_svg(const std::string& path, const std::vector<Chart>& charts) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw std::runtime_error("write_svg: cannot open '" + path + "' for writing");
  file << render_svg(charts);
  file.flush();
  if (!file) throw std::runtime_error("write_svg: writing '" + path + "' failed");
}

}  // namespace tg::optim
