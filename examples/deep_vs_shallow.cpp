// Deep or wide? MLPs with the same number of parameters (within a few per
// cent) — one wide hidden layer, or 2, 4, 8 narrower ones — trained alike
// (Adam, same epochs, batches and seed), then compared on the test set.
//
//   ./build/examples/deep_vs_shallow                  # Fashion-MNIST, all 60,000 training images
//   ./build/examples/deep_vs_shallow --task spirals   # three interleaved 2-D spirals
//   ./build/examples/deep_vs_shallow --quick          # spirals, small: seconds (make test)
//
// The lesson: depth buys what width cannot at the same parameter count when
// the task is made of compositions (the spirals: every layer folds the
// plane again); on Fashion-MNIST, where an MLP spends most of its
// parameters in the 784-input layer, the shapes end up close. The program
// exits with 1 when its task's lesson does not show.
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

using examples::fashion_mnist;
using examples::spirals;
using examples::Task;

struct Settings {
  bool quick = false;
  std::string task = "fashion-mnist";
  std::int64_t width = 0;  // of the one-hidden-layer net; 0: the task's default
  std::vector<int> depths = {1, 2, 4, 8};
  int epochs = 0;          // 0: the task's default
  std::int64_t train_size = 60000;
  std::int64_t batch_size = 0;  // 0: the task's default
  double lr = 0;           // 0: the task's default
  double turns = 2;        // of each spiral
  std::uint64_t seed = 42;
  int threads = 1;
  std::string data_dir;
};

Task spiral_task(std::int64_t n_per_class, double turns, std::uint64_t seed) {
  tg::Generator gen(seed);
  data::Dataset train = spirals(n_per_class, 3, turns, 0.02, gen);
  data::Dataset test = spirals(1000, 3, turns, 0.02, gen);
  return {"spirals", std::move(train), std::move(test), 2, 3};
}

// Parameters of `inputs` -> `depth` hidden layers of `width` -> `classes`.
std::int64_t mlp_parameters(std::int64_t inputs, int depth, std::int64_t width, std::int64_t classes) {
  return inputs * width + width + (depth - 1) * (width * width + width) + width * classes + classes;
}

// The width whose `depth`-layer MLP comes closest to `budget` parameters.
std::int64_t width_for(std::int64_t budget, std::int64_t inputs, int depth, std::int64_t classes) {
  std::int64_t best = 1;
  for (std::int64_t w = 1; mlp_parameters(inputs, depth, w, classes) < 2 * budget; ++w)
    if (std::llabs(mlp_parameters(inputs, depth, w, classes) - budget) <
        std::llabs(mlp_parameters(inputs, depth, best, classes) - budget))
      best = w;
  return best;
}

// depth × (Linear, ReLU) with He initialisation, then a Glorot output layer.
nn::Sequential mlp(std::int64_t inputs, int depth, std::int64_t width, std::int64_t classes, tg::Generator& gen) {
  nn::Sequential model;
  for (int i = 0; i < depth; ++i) {
    model.push_back(nn::Linear(i == 0 ? inputs : width, width, {.init = "he_normal", .generator = &gen}));
    model.push_back(nn::ReLU());
  }
  model.push_back(nn::Linear(width, classes, {.generator = &gen}));
  return model;
}

struct Row {
  std::string architecture;
  std::int64_t parameters;
  double train_accuracy, test_accuracy, seconds;
};

