// Rosenblatt's perceptron learns any linearly separable set, never XOR; one
// hidden layer trained by gradients learns XOR (Minsky & Papert's objection,
// and its answer).
//
//   ./build/examples/perceptron            # full run
//   ./build/examples/perceptron --quick    # what make test runs
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace optim = tg::optim;
using tg::Tensor;

namespace {

struct Outcome {
  std::string model, data, rule;
  int epochs;
  bool converged;
  double accuracy;
  std::string detail;  // mistakes per epoch, or when the loss got low
};

// The perceptron has no bias: a constant 1 appended to each point plays its part.
Tensor with_bias_input(const std::vector<double>& xy) {
  std::vector<double> rows;
  for (std::size_t i = 0; i < xy.size(); i += 2) rows.insert(rows.end(), {xy[i], xy[i + 1], 1.0});
  return tg::from_vector(rows, {static_cast<std::int64_t>(xy.size() / 2), 3});
}

double accuracy(const Tensor& predicted, const Tensor& targets) {
  const auto p = predicted.to_vector<double>(), t = targets.to_vector<double>();
  int correct = 0;
  for (std::size_t i = 0; i < p.size(); ++i) correct += p[i] == t[i];
  return static_cast<double>(correct) / static_cast<double>(p.size());
}

// "12 5 3 0", or its first and last few when long.
std::string list(const std::vector<std::int64_t>& mistakes) {
  std::string s;
  for (std::size_t i = 0; i < mistakes.size(); ++i) {
    if (mistakes.size() > 10 && i == 6) {
      s += "... ";
      i = mistakes.size() - 3;
    }
    s += std::to_string(mistakes[i]) + " ";
  }
  s.pop_back();
  return s;
}

Outcome perceptron(const std::string& name, const Tensor& x, const Tensor& t, int max_epochs) {
  nn::Perceptron p(3);  // heaviside step, targets in {0, 1}, weights from zero
  const nn::PerceptronFit fit = p.fit(x, t, max_epochs);
  return {"Perceptron", name, "perceptron rule", fit.epochs, fit.converged, accuracy(p(x), t), list(fit.mistakes)};
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::uint64_t seed = 0;
  CLI::App app("A perceptron on separable data and on XOR, then an MLP on XOR.");
  app.add_flag("--quick", quick, "fewer points and epochs");
  app.add_option("--seed", seed, "seed of the points and the MLP's initialisation");
  CLI11_PARSE(app, argc, argv);
  tg::set_num_threads(1);
  tg::Generator gen(seed);

  // 1. Points on either side of the line y = 0.6x + 0.2, none closer to it than
  //    the margin: separable with a margin, so the rule converges after a
  //    finite number of mistakes (Novikoff, 1962).
  const int points = quick ? 50 : 500;
  const double margin = 0.02;
  std::vector<double> xy, labels;
  while (static_cast<int>(labels.size()) < points) {
    const double a = 2 * gen.uniform() - 1, b = 2 * gen.uniform() - 1;
    const double side = (b - 0.6 * a - 0.2) / std::sqrt(1 + 0.36);  // signed distance to the line
    if (std::abs(side) < margin) continue;
    xy.insert(xy.end(), {a, b});
    labels.push_back(side > 0 ? 1 : 0);
  }
  const Outcome separable = perceptron(std::to_string(points) + " points, margin 0.02", with_bias_input(xy),
                                       tg::from_vector(labels, {points}), 1000);

  // 2. XOR: no line separates {(0,1), (1,0)} from {(0,0), (1,1)}; the rule
  //    cycles for ever.
  const std::vector<double> corners = {0, 0, 0, 1, 1, 0, 1, 1}, xor_labels = {0, 1, 1, 0};
  const Outcome xor_perceptron =
      perceptron("XOR", with_bias_input(corners), tg::from_vector(xor_labels, {4}), quick ? 20 : 100);

  // 3. One hidden layer of tanh units, trained by gradient descent on the
  //    tape: binary cross-entropy on the logit, Adam.
  const Tensor x = tg::from_vector(corners, {4, 2}), y = tg::from_vector(xor_labels, {4, 1});
  nn::Sequential mlp(nn::Linear(2, 4, {.generator = &gen}), nn::Tanh(), nn::Linear(4, 1, {.generator = &gen}));
  optim::Adam adam(mlp.parameters(), {.lr = 0.05});
  const int steps = quick ? 300 : 1000;
  int solved_at = 0;
  for (int step = 1; step <= steps; ++step) {
    const Tensor logits = mlp(x);
    const Tensor loss = nn::binary_cross_entropy_with_logits(logits, y);
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (solved_at == 0 && loss.item() < 0.05) solved_at = step;  // confident on all four corners
  }
  tg::NoGrad no_grad;
  const Tensor predicted = tg::heaviside(mlp(x));  // logit > 0: class 1
  const Outcome xor_mlp{"MLP 2-4-1, tanh", "XOR", "Adam on BCE", steps, solved_at > 0, accuracy(predicted, y),
                        solved_at > 0 ? "loss first below 0.05 at step " + std::to_string(solved_at)
                                      : "loss never below 0.05"};

  std::printf("%-16s %-26s %-16s %7s %10s %9s\n", "model", "data", "trained by", "epochs", "converged", "accuracy");
  for (const Outcome& o : {separable, xor_perceptron, xor_mlp}) {
    std::printf("%-16s %-26s %-16s %7d %10s %8.1f%%\n", o.model.c_str(), o.data.c_str(), o.rule.c_str(), o.epochs,
                o.converged ? "yes" : "no", 100 * o.accuracy);
  }
  std::printf("\nmistakes per epoch, separable: %s\nmistakes per epoch, XOR:       %s\nMLP on XOR: %s\n",
              separable.detail.c_str(), xor_perceptron.detail.c_str(), xor_mlp.detail.c_str());

  const bool lesson = separable.converged && separable.accuracy == 1 && !xor_perceptron.converged &&
                      xor_perceptron.accuracy < 1 && xor_mlp.accuracy == 1;
  if (!lesson) std::printf("\nunexpected: the perceptron should separate the line, fail on XOR, the MLP solve it\n");
  return lesson ? 0 : 1;
}
