// The universal approximation theorem (Cybenko, 1989; Hornik, 1991) in
// practice: one hidden layer of tanh units fits f(x) = sin(3x)·x on [−2, 2]
// better and better as it widens (until the training budget, not the width,
// limits the fit); then a deeper net with about as many parameters as the
// widest, for comparison.
//
//   ./build/examples/universal_approximation            # full run
//   ./build/examples/universal_approximation --quick    # what make test runs
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace optim = tg::optim;
using tg::Tensor;

namespace {

Tensor target_function(const Tensor& x) { return tg::sin(x * 3.0) * x; }

// (n, 1) points in [−2, 2], evenly spaced.
Tensor grid(std::int64_t n) {
  return tg::reshape(tg::arange(0, static_cast<double>(n)) * (4.0 / (n - 1)) - 2.0, {n, 1});
}

// 1 -> hidden[0] -> ... -> hidden[k−1] -> 1, tanh between the linear layers.
// LeCun normal initialisation (variance 1/fan_in; LeCun et al., 1998, for
// tanh) rather than Linear's default Glorot (variance 2/(fan_in + fan_out)):
// with one input, Glorot would shrink the first layer's weights as the layer
// widens, and a wide layer would start out nearly linear.
nn::Sequential mlp(const std::vector<std::int64_t>& hidden, tg::Generator& gen) {
  nn::Sequential model;
  std::int64_t in = 1;
  for (std::int64_t width : hidden) {
    model.push_back(nn::Linear(in, width, {.init = "lecun_normal", .generator = &gen}));
    model.push_back(nn::Tanh());
    in = width;
  }
  model.push_back(nn::Linear(in, 1, {.init = "lecun_normal", .generator = &gen}));
  return model;
}

struct Fit {
  double train_mse, test_mse;
};

// Full-batch Adam on the training points; the learning rate decays
// a hundredfold over the run (cosine annealing), so each net settles.
Fit train(nn::Sequential& model, const Tensor& x, const Tensor& y, const Tensor& x_test, const Tensor& y_test,
          int steps, double lr) {
  optim::Adam adam(model.parameters(), {.lr = lr});
  optim::LrScheduler schedule(adam, optim::cosine_annealing(steps, /*eta_min=*/lr / 100));
  for (int step = 0; step < steps; ++step) {
    const Tensor loss = nn::mse_loss(model(x), y);
    adam.zero_grad();
    loss.backward();
    adam.step();
    schedule.step();
  }
  tg::NoGrad no_grad;
  return {nn::mse_loss(model(x), y).item(), nn::mse_loss(model(x_test), y_test).item()};
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::uint64_t seed = 0;
  CLI::App app("Fits sin(3x)·x with one hidden layer of growing width, then with a deeper net.");
  int steps = 0;
  double lr = 3e-3;
  app.add_flag("--quick", quick, "three widths only");
  app.add_option("--seed", seed, "seed of the training points and the initialisation");
  app.add_option("--steps", steps, "full-batch Adam steps per net (default 10000)");
  app.add_option("--lr", lr, "Adam's initial learning rate (cosine-annealed to a hundredth)");
  CLI11_PARSE(app, argc, argv);
  tg::set_num_threads(1);  // tiny matrices: threads would only add overhead
  tg::Generator gen(seed);

  // 200 random training points; the test set is a dense grid of 2,001.
  const Tensor x = tg::uniform({200, 1}, -2, 2, gen), y = target_function(x);
  const Tensor x_test = grid(2001), y_test = target_function(x_test);
  if (steps <= 0) steps = 10000;
  const std::vector<std::int64_t> widths =
      quick ? std::vector<std::int64_t>{1, 4, 16} : std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64};

  std::printf("f(x) = sin(3x)·x on [-2, 2]: %lld training points, %d full-batch Adam steps each\n\n",
              static_cast<long long>(x.size(0)), steps);
  std::printf("%-16s %10s %12s %12s\n", "hidden layers", "parameters", "train MSE", "test MSE");
  const auto start = std::chrono::steady_clock::now();
  auto run = [&](const std::vector<std::int64_t>& hidden) {
    nn::Sequential model = mlp(hidden, gen);
    const Fit fit = train(model, x, y, x_test, y_test, steps, lr);
    std::string shape;
    for (std::int64_t w : hidden) shape += (shape.empty() ? "" : " x ") + std::to_string(w);
    std::printf("%-16s %10lld %12.2e %12.2e\n", shape.c_str(), static_cast<long long>(model.parameter_count()),
                fit.train_mse, fit.test_mse);
    return fit;
  };

  std::vector<Fit> wide;
  for (std::int64_t w : widths) wide.push_back(run({w}));
  std::printf("\n");
  const Fit deep = run({8, 8, 8});
  std::printf("\n%.1f s in all\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  // The lesson: widening the layer buys orders of magnitude, until Adam's
  // budget rather than the width limits the fit; there the MSE may wobble.
  const std::size_t best = std::min_element(wide.begin(), wide.end(), [](const Fit& a, const Fit& b) {
                             return a.test_mse < b.test_mse;
                           }) - wide.begin();
  bool falls = wide.back().test_mse < wide.front().test_mse / 100;
  for (std::size_t i = 1; i < wide.size(); ++i)
    falls = falls && (wide[i].test_mse < wide[i - 1].test_mse || wide[i].test_mse < 10 * wide[best].test_mse);
  std::printf("\nOne hidden layer: test MSE %.1e with 1 unit, %.1e with %lld; where it stops falling, training\n"
              "rather than width limits the fit. Three layers of 8: %.1e.\n",
              wide.front().test_mse, wide[best].test_mse, static_cast<long long>(widths[best]), deep.test_mse);
  if (!falls) std::printf("\nunexpected: the test MSE did not fall as the hidden layer widened\n");
  return falls && deep.test_mse < wide.front().test_mse / 100 ? 0 : 1;
}
