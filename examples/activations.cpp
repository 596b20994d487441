// Activation functions compared on one deep net: 8 hidden layers of 128
// units, each followed by sigmoid, tanh, ReLU, LeakyReLU, ELU or SELU, each
// with the initialisation made for it (Glorot for sigmoid and tanh, He for
// the ReLU family, LeCun normal for SELU; --init gives all the same one),
// trained alike (Adam, same epochs, batches and seed).
//
//   ./build/examples/activations                 # Fashion-MNIST, 20,000 training images
//   ./build/examples/activations --init glorot_uniform
//   ./build/examples/activations --quick         # 2-D spirals, small: seconds (make test)
//
// The lesson: in a deep net the sigmoid trains slowest and ends last — its
// derivative is at most 1/4 and its outputs are not centred, so the signal
// and the gradient fade layer after layer — while tanh, the ReLU family and
// SELU train. The program exits with 1 when the sigmoid does not end last.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numbers>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "support/tasks.hpp"

namespace nn = tg::nn;
namespace optim = tg::optim;
namespace data = tg::data;

namespace {

using examples::spirals;

struct Settings {
  bool quick = false;
  std::string task = "fashion-mnist";
  std::vector<std::string> activations = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu"};
  std::string init = "matched";
  int depth = 8;
  std::int64_t width = 128;
  int epochs = 0;  // 0: the task's default
  std::int64_t train_size = 20000;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  std::uint64_t seed = 42;
  int threads = 1;
  std::string data_dir;
};

struct Task {
  std::string name;
  data::Dataset train, validation, test;
  std::int64_t inputs = 0, classes = 0;
};

// Fashion-MNIST: `n` training images drawn at random (by seed), a tenth of
// them held out for validation, and the whole test set; pixels standardised
// with the training images' mean and standard deviation (one pair for all).
Task fashion_mnist(std::int64_t n, std::uint64_t seed, const std::string& dir) {
  const data::Dataset full = data::fashion_mnist("train", {.directory = dir, .flatten = true});
  const data::Dataset test = data::fashion_mnist("test", {.directory = dir, .flatten = true});
  tg::Generator gen(seed);
  std::vector<std::int64_t> order = tg::randperm(full.size(), gen).to_vector<std::int64_t>();
  order.resize(static_cast<std::size_t>(std::min(n, full.size())));
  const data::Split split = full.subset(order).split(0.1, seed);
  const auto standardize = data::Standardizer::fit(split.train.features(), {.per_feature = false});
  const auto standardized = [&](const data::Dataset& d) {
    return data::Dataset(standardize(d.features()), d.targets());
  };
  return {"Fashion-MNIST", standardized(split.train), standardized(split.validation), standardized(test), 784, 10};
}

Task spiral_task(std::uint64_t seed) {
  tg::Generator gen(seed);
  data::Dataset train = spirals(300, 3, 1.0, 0.02, gen);
  data::Dataset validation = spirals(100, 3, 1.0, 0.02, gen);
  data::Dataset test = spirals(1000, 3, 1.0, 0.02, gen);
  return {"spirals", std::move(train), std::move(validation), std::move(test), 2, 3};
}

// The initialisation each activation was designed with (see nn::init).
std::string matched_init(const std::string& activation) {
  if (activation == "sigmoid" || activation == "tanh") return "glorot_uniform";  // Glorot & Bengio, 2010
  if (activation == "selu") return "lecun_normal";                               // Klambauer et al., 2017
  return "he_normal";                                                            // He et al., 2015
}

// depth × (Linear, activation), then a Glorot output layer (logits).
nn::Sequential deep_net(const Settings& s, const Task& task, const std::string& activation, const std::string& init,
                        tg::Generator& gen) {
  nn::Sequential model;
  for (int i = 0; i < s.depth; ++i) {
    model.push_back(nn::Linear(i == 0 ? task.inputs : s.width, s.width, {.init = init, .generator = &gen}));
    model.push_back(nn::activation(activation));
  }
  model.push_back(nn::Linear(s.width, task.classes, {.generator = &gen}));
  return model;
}

struct Row {
  std::string activation, init;
  double first_epoch_accuracy, best_validation, test_accuracy, seconds_per_epoch;
};

int run(Settings s) {
  if (s.quick) s.task = "spirals";
  const bool fashion = s.task == "fashion-mnist";
  if (s.epochs == 0) s.epochs = fashion ? 10 : 30;
  if (!fashion) s.batch_size = std::min<std::int64_t>(s.batch_size, 64);
  tg::set_num_threads(s.threads);

  const Task task = fashion ? fashion_mnist(s.train_size, s.seed, s.data_dir) : spiral_task(s.seed);
  std::cout << task.name << ": " << task.train.size() << " training, " << task.validation.size() << " validation, "
            << task.test.size() << " test examples; " << s.depth << " hidden layers of " << s.width << "; Adam lr "
            << s.lr << ", " << s.epochs << " epochs of batches of " << s.batch_size << ", seed " << s.seed << ", "
            << s.threads << " BLAS thread(s)\n\n";

  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };
  std::vector<Row> rows;
  for (const std::string& activation : s.activations) {
    const std::string init = s.init == "matched" ? matched_init(activation) : s.init;
    tg::Generator gen(s.seed);  // every net starts from the same stream
    nn::Sequential model = deep_net(s, task, activation, init, gen);
    data::DataLoader train(task.train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
    data::DataLoader validation(task.validation, {.batch_size = 1000});
    data::DataLoader test(task.test, {.batch_size = 1000});
    optim::Adam adam(model.parameters(), {.lr = s.lr});

    const auto start = std::chrono::steady_clock::now();
    const optim::FitResult fit =
        optim::fit(model, loss, adam, train, {.epochs = s.epochs, .validation = &validation, .verbose = false});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::vector<double> accuracy = fit.history.values("val_accuracy");
    const double best = *std::max_element(accuracy.begin(), accuracy.end());
    const double test_accuracy = optim::evaluate(model, loss, test).accuracy;
    rows.push_back({activation, init, accuracy.front(), best, test_accuracy, seconds / fit.epochs_run});
    std::printf("  trained %-10s %.1f s%s\n", activation.c_str(), seconds,
                fit.stop_reason.empty() ? "" : (" (" + fit.stop_reason + ")").c_str());
  }

  std::printf("\n%-11s %-15s %12s %12s %9s %10s\n", "activation", "init", "val acc ep 1", "best val acc",
              "test acc", "s / epoch");
  std::printf("%s\n", std::string(74, '-').c_str());
  for (const Row& r : rows)
    std::printf("%-11s %-15s %11.2f%% %11.2f%% %8.2f%% %10.2f\n", r.activation.c_str(), r.init.c_str(),
                100 * r.first_epoch_accuracy, 100 * r.best_validation, 100 * r.test_accuracy, r.seconds_per_epoch);

  // The lesson: the sigmoid ends last, behind the best by a clear margin.
  const auto sigmoid = std::find_if(rows.begin(), rows.end(), [](const Row& r) { return r.activation == "sigmoid"; });
  if (sigmoid == rows.end() || rows.size() < 2) {
    std::printf("\n(no lesson checked: the comparison needs the sigmoid and another activation)\n");
    return 0;
  }
  const auto best = std::max_element(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.test_accuracy < b.test_accuracy;
  });
  bool last = true;
  for (const Row& r : rows)
    if (&r != &*sigmoid && r.test_accuracy <= sigmoid->test_accuracy) last = false;
  const double behind = 100 * (best->test_accuracy - sigmoid->test_accuracy);
  std::printf("\nsigmoid: %.2f points behind the best (%s)%s\n", behind, best->activation.c_str(),
              last ? ", last of all" : "");
  if (!last || behind < 1.0) {
    std::printf("lesson not shown: the sigmoid should end last, at least 1 point behind the best\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("Sigmoid, tanh, ReLU, LeakyReLU, ELU and SELU on the same deep net: accuracy and time per epoch.");
  app.add_flag("--quick", s.quick, "2-D spirals with small settings: seconds (make test runs this)");
  app.add_option("--task", s.task, "fashion-mnist or spirals")->check(CLI::IsMember({"fashion-mnist", "spirals"}));
  app.add_option("--activations", s.activations, "activations to compare (names nn::activation knows)");
  app.add_option("--init", s.init,
                 "matched (Glorot for sigmoid/tanh, He normal for the ReLU family, LeCun normal for SELU), "
                 "or one initializer for all (a name nn::init::by_name knows, e.g. glorot_uniform)");
  app.add_option("--depth", s.depth, "hidden layers")->check(CLI::PositiveNumber);
  app.add_option("--width", s.width, "units per hidden layer")->check(CLI::PositiveNumber);
  app.add_option("--epochs", s.epochs, "epochs per net (default 10; spirals 30)");
  app.add_option("--train-size", s.train_size, "Fashion-MNIST images drawn from the training set, a tenth of "
                                               "them for validation (at most 60,000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.batch_size, "examples per step (spirals: at most 64)")->check(CLI::PositiveNumber);
  app.add_option("--lr", s.lr, "Adam's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--seed", s.seed, "seed of the data subset, the initialisation and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "activations: " << e.what() << "\n";
    return 1;
  }
}
