// Rosenblatt's perceptron: converges on separable data, never on XOR; a
// one-hidden-layer MLP trained by gradients learns XOR.
#include <doctest/doctest.h>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// Inputs with a constant 1 appended: the perceptron has no bias term.
Tensor with_bias_input(const std::vector<double>& points, std::int64_t n) {
  std::vector<double> rows;
  for (std::int64_t i = 0; i < n; ++i) {
    rows.push_back(points[static_cast<std::size_t>(2 * i)]);
    rows.push_back(points[static_cast<std::size_t>(2 * i + 1)]);
    rows.push_back(1.0);
  }
  return from_vector(rows, {n, 3});
}

const std::vector<double> kCorners = {0, 0, 0, 1, 1, 0, 1, 1};

}  // namespace

TEST_CASE("the perceptron learns AND and OR, which are linearly separable") {
  const Tensor x = with_bias_input(kCorners, 4);
  for (const auto& targets : {std::vector<double>{0, 0, 0, 1}, std::vector<double>{0, 1, 1, 1}}) {
    nn::Perceptron p(3);
    const nn::PerceptronFit fit = p.fit(x, from_vector(targets, {4}), 100);
    CHECK(fit.converged);
    CHECK(fit.mistakes.back() == 0);
    CHECK(fit.epochs < 20);
    check_values(p(x), targets);
  }
}

TEST_CASE("the perceptron converges on a random separable cloud, with the sign step") {
  // Labels from a known hyperplane with a margin: Novikoff's bound holds.
  Generator gen(3);
  std::vector<double> points, labels;
  while (labels.size() < 200) {
    const double a = gen.uniform() * 4 - 2, b = gen.uniform() * 4 - 2;
    const double side = 1.5 * a - b + 0.3;
    if (std::abs(side) < 0.2) continue;
    points.push_back(a);
    points.push_back(b);
    labels.push_back(side > 0 ? 1 : -1);
  }
  const Tensor x = with_bias_input(points, 200);
  const Tensor y = from_vector(labels, {200});
  nn::Perceptron p(3, nn::Step::sign);
  const nn::PerceptronFit fit = p.fit(x, y, 1000);
  CHECK(fit.converged);
  check_values(p(x), labels);
  CHECK(p.train_epoch(x, y) == 0);  // stays put once it separates
}

TEST_CASE("the perceptron never separates XOR") {
  const Tensor x = with_bias_input(kCorners, 4);
  const Tensor xor_targets = tensor({0, 1, 1, 0});
  nn::Perceptron p(3);
  const nn::PerceptronFit fit = p.fit(x, xor_targets, 1000);
  CHECK_FALSE(fit.converged);
  CHECK(fit.epochs == 1000);
  for (std::int64_t m : fit.mistakes) CHECK(m > 0);
  const auto predicted = p(x).to_vector<double>();
  int right = 0;
  for (std::size_t i = 0; i < 4; ++i) right += predicted[i] == std::vector<double>{0, 1, 1, 0}[i];
  CHECK(right < 4);
}

TEST_CASE("a one-hidden-layer MLP learns XOR by gradient descent") {
  Generator gen(1);
  nn::Sequential mlp(nn::Linear(2, 8, {.generator = &gen}), nn::Tanh(), nn::Linear(8, 1, {.generator = &gen}));
  const Tensor x = from_vector(kCorners, {4, 2});
  const Tensor y = tensor({0, 1, 1, 0}, {4, 1});
  for (int step = 0; step < 2000; ++step) {
    const Tensor loss = nn::binary_cross_entropy_with_logits(mlp(x), y);
    loss.backward();
    NoGrad no_grad;
    for (Tensor& p : mlp.parameters()) {
      float* w = p.mutable_data<float>();
      const float* g = p.grad().data<float>();
      for (std::int64_t i = 0; i < p.numel(); ++i) w[i] -= 0.5f * g[i];
    }
    mlp.zero_grad();
  }
  check_values(heaviside(mlp(x)), {0, 1, 1, 0});
}

TEST_CASE("the perceptron is not trained by gradients: its weight does not require grad") {
  nn::Perceptron p(4);
  CHECK(p.parameters().size() == 1);
  CHECK_FALSE(p.weight.requires_grad());
  CHECK(p.summary({2, 4}).find("Non-trainable params: 4") != std::string::npos);
  CHECK(p(ones({2, 4})).shape() == Shape{2});
}

TEST_CASE("perceptron errors name the shapes and the targets expected") {
  nn::Perceptron p(3);
  CHECK_ERROR(ShapeError, p(zeros({2, 4})), "Perceptron(3 inputs, heaviside step): expected an input (N, 3) or (3,), got (2, 4)");
  CHECK_ERROR(ShapeError, p.train_epoch(zeros({4, 3}), zeros({3})), "expected targets (4,), one per row of x (4, 3), got (3,)");
  CHECK_ERROR(InvalidArgument, p.train_epoch(zeros({2, 3}), tensor({0, 2})), "target 1 is 2", "heaviside perceptron takes targets in {0, 1}");
  nn::Perceptron s(3, nn::Step::sign);
  CHECK_ERROR(InvalidArgument, s.train_epoch(zeros({2, 3}), tensor({0, 1})), "target 0 is 0", "sign perceptron takes targets in {-1, 1}");
  CHECK_ERROR(InvalidArgument, nn::Perceptron(0), "Perceptron: inputs must be positive, got 0");
}
