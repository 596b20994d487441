// The learning-rate range test (Smith, 2017) on Fashion-MNIST: train the
// demo's funnel MLP for a few hundred steps at geometrically growing rates,
// print the smoothed loss against the rate, plot it, suggest a rate, and
// check the suggestion by training briefly at it (and at two other rates).
//
//   ./build/examples/lr_finder                      # Adam, defaults below
//   ./build/examples/lr_finder --optimizer sgd --out /tmp/lr
//
// Target: after --epochs epochs at the suggested rate the test accuracy is at
// least --target (86%); the program exits with 1 when it is not.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace optim = tg::optim;
namespace data = tg::data;

namespace {

struct Settings {
  std::string optimizer = "adam";
  int epochs = 3;  // of each check run at a chosen rate
  std::int64_t batch_size = 128;
  double start_lr = 1e-6;
  double end_lr = 10.0;
  int rates_per_decade = 8;
  std::int64_t steps_per_rate = 4;
  double target = 86.0;  // test accuracy (%) after `epochs` at the suggestion
  std::uint64_t seed = 42;
  int threads = 2;
  std::string out = "lr-finder-output";
  std::string data_dir;
};

// The demo's funnel (784 -> 512 -> 256 -> 128 -> 10, ReLU, He init), without
// dropout: the range test wants the loss of the rate, not of the mask.
nn::Sequential funnel_mlp(tg::Generator& gen) {
  nn::Sequential model;
  std::int64_t width = 784;
  for (std::int64_t next : {512, 256, 128}) {
    model.push_back(nn::Linear(width, next, {.init = "he_normal", .generator = &gen}));
    model.push_back(nn::ReLU());
    width = next;
  }
  model.push_back(nn::Linear(width, 10, {.generator = &gen}));
  return model;
}

// Adam, or SGD with Nesterov momentum 0.9, at `lr`.
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, nn::Module& model, double lr) {
  if (name == "sgd")
    return std::make_unique<optim::SGD>(model.parameters(),
                                        optim::SGDOptions{.lr = lr, .momentum = 0.9, .nesterov = true});
  return std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.lr = lr});
}

std::string rate(double lr) {
  std::ostringstream s;
  s << std::scientific << std::setprecision(2) << lr;
  return s.str();
}

// The curve at every half decade: the last step at or below each of
// 1e-6, 3.16e-6, 1e-5, ... (and the last step of all).
void print_curve(const optim::LrFinderResult& r) {
  std::cout << "\n  lr          batch loss   smoothed loss\n  ----------  -----------  -------------\n";
  std::vector<std::size_t> rows;
  const double first = std::floor(2 * std::log10(r.lrs.front()) + 1e-9);
  for (double half = first;; half += 1) {
    const double mark = std::pow(10.0, half / 2) * (1 + 1e-9);
    if (mark < r.lrs.front()) continue;
    if (mark > r.lrs.back() * 3.2) break;
    std::size_t last = 0;
    for (std::size_t i = 0; i < r.lrs.size(); ++i)
      if (r.lrs[i] <= mark) last = i;
    if (rows.empty() || rows.back() != last) rows.push_back(last);
  }
  if (rows.back() != r.lrs.size() - 1) rows.push_back(r.lrs.size() - 1);
  for (std::size_t i : rows)
    std::cout << "  " << rate(r.lrs[i]) << "  " << std::fixed << std::setprecision(4) << std::setw(11) << r.losses[i]
              << "  " << std::setw(13) << r.smoothed[i] << "\n";
}

