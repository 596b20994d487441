// Gradients of gradients: VJPs are taped ops, so create_graph gives second
// derivatives, Hessian-vector products, Jacobians and Hessians.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>
#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;

TEST_CASE("d²/dx² of a polynomial matches the closed form") {
  // f = x⁴ − 3x³ + 2x: f' = 4x³ − 9x² + 2, f'' = 12x² − 18x
  for (double x0 : {-1.5, 0.3, 2.0}) {
    Tensor x = scalar(x0, f64).requires_grad_();
    Tensor f = pow(x, 4.0) - pow(x, 3.0) * 3.0 + x * 2.0;
    Tensor d1 = grad(f, x, {.create_graph = true});
    CHECK(d1.item() == doctest::Approx(4 * std::pow(x0, 3) - 9 * x0 * x0 + 2));
    Tensor d2 = grad(d1, x);
    CHECK(d2.item() == doctest::Approx(12 * x0 * x0 - 18 * x0));
  }
}

TEST_CASE("d²/dx² of tanh matches −2·tanh·(1 − tanh²)") {
  for (double x0 : {-0.7, 0.1, 1.3}) {
    Tensor x = scalar(x0, f64).requires_grad_();
    Tensor d1 = grad(tanh(x), x, {.create_graph = true});
    Tensor d2 = grad(d1, x);
    const double t = std::tanh(x0);
    CHECK(d1.item() == doctest::Approx(1 - t * t));
    CHECK(d2.item() == doctest::Approx(-2 * t * (1 - t * t)));
  }
}

TEST_CASE("third derivative of sin through backward(create_graph)") {
  Tensor x = scalar(0.4, f64).requires_grad_();
  Tensor d1 = grad(sin(x), x, {.create_graph = true});
  Tensor d2 = grad(d1, x, {.create_graph = true});
  Tensor d3 = grad(d2, x);
  CHECK(d3.item() == doctest::Approx(-std::cos(0.4)));
}

TEST_CASE("backward with create_graph leaves a differentiable .grad") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  sum(x * x * x).backward({.create_graph = true});  // grad = 3x²
  Tensor g = x.grad();
  CHECK(g.requires_grad());
  Tensor gg = grad(sum(g), x);  // 6x
  CHECK(gg.to_vector<double>() == std::vector<double>{6.0, 12.0});
}

namespace {

// Loss of a small two-layer net as a function of all its parameters packed
// in one vector: W1 (3x4), b1 (4), W2 (4x1).
Tensor two_layer_loss(const Tensor& params, const Tensor& x, const Tensor& y) {
  Tensor w1 = reshape(slice(params, 0, 0, 12), {3, 4});
  Tensor b1 = slice(params, 0, 12, 16);
  Tensor w2 = reshape(slice(params, 0, 16, 20), {4, 1});
  Tensor h = tanh(matmul(x, w1) + b1);
  Tensor err = matmul(h, w2) - y;
  return mean(err * err);
}

}  // namespace

TEST_CASE("hvp of a two-layer net's loss matches finite differences of its gradient") {
  Generator gen(3);
  const Tensor x = randn({5, 3}, gen, f64);
  const Tensor y = randn({5, 1}, gen, f64);
  const Tensor p = randn({20}, gen, f64) * 0.5;
  const Tensor v = randn({20}, gen, f64);
  auto loss = [&](const Tensor& params) { return two_layer_loss(params, x, y); };
  const std::vector<double> hv = hvp(loss, p, v).to_vector<double>();

  auto gradient_at = [&](const Tensor& params) {
    Tensor leaf = params.detach().requires_grad_();
    return grad(loss(leaf), leaf).to_vector<double>();
  };
  const double eps = 1e-5;
  const auto up = gradient_at(p + v * eps);
  const auto down = gradient_at(p - v * eps);
  for (std::size_t i = 0; i < hv.size(); ++i) {
    const double numeric = (up[i] - down[i]) / (2 * eps);
    CHECK(hv[i] == doctest::Approx(numeric).epsilon(1e-5).scale(1.0));
  }
}