int run(Settings s) {
  if (s.quick) s.task = "spirals";
  const bool fashion = s.task == "fashion-mnist";
  if (s.width == 0) s.width = fashion ? 128 : 1000;
  if (s.epochs == 0) s.epochs = fashion ? 15 : (s.quick ? 40 : 100);
  if (s.batch_size == 0) s.batch_size = fashion ? 128 : 64;
  if (s.lr == 0) s.lr = fashion ? 1e-3 : 3e-3;
  tg::set_num_threads(s.threads);

  const Task task = fashion ? fashion_mnist(s.train_size, s.seed, s.data_dir)
                            : spiral_task(s.quick ? 300 : 1000, s.turns, s.seed);
  const std::int64_t budget = mlp_parameters(task.inputs, 1, s.width, task.classes);
  std::cout << task.name << ": " << task.train.size() << " training, " << task.test.size() << " test examples; "
            << "budget " << budget << " parameters (1 hidden layer of " << s.width << "); Adam lr " << s.lr << ", "
            << s.epochs << " epochs of batches of " << s.batch_size << ", seed " << s.seed << ", " << s.threads
            << " BLAS thread(s)\n\n";

  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };
  std::vector<Row> rows;
  for (int depth : s.depths) {
    const std::int64_t width = depth == 1 ? s.width : width_for(budget, task.inputs, depth, task.classes);
    tg::Generator gen(s.seed);  // every net starts from the same stream
    nn::Sequential model = mlp(task.inputs, depth, width, task.classes, gen);
    data::DataLoader train(task.train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
    data::DataLoader train_eval(task.train, {.batch_size = 1000});
    data::DataLoader test(task.test, {.batch_size = 1000});
    optim::Adam adam(model.parameters(), {.lr = s.lr});

    const auto start = std::chrono::steady_clock::now();
    optim::fit(model, loss, adam, train, {.epochs = s.epochs, .verbose = false});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double train_accuracy = optim::evaluate(model, loss, train_eval).accuracy;
    const double test_accuracy = optim::evaluate(model, loss, test).accuracy;
    const std::string architecture = std::to_string(depth) + " x " + std::to_string(width);
    rows.push_back({architecture, model.parameter_count(), train_accuracy, test_accuracy, seconds});
    std::printf("  trained %-8s %.1f s\n", architecture.c_str(), seconds);
  }

  std::printf("\n%-14s %10s %8s %10s %10s %8s\n", "hidden layers", "parameters", "vs 1", "train acc", "test acc",
              "time");
  std::printf("%s\n", std::string(65, '-').c_str());
  for (const Row& r : rows)
    std::printf("%-14s %10lld %+7.1f%% %9.2f%% %9.2f%% %7.1fs\n", r.architecture.c_str(),
                static_cast<long long>(r.parameters), 100.0 * (double(r.parameters) / double(budget) - 1),
                100 * r.train_accuracy, 100 * r.test_accuracy, r.seconds);

  // The lesson, per task. Parameter counts must match within 5% for the
  // comparison to mean anything.
  bool ok = true;
  for (const Row& r : rows)
    if (std::abs(double(r.parameters) / double(budget) - 1) > 0.05) {
      std::printf("\n%s has %lld parameters, more than 5%% away from the budget\n", r.architecture.c_str(),
                  static_cast<long long>(r.parameters));
      ok = false;
    }
  const Row& shallow = rows.front();
  const Row& best_deep = *std::max_element(rows.begin() + 1, rows.end(), [](const Row& a, const Row& b) {
    return a.test_accuracy < b.test_accuracy;
  });
  const double gain = 100 * (best_deep.test_accuracy - shallow.test_accuracy);
  std::printf("\nbest deeper net: %s, %+.2f points of test accuracy over %s\n", best_deep.architecture.c_str(),
              gain, shallow.architecture.c_str());
  if (fashion) {
    // The shapes end up close: some deeper net comes within a point of the
    // wide one (or beats it), so depth at equal parameters costs nothing.
    if (gain < -1.0) {
      std::printf("lesson not shown: no deeper net came within 1 point of the first\n");
      ok = false;
    }
  } else if (gain < 5.0) {
    std::printf("lesson not shown: a deeper net should beat the first by 5 points or more on the spirals\n");
    ok = false;
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("Deeper or wider MLPs at the same parameter count: test accuracy and training time.");
  app.add_flag("--quick", s.quick, "the spirals with small settings: seconds (make test runs this)");
  app.add_option("--task", s.task, "fashion-mnist or spirals")->check(CLI::IsMember({"fashion-mnist", "spirals"}));
  app.add_option("--width", s.width, "width of the one-hidden-layer net, which sets the parameter budget "
                                     "(default 128 for Fashion-MNIST, 1000 for the spirals)");
  app.add_option("--depths", s.depths, "numbers of hidden layers to compare; the first is the reference")
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", s.epochs, "epochs per net (default 15; spirals 100, quick 40)");
  app.add_option("--train-size", s.train_size, "Fashion-MNIST training images (at most 60,000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.batch_size, "examples per step (default 128; spirals 64)");
  app.add_option("--lr", s.lr, "Adam's learning rate (default 1e-3; spirals 3e-3)");
  app.add_option("--turns", s.turns, "turns of each spiral: more turns, a harder task")->check(CLI::PositiveNumber);
  app.add_option("--seed", s.seed, "seed of the data subset, the initialisation and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  if (s.depths.size() < 2) {
    std::cerr << "deep_vs_shallow: --depths needs at least two depths to compare\n";
    return 2;
  }
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "deep_vs_shallow: " << e.what() << "\n";
    return 1;
  }
}
