// Vanishing gradients in a deep sigmoid net, seen by nn::Diagnostics, and
// the fixes, one at a time. The net: 20 hidden layers of 128 sigmoid units
// with Glorot initialisation. Its diagnostics report on one batch shows the
// per-layer gradient norms falling toward the input and the vanishing flag.
// Then each row changes one thing — ReLU, ReLU with He initialisation,
// BatchNorm, skip connections (nn::Residual), gradient clipping, all of
// them — and gets the same short training (Adam, same epochs and seed).
//
//   ./build/examples/vanishing_gradients           # Fashion-MNIST, 20,000 training images
//   ./build/examples/vanishing_gradients --quick   # a random teacher, small: seconds (make test)
//
// The lesson: sigmoid' <= 1/4, so the gradient shrinks at each layer on its
// way back, and the first layers barely learn (nor does the net: the
// signal fades on the way forward too). The report's saturation column
// stays near 0%: no unit needs to be saturated for this, the 1/4 at the
// sigmoid's steepest point is enough. ReLU with He initialisation,
// BatchNorm and skip connections each restore the flow; clipping does not
// (it caps gradients that explode; it cannot grow ones that vanish). The
// program exits with 1 when the baseline is not flagged or trains, a
// restoring fix does not train, or clipping alone unflags it.
//
// Test accuracy is taken in evaluation mode; with BatchNorm that means the
// running statistics, which lag the weights in a deep net after a few
// epochs, so the BatchNorm row's test accuracy can trail its training
// accuracy and swing from epoch to epoch.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "support/tasks.hpp"

namespace nn = tg::nn;
namespace optim = tg::optim;
namespace data = tg::data;

namespace {

using examples::fashion_mnist;
using examples::Task;
using examples::teacher_task;

struct Settings {
  bool quick = false;
  std::string task = "fashion-mnist";
  int depth = 20;
  std::int64_t width = 128;
  int epochs = 0;  // 0: the task's default
  std::int64_t train_size = 20000;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  double clip = 1.0;
  std::uint64_t seed = 42;
  int threads = 1;
  bool layers = false;
  std::string data_dir;
};

// The share of the most frequent label: the accuracy of always guessing it.
double majority_share(const data::Dataset& d) {
  std::vector<std::int64_t> count;
  for (std::int64_t label : d.targets().to_vector<std::int64_t>()) {
    if (label >= std::int64_t(count.size())) count.resize(std::size_t(label) + 1, 0);
    ++count[std::size_t(label)];
  }
  return double(*std::max_element(count.begin(), count.end())) / double(d.size());
}

// What a variant changes in the baseline.
struct Variant {
  std::string change;
  std::string activation = "sigmoid";
  std::string init = "glorot_uniform";  // of the hidden layers
  bool batch_norm = false;
  bool skip = false;
  bool clip = false;
  bool restores = true;  // the lesson: gradients flow and it trains
};

std::vector<Variant> variants() {
  return {
      {.change = "none: sigmoid, Glorot (baseline)", .restores = false},
      {.change = "ReLU (Glorot kept)", .activation = "relu"},
      {.change = "ReLU + He init", .activation = "relu", .init = "he_normal"},
      {.change = "BatchNorm before each sigmoid", .batch_norm = true},
      {.change = "skip connections (Residual)", .skip = true},
      {.change = "gradient clipping", .clip = true, .restores = false},
      {.change = "all: ReLU, He, BatchNorm, skips, clipping", .activation = "relu", .init = "he_normal",
       .batch_norm = true, .skip = true, .clip = true},
  };
}

// One hidden layer: Linear, then BatchNorm1d if asked, then the activation.
nn::Sequential hidden_layer(std::int64_t in, std::int64_t out, const Variant& v, tg::Generator& gen) {
  nn::Sequential layer(nn::Linear(in, out, {.init = v.init, .generator = &gen}));
  if (v.batch_norm) layer.push_back(nn::BatchNorm1d(out));
  layer.push_back(nn::activation(v.activation));
  return layer;
}

// depth hidden layers, then a Linear to the logits (Glorot). With skips,
// every hidden layer after the first (which changes the width) is a
// Residual block, x + layer(x): the gradient then has a path through the
// sums that no activation's derivative scales down.
nn::Sequential deep_net(const Settings& s, const Task& task, const Variant& v, tg::Generator& gen) {
  nn::Sequential model;
  model.push_back(hidden_layer(task.inputs, s.width, v, gen));
  for (int i = 1; i < s.depth; ++i) {
    if (v.skip) model.push_back(nn::Residual(hidden_layer(s.width, s.width, v, gen)));
    else model.push_back(hidden_layer(s.width, s.width, v, gen));
  }
  model.push_back(nn::Linear(s.width, task.classes, {.generator = &gen}));
  return model;
}

// Backward of the loss on one batch; the gradient report; gradients dropped.
nn::GradientReport gradients_on(nn::Module& model, const optim::LossFunction& loss, const data::Batch& batch) {
  model.zero_grad();
  loss(model(batch.x), batch.y).backward();
  nn::GradientReport report = nn::gradient_report(model);
  model.zero_grad();
  return report;
}

std::string flag(const nn::GradientReport& r) {
  return r.exploding ? "exploding" : r.vanishing ? "vanishing" : "-";
}

struct Row {
  Variant variant;
  nn::GradientReport start, end;
  double train_accuracy = 0, accuracy = 0, seconds = 0;
};

int run(Settings s) {
  if (s.quick) {
    s.task = "teacher";
    s.width = 64;
  }
  const bool fashion = s.task == "fashion-mnist";
  if (s.epochs == 0) s.epochs = fashion ? 5 : 10;
  tg::set_num_threads(s.threads);

  const Task task = fashion ? fashion_mnist(s.train_size, s.seed, s.data_dir) : teacher_task(8, 3, 4000, s.seed);
  std::cout << task.name << ": " << task.train.size() << " training, " << task.test.size() << " test examples; "
            << s.depth << " hidden layers of " << s.width << "; Adam lr " << s.lr << ", " << s.epochs
            << " epochs of batches of " << s.batch_size << ", seed " << s.seed << ", " << s.threads
            << " BLAS thread(s)\n\n";
  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };
  const data::Batch probe = task.train.batch(0, std::min<std::int64_t>(256, task.train.size()));

