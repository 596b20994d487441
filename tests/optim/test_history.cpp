// History (in memory, CSV, SVG), the SVG charts, and the progress bar.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("tapegrad_test_history_" + std::to_string(::getpid()) + "_" + name);
}

// Every element opened is closed, in order: enough to catch a malformed
// document without an XML library.
bool balanced_tags(const std::string& svg) {
  std::vector<std::string> open;
  for (std::size_t i = svg.find('<'); i != std::string::npos; i = svg.find('<', i + 1)) {
    const std::size_t end = svg.find('>', i);
    if (end == std::string::npos) return false;
    const std::string tag = svg.substr(i + 1, end - i - 1);
    if (tag.empty() || tag[0] == '?' || tag.back() == '/') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
  }
  return open.empty();
}

}  // namespace

TEST_CASE("History keeps one row per epoch and a column per metric, NaN where missing") {
  optim::History h;
  h.set("loss", 1.5);
  h.set("accuracy", 0.5);
  h.begin_epoch();
  h.set("loss", 0.75);
  h.set("val_loss", 0.8);
  CHECK(h.epochs() == 2);
  CHECK(h.metrics() == std::vector<std::string>{"loss", "accuracy", "val_loss"});
  CHECK(h.values("loss") == std::vector<double>{1.5, 0.75});
  CHECK(std::isnan(h.values("val_loss")[0]));
  CHECK(std::isnan(h.last("accuracy")));
  CHECK(h.last("val_loss") == 0.8);
  CHECK(h.csv() == "epoch,loss,accuracy,val_loss\n1,1.5,0.5,\n2,0.75,,0.80000000000000004\n");
  CHECK_ERROR(std::invalid_argument, h.values("acc"), "History: no metric 'acc'; recorded: loss, accuracy, val_loss");
  CHECK_ERROR(std::invalid_argument, h.set("a,b", 1), "'a,b' is not a metric name");
  CHECK_ERROR(std::invalid_argument, h.set("epoch", 1), "'epoch' is not a metric name");
}

TEST_CASE("History writes a CSV that reads back and an SVG with a chart per metric") {
  optim::History h;
  for (int e = 0; e < 5; ++e) {
    h.begin_epoch();
    h.set("loss", 1.0 / (e + 1));
    h.set("accuracy", 0.5 + 0.1 * e);
    h.set("val_loss", 1.2 / (e + 1));
    h.set("val_accuracy", 0.45 + 0.1 * e);
    h.set("lr", 0.1);
  }
  const auto csv = temp_path("h.csv"), svg = temp_path("h.svg");
  h.write_csv(csv.string());
  const std::string text = read_file(csv);
  CHECK(text.rfind("epoch,loss,accuracy,val_loss,val_accuracy,lr\n1,1,0.5,1.2", 0) == 0);
  CHECK(std::count(text.begin(), text.end(), '\n') == 6);
  h.write_svg(svg.string(), "spirals");
  const std::string doc = read_file(svg);
  CHECK(balanced_tags(doc));
  check_contains(doc, {"<svg", "spirals: loss", "spirals: accuracy", "train loss", "validation loss", "validation accuracy",
                       "stroke-dasharray", "epoch"});
  CHECK(doc.find("spirals: lr") == std::string::npos);
  CHECK(std::count(doc.begin(), doc.end(), 'M') >= 4);  // four curves drawn
  if (std::system("python3 -c 'import xml.dom.minidom' >/dev/null 2>&1") == 0) {
    const std::string cmd = "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " + svg.string();
    CHECK(std::system(cmd.c_str()) == 0);
  }
  std::filesystem::remove(csv);
  std::filesystem::remove(svg);
  CHECK_ERROR(std::runtime_error, h.write_csv("/nonexistent-dir/h.csv"), "History::write_csv: cannot open '/nonexistent-dir/h.csv'");
}

TEST_CASE("render_svg: log axes, markers, gaps at non-finite points, escaped text") {
  optim::Chart chart;
  chart.title = "LR <range> & test";
  chart.x_label = "learning rate";
  chart.y_label = "loss";
  chart.log_x = true;
  chart.series.push_back({"loss", {1e-6, 1e-5, 1e-4, 1e-3, 1e-2}, {2.3, 2.2, NAN, 1.0, 5.0}});
  chart.has_marker = true;
  chart.marker_x = 1e-3;
  chart.marker_label = "suggested";
  const std::string svg = optim::render_svg({chart});
  CHECK(balanced_tags(svg));
  check_contains(svg, {"LR &lt;range&gt; &amp; test", "1e-06", "0.01", "suggested"});
  // The NaN splits the line in two pieces: two "M" commands in one path.
  const std::size_t path = svg.find("<path d=\"");
  REQUIRE(path != std::string::npos);
  const std::string d = svg.substr(path, svg.find('"', path + 9) - path);
  CHECK(std::count(d.begin(), d.end(), 'M') == 2);
  CHECK(std::count(d.begin(), d.end(), 'L') == 2);
}

TEST_CASE("the progress bar: one plain line per epoch off a terminal, redrawn in place on one") {
  std::ostringstream plain;
  optim::ProgressBar bar("epoch 1/3", 4, {.out = &plain, .interactive = false});
  for (int b = 1; b <= 4; ++b) bar.update(b, 32 * b, {{"loss", 1.0 / b}});
  CHECK(plain.str().empty());
  bar.finish({{"loss", 0.25}, {"val_accuracy", 0.875}});
  const std::string line = plain.str();
  check_contains(line, {"epoch 1/3 4/4", "loss 0.2500", "val_accuracy 0.8750", "samples/s"});
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  CHECK(line.find('\r') == std::string::npos);

  std::ostringstream tty;
  optim::ProgressBar live("epoch 2/3", 2, {.out = &tty, .interactive = true, .bar_width = 10});
  live.update(1, 16, {{"loss", 0.5}});
  CHECK(tty.str().find("\repoch 2/3 [=====>    ] 1/2  loss 0.5000") == 0);
  check_contains(tty.str(), {"ETA"});
  live.update(2, 32, {{"loss", 0.25}});  // the last batch always draws
  check_contains(tty.str(), {"[==========] 2/2"});
  live.finish({{"loss", 0.25}});
  CHECK(tty.str().back() == '\n');
}