TEST_CASE("jacobian of small functions matches closed forms") {
  // f(x) = A x: J = A
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, f64);
  Tensor j = jacobian([&](const Tensor& x) { return matmul(a, x); }, tensor({0.1, 0.2, 0.3}, f64));
  CHECK(j.shape() == Shape{2, 3});
  CHECK(j.to_vector<double>() == a.to_vector<double>());

  // f(x) = x ⊙ x: J = diag(2x)
  Tensor j2 = jacobian([](const Tensor& x) { return x * x; }, tensor({1.0, -2.0}, f64));
  CHECK(j2.to_vector<double>() == std::vector<double>{2.0, 0.0, 0.0, -4.0});

  // f(x) = softmax-free: sum of exp, a scalar: J has shape x.shape
  Tensor j3 = jacobian([](const Tensor& x) { return sum(exp(x)); }, tensor({0.0, 1.0}, f64));
  CHECK(j3.shape() == Shape{2});
  CHECK(j3.to_vector<double>()[1] == doctest::Approx(std::exp(1.0)));
}

TEST_CASE("a Jacobian larger than memory is refused up front, naming jacobian and the sizes (issue 20, defect 13)") {
  // jacobian of a (200000,) input used to compute row after row (5 GB)
  // until one backward failed, with an error that blamed mul.
  const std::int64_t n = std::int64_t{1} << 20;  // (n, n) float64: 8 TiB
  auto square = [](const Tensor& v) { return v * v; };
  CHECK_ERROR(ShapeError, jacobian(square, zeros({n}, f64)), "jacobian: the Jacobian of output (1048576,) by input (1048576,) is (1048576, 1048576) float64, 8796093022208 bytes", "more than this machine's", "bytes of memory");
  // An output that does not require grad would be all zeros, and as large.
  CHECK_ERROR(ShapeError, jacobian([](const Tensor& v) { return v.detach(); }, zeros({n})), "jacobian: the Jacobian of output (1048576,) by input (1048576,)");
  // A size int64 cannot count.
  CHECK_ERROR(ShapeError, jacobian([](const Tensor& v) { return broadcast_to(v, {std::int64_t{1} << 31, v.numel()}); }, zeros({n})), "jacobian: the Jacobian of output (2147483648, 1048576) by input (1048576,)", "more bytes than int64 counts");
  CHECK_ERROR(ShapeError, hessian([](const Tensor& v) { return sum(v * v); }, zeros({n}, f64)), "hessian: the Jacobian of output (1048576,) by input (1048576,) is (1048576, 1048576) float64");
  CHECK_ERROR(ShapeError, hessian([](const Tensor& v) { return sum(v.detach()); }, zeros({n})), "hessian: the Jacobian");
}

TEST_CASE("hessian of small functions matches closed forms") {
  // f = x0² x1 + x1³: H = [[2x1, 2x0], [2x0, 6x1]]
  auto f = [](const Tensor& x) {
    Tensor x0 = slice(x, 0, 0, 1), x1 = slice(x, 0, 1, 2);
    return sum(x0 * x0 * x1 + pow(x1, 3.0));
  };
  Tensor h = hessian(f, tensor({1.5, -0.5}, f64));
  CHECK(h.shape() == Shape{2, 2});
  const auto v = h.to_vector<double>();
  CHECK(v[0] == doctest::Approx(-1.0));
  CHECK(v[1] == doctest::Approx(3.0));
  CHECK(v[2] == doctest::Approx(3.0));
  CHECK(v[3] == doctest::Approx(-3.0));

  // Quadratic form ½xᵀAx with symmetric A: H = A
  const Tensor a = tensor({2, 1, 0, 1, 3, 1, 0, 1, 4}, {3, 3}, f64);
  Tensor h2 = hessian([&](const Tensor& x) { return sum(x * matmul(a, x)) * 0.5; }, tensor({0.3, -0.1, 0.7}, f64));
  const auto got = h2.to_vector<double>();
  const auto want = a.to_vector<double>();
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]));
}

