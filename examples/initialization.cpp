// Initialisation of a deep ReLU net: 30 hidden layers of 128 units started
// from naive normal weights — N(0, 1) and N(0, 0.01²) — or scaled to the
// fan (Glorot, He), every layer alike. For each: the gradient norms of the
// first, middle and last layer on one batch at the start (nn::gradient_report),
// the spread of the initial logits and loss, then whether a short training
// run gets anywhere, with SGD (momentum 0.9) and with Adam.
//
//   ./build/examples/initialization             # Fashion-MNIST, 20,000 training images
//   ./build/examples/initialization --quick     # a random teacher, small: seconds (make test)
//
// The lesson: with N(0, 1) each layer multiplies the signal by about
// sqrt(fan_in / 2) ≈ 8, so after 30 layers the logits and the gradients are
// astronomically large; with N(0, 0.01²) it divides it by ≈ 12 per layer
// and everything vanishes. Neither trains. Glorot (variance 1/fan) halves
// the variance at each ReLU and shrinks the signal by 2^15 over 30 layers:
// SGD barely moves it, Adam (which scales each parameter's step to its
// gradient's size) partly makes up for it. He (variance 2/fan, made for
// ReLU) keeps the signal steady and trains with both. The program exits
// with 1 when He does not train or a naive one does.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
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
  int depth = 30;
  std::int64_t width = 128;
  int epochs = 0;  // 0: the task's default
  std::int64_t train_size = 20000;
  std::int64_t batch_size = 128;
  std::vector<std::string> optimizers = {"sgd", "adam"};
  double sgd_lr = 0.005;
  double adam_lr = 1e-3;
  std::uint64_t seed = 42;
  int threads = 1;
  std::string data_dir;
};

// An initialisation scheme: fills one weight matrix (biases stay 0).
struct Scheme {
  std::string name;
  std::function<void(tg::Tensor&, tg::Generator&)> fill;
};

std::vector<Scheme> schemes() {
  return {
      {"N(0, 1)", [](tg::Tensor& w, tg::Generator& g) { nn::init::normal_(w, 0.0, 1.0, g); }},
      {"N(0, 0.01^2)", [](tg::Tensor& w, tg::Generator& g) { nn::init::normal_(w, 0.0, 0.01, g); }},
      {"Glorot normal", [](tg::Tensor& w, tg::Generator& g) { nn::init::glorot_normal_(w, g); }},
      {"He normal", [](tg::Tensor& w, tg::Generator& g) { nn::init::he_normal_(w, g); }},
  };
}

// depth × (Linear, ReLU), then a Linear to the logits; every weight,
// the output layer's too, drawn by `scheme`.
nn::Sequential deep_relu_net(const Settings& s, const Task& task, const Scheme& scheme, tg::Generator& gen) {
  nn::Sequential model;
  for (int i = 0; i < s.depth; ++i) {
    model.push_back(nn::Linear(i == 0 ? task.inputs : s.width, s.width));
    model.push_back(nn::ReLU());
  }
  model.push_back(nn::Linear(s.width, task.classes));
  for (const nn::NamedModule& m : model.named_modules())
    if (auto* linear = dynamic_cast<nn::Linear*>(m.module)) scheme.fill(linear->weight, gen);
  return model;
}

// "1e-3" rather than "0.001".
std::string fmt_lr(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "lr %g", lr);
  return buf;
}

// The share of the most frequent label: the accuracy of always guessing it.
double majority_share(const data::Dataset& d) {
  std::vector<std::int64_t> count;
  for (std::int64_t label : d.targets().to_vector<std::int64_t>()) {
    if (label >= std::int64_t(count.size())) count.resize(std::size_t(label) + 1, 0);
    ++count[std::size_t(label)];
  }
  return double(*std::max_element(count.begin(), count.end())) / double(d.size());
}

// Population standard deviation of a tensor's values.
double std_of(const tg::Tensor& t) {
  const std::vector<double> v = tg::to_dtype(t, tg::f64).to_vector<double>();
  double mean = 0, square = 0;
  for (double x : v) mean += x;
  mean /= double(v.size());
  for (double x : v) square += (x - mean) * (x - mean);
  return std::sqrt(square / double(v.size()));
}

struct Trained {
  double accuracy = 0, seconds = 0;
  std::string stop_reason;
};

struct Row {
  std::string scheme;
  double first = 0, middle = 0, last = 0, ratio = 0;
  bool vanishing = false, exploding = false;
  double logit_std = 0, initial_loss = 0;
  std::vector<Trained> trained;  // one per optimizer
};