int run(const Settings& s) {
  tg::set_num_threads(s.threads);
  const auto start = std::chrono::steady_clock::now();
  const data::Dataset full_train = data::fashion_mnist("train", {.directory = s.data_dir, .flatten = true});
  const data::Dataset test = data::fashion_mnist("test", {.directory = s.data_dir, .flatten = true});
  std::cout << "Fashion-MNIST: " << full_train.size() << " train, " << test.size() << " test images; funnel MLP, "
            << s.optimizer << ", batch " << s.batch_size << ", " << s.threads << " thread(s)\n";
  std::filesystem::create_directories(s.out);
  const std::string plot = s.out + "/lr_range_test.svg";
  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };

  // The range test.
  tg::Generator gen(s.seed);
  nn::Sequential model = funnel_mlp(gen);
  auto opt = make_optimizer(s.optimizer, model, s.start_lr);
  data::DataLoader train(full_train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
  const auto finder_start = std::chrono::steady_clock::now();
  const optim::LrFinderResult r =
      optim::lr_range_test(model, loss, *opt, train,
                           {.start_lr = s.start_lr, .end_lr = s.end_lr,
                            .factor = std::pow(10.0, 1.0 / s.rates_per_decade),
                            .steps_per_rate = s.steps_per_rate, .plot_path = plot});
  const double finder_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - finder_start).count();
  print_curve(r);
  std::cout << "\n" << r.lrs.size() << " steps in " << std::fixed << std::setprecision(1) << finder_seconds << " s, "
            << (r.diverged ? "stopped when the loss diverged" : "reached the end rate without diverging") << "\n"
            << "suggested rate (steepest descent): " << rate(r.suggested_lr) << "\n"
            << "rate at the minimum:               " << rate(r.min_loss_lr) << " (a tenth of it: "
            << rate(r.min_loss_lr / 10) << ")\n"
            << "wrote " << plot << "\n";

  // The check: the same initial weights trained for `epochs` at the
  // suggestion, at a tenth of the minimum's rate, and at the minimum's rate.
  struct Check {
    std::string name;
    double lr;
    double accuracy = 0, seconds = 0;
  };
  std::vector<Check> checks = {{"suggested", r.suggested_lr}, {"minimum / 10", r.min_loss_lr / 10},
                               {"at the minimum", r.min_loss_lr}};
  data::DataLoader test_loader(test, {.batch_size = 1000});
  for (Check& c : checks) {
    const auto t0 = std::chrono::steady_clock::now();
    tg::Generator check_gen(s.seed);
    nn::Sequential m = funnel_mlp(check_gen);
    auto o = make_optimizer(s.optimizer, m, c.lr);
    data::DataLoader loader(full_train, {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed});
    const optim::FitResult fitted = optim::fit(m, loss, *o, loader, {.epochs = s.epochs, .verbose = false});
    c.accuracy = fitted.stop_reason.empty() ? 100 * optim::evaluate(m, loss, test_loader).accuracy : NAN;
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "\nrate            lr         epochs  test accuracy  time\n"
            << "--------------  ---------  ------  -------------  ------\n";
  for (const Check& c : checks)
    std::cout << std::left << std::setw(14) << c.name << std::right << "  " << rate(c.lr) << "  " << std::setw(6)
              << s.epochs << "  " << std::fixed << std::setprecision(2) << std::setw(12) << c.accuracy << "%  "
              << std::setprecision(1) << std::setw(5) << c.seconds << "s\n";
  const bool ok = checks[0].accuracy >= s.target;
  std::cout << "\ntarget: test accuracy >= " << std::setprecision(1) << s.target << "% after " << s.epochs
            << " epoch(s) at the suggested rate: " << (ok ? "met" : "MISSED") << " (" << seconds << " s in all)\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("The learning-rate range test on Fashion-MNIST, and a check of its suggestion.");
  app.add_option("--optimizer", s.optimizer, "adam, or sgd (Nesterov momentum 0.9)")
      ->check(CLI::IsMember({"adam", "sgd"}));
  app.add_option("--epochs", s.epochs, "epochs of each check run")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.batch_size, "examples per step")->check(CLI::PositiveNumber);
  app.add_option("--lr", s.start_lr, "the first rate of the range test")->check(CLI::PositiveNumber);
  app.add_option("--end-lr", s.end_lr, "the range test stops past this rate")->check(CLI::PositiveNumber);
  app.add_option("--rates-per-decade", s.rates_per_decade, "rates tried per factor of 10")->check(CLI::PositiveNumber);
  app.add_option("--steps-per-rate", s.steps_per_rate, "steps at each rate")->check(CLI::PositiveNumber);
  app.add_option("--target", s.target, "test accuracy (%) the suggestion must reach")->check(CLI::Range(0.0, 100.0));
  app.add_option("--seed", s.seed, "seed of the initialisation and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_option("--out", s.out, "directory for the plot");
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "lr_finder: " << e.what() << "\n";
    return 1;
  }
}
