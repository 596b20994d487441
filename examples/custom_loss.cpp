// The README's example: a custom loss, differentiated by the tape, checked
// with gradcheck, then used to train a classifier.
//
//   ./build/examples/custom_loss            # full run
//   ./build/examples/custom_loss --quick    # what make test runs
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <numbers>
#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace optim = tg::optim;

// Focal loss (Lin et al., 2017): cross-entropy that down-weights easy examples.
tg::Tensor focal_loss(const tg::Tensor& logits, const tg::Tensor& labels, double gamma = 2) {
  auto logp = logits - tg::logsumexp(logits, /*axis=*/-1, /*keepdims=*/true);
  auto logp_t = tg::gather(logp, -1, labels);  // log-probability of each label
  return tg::mean(-tg::pow(1.0 - tg::exp(logp_t), gamma) * logp_t);
}

// 1. The tape differentiates the loss; gradcheck compares it with central differences.
bool check_gradient() {
  tg::Generator gen(42);
  auto labels = tg::from_vector(std::vector<std::int64_t>{3, 0, 7, 1}, {4});
  auto logits = tg::randn({4, 10}, gen).requires_grad_();

  auto loss = focal_loss(logits, labels);
  loss.backward();                                  // the tape does the rest
  std::cout << "loss " << loss.item() << ", d loss/d logits " << logits.grad().shape().str() << "\n";

  auto report = tg::gradcheck([&](auto& l) { return focal_loss(l, labels); }, {logits});
  std::cout << report;                              // per-input table, in float64
  return report.ok();
}

// Three interleaved spirals in the plane, `per_class` points each: no line
// separates them, a small MLP can.
tg::data::Dataset spirals(std::int64_t per_class, tg::Generator& gen) {
  std::vector<float> points;
  std::vector<std::int64_t> labels;
  for (std::int64_t c = 0; c < 3; ++c) {
    for (std::int64_t i = 0; i < per_class; ++i) {
      const double r = static_cast<double>(i + 1) / per_class;
      const double t = 2 * std::numbers::pi * c / 3 + 4 * r + 0.2 * gen.normal();
      points.insert(points.end(), {static_cast<float>(r * std::sin(t)), static_cast<float>(r * std::cos(t))});
      labels.push_back(c);
    }
  }
  return tg::data::Dataset(tg::from_vector(points, {3 * per_class, 2}), tg::from_vector(labels, {3 * per_class}));
}

// 2. The same loss trains a model: optim::fit calls it on each batch and the
// tape differentiates it like any built-in loss.
bool train(bool quick, std::uint64_t seed) {
  tg::Generator gen(seed);
  const auto [train_set, test_set] = spirals(quick ? 150 : 300, gen).split(0.25, seed);
  nn::Sequential model(nn::Linear(2, 32, {.generator = &gen}), nn::Tanh(), nn::Linear(32, 32, {.generator = &gen}),
                       nn::Tanh(), nn::Linear(32, 3, {.generator = &gen}));
  optim::Adam adam(model.parameters(), {.lr = 1e-2});
  tg::data::DataLoader train_loader(train_set, {.batch_size = 32, .shuffle = true, .seed = seed});
  tg::data::DataLoader test_loader(test_set, {.batch_size = 1000});
  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return focal_loss(logits, labels); };

  const int epochs = quick ? 100 : 200;
  const optim::Evaluation before = optim::evaluate(model, loss, test_loader);
  optim::fit(model, loss, adam, train_loader, {.epochs = epochs, .verbose = false});
  const optim::Evaluation after = optim::evaluate(model, loss, test_loader);

  std::printf("\nA 2-32-32-3 tanh MLP trained with the focal loss (Adam, lr 0.01) on three spirals,\n"
              "%lld train / %lld test points:\n\n", static_cast<long long>(train_set.size()),
              static_cast<long long>(test_set.size()));
  std::printf("  %-22s %12s %15s\n", "", "focal loss", "test accuracy");
  std::printf("  %-22s %12.4f %14.1f%%\n", "before training", before.loss, 100 * before.accuracy);
  std::printf("  %-22s %12.4f %14.1f%%\n", ("after " + std::to_string(epochs) + " epochs").c_str(), after.loss,
              100 * after.accuracy);
  return after.loss < before.loss / 4 && after.accuracy >= 0.9;
}

int main(int argc, char** argv) {
  bool quick = false;
  std::uint64_t seed = 0;
  CLI::App app("Checks a focal loss's gradient numerically, then trains a classifier with it.");
  app.add_flag("--quick", quick, "fewer points and epochs (a few seconds)");
  app.add_option("--seed", seed, "seed of the data, the initialisation and the shuffling");
  CLI11_PARSE(app, argc, argv);
  tg::set_num_threads(1);  // tiny matrices: threads would only add overhead

  const bool gradient_ok = check_gradient();
  const bool learned = train(quick, seed);
  if (!gradient_ok) std::cout << "\nthe focal loss's gradient disagrees with central differences\n";
  if (!learned) std::cout << "\nthe focal loss did not train the classifier (test accuracy under 90%)\n";
  return gradient_ok && learned ? 0 : 1;
}