TEST_CASE("second derivatives through the other taped VJPs") {
  // logsumexp's second derivative along a direction is the softmax variance.
  const Tensor x0 = tensor({0.2, -0.4, 1.1}, f64);
  CHECK_GRADCHECK(gradcheck(
      [](Tensor& x) { return grad(logsumexp(x, 0) * 1.0, x, {.create_graph = true}); }, {x0}));
  CHECK_GRADCHECK(gradcheck(
      [](Tensor& x) { return grad(sum(sigmoid(x) * exp(x)), x, {.create_graph = true}); }, {x0}));
  CHECK_GRADCHECK(gradcheck(
      [](Tensor& a, Tensor& b) { return grad(sum(tanh(matmul(a, b))), a, {.create_graph = true}); },
      {tensor({0.1, 0.2, 0.3, 0.4}, {2, 2}, f64), tensor({0.5, -0.6, 0.7, 0.8}, {2, 2}, f64)}));
}

// Note [Leaves held weakly] (autodiff/node.hpp): parameter -> its .grad ->
// the gradient's records -> the parameter was a reference cycle.
TEST_CASE("a model differentiated with create_graph and dropped is freed: no parameter -> .grad -> record cycle") {
  Generator gen(5);
  const Tensor x = randn({8, 4}, gen, f64);
  const std::int64_t live_before = tape_stats().live_records;
  for (int step = 0; step < 200; ++step) {
    std::weak_ptr<TensorImpl> w1_seen, w2_seen;
    {
      Tensor w1 = randn({4, 6}, gen, f64).requires_grad_();
      Tensor w2 = randn({6, 1}, gen, f64).requires_grad_();
      w1_seen = w1.impl_ptr();
      w2_seen = w2.impl_ptr();
      Tensor loss = sum(tanh(matmul(tanh(matmul(x, w1)), w2)));
      loss.backward({.create_graph = true});  // w1.grad and w2.grad hold records that use w1 and w2
      REQUIRE(w1.grad().requires_grad());
      // Their gradients are still differentiable while the parameters live.
      sum(w1.grad() * w1.grad()).backward();
    }
    CHECK(w1_seen.expired());
    CHECK(w2_seen.expired());
    CHECK(tape_stats().live_records == live_before);
    if (!w1_seen.expired() || tape_stats().live_records != live_before) break;
  }
}

TEST_CASE("a leaf gone before backward: the VJPs still read the values the op used, and skip its gradient") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y;
  std::weak_ptr<TensorImpl> w_seen;
  {
    Tensor w = tensor({3.0, 4.0}, f64).requires_grad_();
    w_seen = w.impl_ptr();
    y = sum(x * w * w);  // mul saves w for x's gradient
  }
  CHECK(w_seen.expired());  // held weakly by its records
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{9.0, 16.0});
}

TEST_CASE("create_graph steps on parameters that live on, with zero_grad: the tape stays flat") {
  Generator gen(6);
  const Tensor x = randn({8, 4}, gen, f64);
  Tensor w = randn({4, 1}, gen, f64).requires_grad_();
  std::int64_t live_after_first = -1;
  for (int step = 0; step < 100; ++step) {
    w.zero_grad();
    sum(tanh(matmul(x, w))).backward({.create_graph = true});
    // A gradient penalty: d/dw |dL/dw|², through the recorded backward.
    const Tensor penalty = grad(sum(w.grad() * w.grad()), w);
    CHECK(penalty.shape() == w.shape());
    if (step == 0) live_after_first = tape_stats().live_records;
    if (step == 99) CHECK(tape_stats().live_records == live_after_first);
  }
}