// SGD with momentum 0.9, or Adam.
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, const Settings& s,
                                                 const std::vector<tg::Tensor>& params) {
  if (name == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = s.adam_lr});
  return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = s.sgd_lr, .momentum = 0.9});
}

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
            << s.depth << " hidden ReLU layers of " << s.width << "; seed " << s.seed << ", " << s.threads
            << " BLAS thread(s)\n\n";

  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };
  const double chance = majority_share(task.test);
  std::vector<Row> rows;
  for (const Scheme& scheme : schemes()) {
    Row row;
    row.scheme = scheme.name;
    {
      // The gradients at the start, on the first 256 training examples.
      tg::Generator gen(s.seed);  // every net starts from the same stream
      nn::Sequential model = deep_relu_net(s, task, scheme, gen);
      const auto [x, y] = task.train.batch(0, std::min<std::int64_t>(256, task.train.size()));
      const tg::Tensor logits = model(x);
      const tg::Tensor initial = loss(logits, y);
      row.initial_loss = initial.item();
      row.logit_std = std_of(logits.detach());
      initial.backward();
      const nn::GradientReport report = nn::gradient_report(model);
      const auto& layers = report.layers;  // the Linear layers, input first
      row.first = layers.front().grad_norm;
      row.middle = layers[layers.size() / 2].grad_norm;
      row.last = layers.back().grad_norm;
      row.ratio = report.first_last_ratio;
      row.vanishing = report.vanishing;
      row.exploding = report.exploding;
    }
    for (const std::string& name : s.optimizers) {
      // A short training run of a fresh copy (same seed, same weights).
      tg::Generator gen(s.seed);
      nn::Sequential model = deep_relu_net(s, task, scheme, gen);
      data::DataLoader train(task.train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
      data::DataLoader test(task.test, {.batch_size = 1000});
      const auto optimizer = make_optimizer(name, s, model.parameters());
      const auto start = std::chrono::steady_clock::now();
      const optim::FitResult fit = optim::fit(model, loss, *optimizer, train, {.epochs = s.epochs, .verbose = false});
      Trained t;
      t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      t.stop_reason = fit.stop_reason;
      t.accuracy = optim::evaluate(model, loss, test).accuracy;
      std::printf("  %-13s %-4s %5.1f s%s\n", scheme.name.c_str(), name.c_str(), t.seconds,
                  t.stop_reason.empty() ? "" : (", stopped: " + t.stop_reason).c_str());
      row.trained.push_back(t);
    }
    rows.push_back(row);
  }

  std::printf("\nAt the start (one batch of 256): gradient norm of each layer (weights and bias together)\n");
  std::printf("%-13s %9s %9s %9s %11s %-10s %9s %10s\n", "init", "first", "middle", "last", "first/last", " flag",
              "logit std", "loss");
  std::printf("%s\n", std::string(88, '-').c_str());
  for (const Row& r : rows)
    std::printf("%-13s %9.2e %9.2e %9.2e %11.2e %-10s %9.2e %10.3g\n", r.scheme.c_str(), r.first, r.middle, r.last,
                r.ratio, r.exploding ? " exploding" : r.vanishing ? " vanishing" : " -", r.logit_std, r.initial_loss);

  for (const Row& r : rows)
    if (!r.exploding && std::max({r.first, r.middle, r.last}) > 1e6)
      std::printf("note: %s is not flagged: its gradients are huge in every layer alike, so the first/last ratio "
                  "looks normal; the norms themselves (and the loss) give it away\n",
                  r.scheme.c_str());

  // "Trains": at least halfway from chance (always guessing the largest
  // class) to 100% on the test set.
  const auto trains = [&](const Trained& t) { return t.accuracy > chance + (1 - chance) / 2; };
  std::printf("\nTest accuracy after %d epoch(s) (chance, the largest class: %.1f%%; trains = at least halfway "
              "from chance to 100%%)\n",
              s.epochs, 100 * chance);
  std::printf("%-13s", "init");
  for (const std::string& name : s.optimizers) {
    const std::string label = name == "adam" ? "Adam " + fmt_lr(s.adam_lr) : "SGD " + fmt_lr(s.sgd_lr);
    std::printf(" %22s", label.c_str());
  }
  std::printf("\n%s\n", std::string(13 + 23 * s.optimizers.size(), '-').c_str());
  for (const Row& r : rows) {
    std::printf("%-13s", r.scheme.c_str());
    for (const Trained& t : r.trained) {
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.2f%% %-3s %5.1fs%s", 100 * t.accuracy, trains(t) ? "yes" : "no",
                    t.seconds, t.stop_reason.empty() ? " " : "*");
      std::printf(" %22s", cell);
    }
    std::printf("\n");
  }
  for (const Row& r : rows)
    for (std::size_t i = 0; i < r.trained.size(); ++i)
      if (!r.trained[i].stop_reason.empty())
        std::printf("* %s with %s: fit stopped, %s\n", r.scheme.c_str(), s.optimizers[i].c_str(),
                    r.trained[i].stop_reason.c_str());

  // The lesson: the naive scales train with no optimizer, He with every one.
  bool ok = true;
  for (const Row& r : rows)
    for (std::size_t i = 0; i < r.trained.size(); ++i) {
      const bool naive = r.scheme.rfind("N(", 0) == 0;
      if (naive && trains(r.trained[i])) {
        std::printf("\nlesson not shown: %s trained with %s\n", r.scheme.c_str(), s.optimizers[i].c_str());
        ok = false;
      }
      if (r.scheme == "He normal" && !trains(r.trained[i])) {
        std::printf("\nlesson not shown: He initialisation did not train with %s\n", s.optimizers[i].c_str());
        ok = false;
      }
    }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("A deep ReLU net from naive, Glorot and He initialisations: gradient norms at the start, and "
               "whether it trains.");
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
  app.add_option("--optimizers", s.optimizers, "sgd (momentum 0.9), adam, or both")
      ->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--sgd-lr", s.sgd_lr, "SGD's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--adam-lr", s.adam_lr, "Adam's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--seed", s.seed, "seed of the data subset, the initialisation and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "initialization: " << e.what() << "\n";
    return 1;
  }
}