  {
    // The baseline as the diagnostics see it: one batch, forward and backward.
    tg::Generator gen(s.seed);
    nn::Sequential model = deep_net(s, task, variants().front(), gen);
    nn::Diagnostics diagnostics(model);
    loss(model(probe.x), probe.y).backward();
    diagnostics.record_gradients();
    std::cout << "The baseline's diagnostics on one batch of " << probe.x.size(0) << ":\n" << diagnostics.report()
              << "\n";
    model.zero_grad();
  }

  const double chance = majority_share(task.test);
  std::vector<Row> rows;
  for (const Variant& v : variants()) {
    tg::Generator gen(s.seed);  // every net starts from the same stream
    nn::Sequential model = deep_net(s, task, v, gen);
    Row row;
    row.variant = v;
    row.start = gradients_on(model, loss, probe);
    data::DataLoader train(task.train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
    data::DataLoader test(task.test, {.batch_size = 1000});
    optim::Adam adam(model.parameters(), {.lr = s.lr});
    const auto start = std::chrono::steady_clock::now();
    const optim::FitResult fit = optim::fit(
        model, loss, adam, train, {.epochs = s.epochs, .clip_grad_norm = v.clip ? s.clip : 0.0, .verbose = false});
    row.train_accuracy = fit.history.last("accuracy");  // over the last epoch, in training mode
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    row.accuracy = optim::evaluate(model, loss, test).accuracy;
    row.end = gradients_on(model, loss, probe);
    if (s.layers) std::cout << "After training, " << v.change << ":\n" << row.end.str() << "\n";
    std::printf("  trained %-42s %.1f s\n", v.change.c_str(), row.seconds);
    rows.push_back(std::move(row));
  }

  // "Trains": at least halfway from chance (always guessing the largest
  // class) to 100% on the test set.
  const auto trains = [&](const Row& r) { return r.accuracy > chance + (1 - chance) / 2; };
  std::printf("\nGradient norm of the first / last layer on one batch of %lld, at the start and after training "
              "(flagged vanishing below %.0e); accuracy after %d epoch(s): training (over the last epoch) and "
              "test, chance %.1f%%\n",
              static_cast<long long>(probe.x.size(0)), nn::GradientOptions{}.vanishing_below, s.epochs,
              100 * chance);
  std::printf("%-42s %11s %-10s %11s %-10s %9s %9s %7s %7s\n", "what changed", "first/last", " flag", "after",
              " flag", "train acc", "test acc", "trains", "time");
  std::printf("%s\n", std::string(124, '-').c_str());
  for (const Row& r : rows)
    std::printf("%-42s %11.2e %-10s %11.2e %-10s %8.2f%% %8.2f%% %7s %6.1fs\n", r.variant.change.c_str(),
                r.start.first_last_ratio, (" " + flag(r.start)).c_str(), r.end.first_last_ratio,
                (" " + flag(r.end)).c_str(), 100 * r.train_accuracy, 100 * r.accuracy, trains(r) ? "yes" : "no",
                r.seconds);

  // The lesson.
  bool ok = true;
  const auto fail = [&](const std::string& why) {
    std::printf("\nlesson not shown: %s\n", why.c_str());
    ok = false;
  };
  const Row& baseline = rows.front();
  if (!baseline.start.vanishing) fail("the baseline's gradients are not flagged as vanishing");
  if (trains(baseline)) fail("the baseline trained");
  for (const Row& r : rows) {
    if (r.variant.restores && !trains(r)) fail(r.variant.change + " did not train");
    if (r.variant.clip && !r.variant.restores && (!r.start.vanishing || trains(r)))
      fail("gradient clipping alone fixed vanishing gradients");
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("Vanishing gradients in a deep sigmoid net, the diagnostics report, and the fixes one by one.");
  app.add_flag("--quick", s.quick, "a random teacher with 64-unit layers: seconds (make test runs this)");
  app.add_option("--task", s.task, "fashion-mnist, or teacher (8 Gaussian inputs, 3 classes from a random "
                                   "linear teacher)")
      ->check(CLI::IsMember({"fashion-mnist", "teacher"}));
  app.add_option("--depth", s.depth, "hidden layers")->check(CLI::Range(2, 1000));
  app.add_option("--width", s.width, "units per hidden layer (quick: 64)")->check(CLI::PositiveNumber);
  app.add_option("--epochs", s.epochs, "epochs of the short training (default 5; teacher 10)");
  app.add_option("--train-size", s.train_size, "Fashion-MNIST training images (at most 60,000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.batch_size, "examples per step")->check(CLI::PositiveNumber);
  app.add_option("--lr", s.lr, "Adam's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--clip", s.clip, "the global gradient norm the clipping rows clip to")->check(CLI::PositiveNumber);
  app.add_option("--seed", s.seed, "seed of the data subset, the initialisation and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_flag("--layers", s.layers, "print every variant's per-layer gradient report after training");
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "vanishing_gradients: " << e.what() << "\n";
    return 1;
  }
}
