// fit, evaluate and the LR range test on a problem the test generates: two
// interleaved spirals... three of them, one per class.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;

namespace {

// Three interleaved spiral arms with noise: (n·3, 2) points, int64 labels.
data::Dataset spirals(std::int64_t per_class, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<double> points;
  std::vector<std::int64_t> labels;
  for (std::int64_t c = 0; c < 3; ++c) {
    for (std::int64_t i = 0; i < per_class; ++i) {
      const double r = static_cast<double>(i) / static_cast<double>(per_class);
      const double t = 4.0 * r + 2.0 * std::numbers::pi * static_cast<double>(c) / 3.0 + 0.2 * gen.normal();
      points.push_back(r * std::sin(t));
      points.push_back(r * std::cos(t));
      labels.push_back(c);
    }
  }
  return data::Dataset(from_vector(points, {3 * per_class, 2}), from_vector(labels, {3 * per_class}));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nn::Sequential spiral_net(Generator& gen) {
  return nn::Sequential(nn::Linear(2, 64, {.init = "he_uniform", .generator = &gen}), nn::ReLU(),
                        nn::Linear(64, 64, {.init = "he_uniform", .generator = &gen}), nn::ReLU(),
                        nn::Linear(64, 3, {.generator = &gen}));
}

const optim::LossFunction kCrossEntropy = [](const Tensor& out, const Tensor& y) { return nn::cross_entropy(out, y); };

}  // namespace

TEST_CASE("fit learns three interleaved spirals; history, CSV and SVG come out") {
  Generator gen(7);
  nn::Sequential model = spiral_net(gen);
  const data::Split split = spirals(300, 1).split(0.2, 3);
  data::DataLoader train(split.train, {.batch_size = 32, .shuffle = true, .seed = 5});
  data::DataLoader validation(split.validation, {.batch_size = 256});
  optim::Adam adam(model.parameters(), {.lr = 1e-2});
  const auto dir = std::filesystem::temp_directory_path() / ("tapegrad_fit_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ostringstream log;
  const optim::FitResult result =
      optim::fit(model, kCrossEntropy, adam, train,
                 {.epochs = 40, .validation = &validation, .progress = {.out = &log, .interactive = false},
                  .history_csv = (dir / "history.csv").string(), .history_svg = (dir / "history.svg").string()});
  INFO(log.str());
  CHECK(result.epochs_run == 40);
  CHECK(result.stop_reason.empty());
  const optim::History& h = result.history;
  CHECK(h.epochs() == 40);
  CHECK(h.metrics() == std::vector<std::string>{"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"});
  CHECK(h.last("accuracy") >= 0.95);
  CHECK(h.last("val_accuracy") >= 0.93);
  CHECK(h.last("loss") < h.values("loss").front() / 4);
  // One plain line per epoch off a terminal.
  const std::string out = log.str();
  CHECK(std::count(out.begin(), out.end(), '\n') == 40);
  check_contains(out, {"epoch 1/40 23/23", "epoch 40/40", "val_accuracy", "samples/s"});
  const std::string csv = read_file(dir / "history.csv");
  CHECK(csv.rfind("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 41);
  const std::string svg = read_file(dir / "history.svg");
  check_contains(svg, {"<svg", "</svg>", "train loss", "validation accuracy"});
  if (std::system("python3 -c 'import xml.dom.minidom' >/dev/null 2>&1") == 0) {
    const std::string cmd = "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " + (dir / "history.svg").string();
    CHECK(std::system(cmd.c_str()) == 0);
  }
  std::filesystem::remove_all(dir);
  // evaluate agrees with the last validation metrics and leaves the mode alone.
  const optim::Evaluation e = optim::evaluate(model, kCrossEntropy, validation);
  CHECK(e.examples == split.validation.size());
  CHECK(e.accuracy == doctest::Approx(h.last("val_accuracy")));
  CHECK(model.is_training());
}

TEST_CASE("fit with early stopping stops on a plateau and restores the best weights") {
  Generator gen(8);
  nn::Sequential model = spiral_net(gen);
  data::DataLoader train(spirals(60, 2), {.batch_size = 60, .shuffle = true, .seed = 1});
  optim::SGD sgd(model.parameters(), {.lr = 0.05});
  optim::EarlyStopping stopper(model, {.monitor = "scripted", .patience = 2});
  // A metric scripted by a callback: best at epoch 2, then worse.
  const std::vector<double> script = {1.0, 0.5, 0.7, 0.8, 0.6, 0.4};
  std::vector<float> weights_at_epoch_2;
  optim::Callback scripted{.on_epoch_end = [&](int epoch, optim::History& history) {
    history.set("scripted", script[static_cast<std::size_t>(epoch - 1)]);
    if (epoch == 2) weights_at_epoch_2 = model.parameters()[0].to_vector<float>();
    return false;
  }};
  const optim::FitResult r = optim::fit(model, kCrossEntropy, sgd, train,
                                        {.epochs = 6, .early_stopping = &stopper, .callbacks = {scripted}, .verbose = false});
  CHECK(r.stop_reason == "early stopping");
  CHECK(r.epochs_run == 4);
  CHECK(stopper.best_epoch() == 1);  // its updates count from 0
  CHECK(model.parameters()[0].to_vector<float>() == weights_at_epoch_2);
  CHECK(r.history.values("scripted") == std::vector<double>{1.0, 0.5, 0.7, 0.8});
}

TEST_CASE("fit stops at a non-finite loss and says where; a callback can stop it; bad options are refused") {
  Generator gen(9);
  nn::Sequential model = spiral_net(gen);
  data::DataLoader train(spirals(20, 3), {.batch_size = 20});
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  int calls = 0;
  const optim::LossFunction exploding = [&](const Tensor& out, const Tensor& y) {
    return ++calls == 2 ? nn::cross_entropy(out, y) * std::numeric_limits<double>::infinity() : nn::cross_entropy(out, y);
  };
  const optim::FitResult r = optim::fit(model, exploding, sgd, train, {.epochs = 5, .verbose = false});
  CHECK(r.stop_reason.rfind("non-finite loss at epoch 1, batch 2 (inf)", 0) == 0);
  CHECK(r.epochs_run == 1);

  optim::Callback stop_after_two{.on_epoch_end = [](int epoch, optim::History&) { return epoch == 2; }};
  const optim::FitResult s = optim::fit(model, kCrossEntropy, sgd, train, {.epochs = 5, .callbacks = {stop_after_two}, .verbose = false});
  CHECK(s.stop_reason == "callback");
  CHECK(s.epochs_run == 2);

  CHECK_ERROR(InvalidArgument, optim::fit(model, kCrossEntropy, sgd, train, {.epochs = -1}), "fit: epochs must be >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::fit(model, nullptr, sgd, train), "fit: the loss function is empty");
  const optim::LossFunction unreduced = [](const Tensor& out, const Tensor& y) { return nn::cross_entropy(out, y, nn::Reduction::none); };
  CHECK_ERROR(ShapeError, optim::fit(model, unreduced, sgd, train, {.epochs = 1, .verbose = false}), "fit: the loss function must return a one-element tensor", "got (20,)");
}

TEST_CASE("fit steps a per-batch schedule and clips gradients") {
  Generator gen(10);
  nn::Sequential model = spiral_net(gen);
  data::DataLoader train(spirals(40, 4), {.batch_size = 30});  // 4 batches
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  optim::LrScheduler warmup(sgd, optim::linear_warmup(8, 0.0));
  double largest_norm = 0;
  optim::Callback watch{.on_batch_end = [&](const optim::BatchInfo&) {
    double s = 0;
    for (const Tensor& p : model.parameters())
      for (float g : p.grad().to_vector<float>()) s += static_cast<double>(g) * g;
    largest_norm = std::max(largest_norm, std::sqrt(s));
  }};
  const optim::FitResult r = optim::fit(model, kCrossEntropy, sgd, train,
                                        {.epochs = 2, .scheduler = &warmup, .clip_grad_norm = 0.5, .callbacks = {watch}, .verbose = false});
  CHECK(warmup.step_count() == 8);
  CHECK(sgd.lr() == doctest::Approx(0.1));
  const std::vector<double> lrs = r.history.values("lr");  // after 4 of 8 warmup steps, then after 8
  REQUIRE(lrs.size() == 2);
  CHECK(lrs[0] == doctest::Approx(0.05));
  CHECK(lrs[1] == doctest::Approx(0.1));
  CHECK(largest_norm <= 0.5 + 1e-4);
}

TEST_CASE("the LR range test: a curve that rises at the high end, a suggestion where the loss fell fastest") {
  Generator gen(11);
  nn::Sequential model = spiral_net(gen);
  data::DataLoader train(spirals(100, 5), {.batch_size = 32, .shuffle = true, .seed = 2});
  optim::SGD sgd(model.parameters(), {.lr = 0.01});
  const std::vector<float> before = model.parameters()[0].to_vector<float>();
  const auto plot = std::filesystem::temp_directory_path() / ("tapegrad_lr_" + std::to_string(::getpid()) + ".svg");
  const optim::LrFinderResult r = optim::lr_range_test(
      model, kCrossEntropy, sgd, train,
      {.start_lr = 1e-4, .end_lr = 1e3, .factor = std::pow(10.0, 0.25), .steps_per_rate = 2, .plot_path = plot.string()});
  INFO("suggested " << r.suggested_lr << ", minimum at " << r.min_loss_lr << ", steps " << r.lrs.size());
  REQUIRE(r.lrs.size() >= 8);
  CHECK(r.diverged);
  CHECK(r.smoothed.back() > 2 * *std::min_element(r.smoothed.begin(), r.smoothed.end()));  // rises at the high end
  CHECK(r.suggested_lr >= 1e-4);
  CHECK(r.suggested_lr <= r.min_loss_lr);
  // The loss falls between the suggestion and the minimum.
  const auto at = [&](double lr) {
    return r.smoothed[static_cast<std::size_t>(std::find(r.lrs.begin(), r.lrs.end(), lr) - r.lrs.begin())];
  };
  CHECK(at(r.min_loss_lr) < at(r.suggested_lr));
  // Weights, rates and state are put back.
  CHECK(model.parameters()[0].to_vector<float>() == before);
  CHECK(sgd.lr() == 0.01);
  const std::string svg = read_file(plot);
  check_contains(svg, {"learning-rate range test", "suggested", "smoothed"});
  std::filesystem::remove(plot);
  CHECK_ERROR(InvalidArgument, optim::lr_range_test(model, kCrossEntropy, sgd, train, {.factor = 1.0}), "lr_range_test: factor must be finite and > 1");
}
