// Losses: values against hand-computed numbers for each reduction, the
// identities between the cross-entropy forms, stability at extreme logits,
// float64 gradchecks against every differentiable input, and every error.
#include <doctest/doctest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using nn::Reduction;
using tg::test::check_values;

namespace {

// d loss / d x for a loss of x alone.
Tensor grad_at(const Tensor& x, const std::function<Tensor(const Tensor&)>& loss) {
  Tensor leaf = x.detach();
  leaf.requires_grad_();
  return grad(loss(leaf), leaf);
}

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// log Σ_j e^(x_j), the long way.
double lse(const std::vector<double>& row) {
  double total = 0;
  for (double v : row) total += std::exp(v);
  return std::log(total);
}

const Tensor kPred = tensor({1, 2, 3, 4}, f64);
const Tensor kTarget = tensor({1.5, 2, 1, 6}, f64);  // d = pred − target = (−0.5, 0, 2, −2)

}  // namespace

TEST_CASE("mse_loss: (pred − target)², reduced by mean, sum or none") {
  check_values(nn::mse_loss(kPred, kTarget), {8.25 / 4});
  check_values(nn::mse_loss(kPred, kTarget, Reduction::sum), {8.25});
  const Tensor each = nn::mse_loss(kPred, kTarget, Reduction::none);
  CHECK(each.shape() == Shape{4});
  check_values(each, {0.25, 0, 4, 4});
  // float32 too, and 2-D inputs keep their shape under none.
  const Tensor p32 = tensor({1, 2, 3, 4}, {2, 2}), t32 = tensor({0, 0, 0, 0}, {2, 2});
  check_values(nn::mse_loss(p32, t32), {30.0 / 4});
  CHECK(nn::mse_loss(p32, t32, Reduction::none).shape() == Shape{2, 2});
}

TEST_CASE("l1_loss: |pred − target|, with gradient sign(d) and 0 where pred == target") {
  check_values(nn::l1_loss(kPred, kTarget), {4.5 / 4});
  check_values(nn::l1_loss(kPred, kTarget, Reduction::sum), {4.5});
  check_values(nn::l1_loss(kPred, kTarget, Reduction::none), {0.5, 0, 2, 2});
  check_values(grad_at(kPred, [](const Tensor& p) { return nn::l1_loss(p, kTarget, Reduction::sum); }), {-1, 0, 1, -1});
}

TEST_CASE("huber_loss: ½d² inside delta, delta·(|d| − ½delta) outside, continuous at |d| = delta") {
  check_values(nn::huber_loss(kPred, kTarget, 1.0, Reduction::none), {0.125, 0, 1.5, 1.5});
  check_values(nn::huber_loss(kPred, kTarget), {3.125 / 4});
  check_values(nn::huber_loss(kPred, kTarget, 1.0, Reduction::sum), {3.125});
  // delta 2.5: every |d| is inside, so the loss is ½d².
  check_values(nn::huber_loss(kPred, kTarget, 2.5, Reduction::none), {0.125, 0, 2, 2});
  // delta 0.5: 0.5·(2 − 0.25) for the outliers.
  check_values(nn::huber_loss(kPred, kTarget, 0.5, Reduction::none), {0.125, 0, 0.875, 0.875});
  // At |d| = delta both branches give ½delta²; the gradient is ±delta outside.
  const Tensor p = tensor({1, -1, 3}, f64), zero = zeros({3}, f64);
  check_values(nn::huber_loss(p, zero, 1.0, Reduction::none), {0.5, 0.5, 2.5});
  check_values(grad_at(p, [&](const Tensor& x) { return nn::huber_loss(x, zero, 1.0, Reduction::sum); }), {1, -1, 1});
  check_values(grad_at(tensor({0.25, -0.5}, f64), [](const Tensor& x) { return nn::huber_loss(x, zeros({2}, f64), 1.0, Reduction::sum); }), {0.25, -0.5});
}

TEST_CASE("binary_cross_entropy: −(t·log p + (1 − t)·log(1 − p)) for each reduction") {
  const Tensor p = tensor({0.9, 0.2, 0.5}, f64), t = tensor({1, 0, 0.3}, f64);
  const std::vector<double> expected = {-std::log(0.9), -std::log(0.8), std::log(2.0)};
  check_values(nn::binary_cross_entropy(p, t, Reduction::none), expected);
  const double total = expected[0] + expected[1] + expected[2];
  check_values(nn::binary_cross_entropy(p, t, Reduction::sum), {total});
  check_values(nn::binary_cross_entropy(p, t), {total / 3});
  check_values(nn::binary_cross_entropy(tensor({0.9, 0.2, 0.5}), tensor({1, 0, 0.3})), {total / 3}, 1e-6);
}

TEST_CASE("binary_cross_entropy: p = 0 or 1 gives 100 (log floored at −100) and a finite gradient") {
  for (Dtype dtype : {f32, f64}) {
    INFO(dtype_name(dtype));
    const Tensor p = tensor({0, 1, 0, 1}, dtype), t = tensor({1, 0, 0, 1}, dtype);
    check_values(nn::binary_cross_entropy(p, t, Reduction::none), {100, 100, 0, 0});
    const Tensor g = grad_at(p, [&](const Tensor& x) { return nn::binary_cross_entropy(x, t); });
    CHECK(all_finite(g));
    // Soft targets at the edges: the floored term has gradient 0, the other −(1 − t)/(1 − p)·(−1) = 1 − t.
    const Tensor g_soft = grad_at(tensor({0}, dtype), [&](const Tensor& x) { return nn::binary_cross_entropy(x, tensor({0.25}, dtype), Reduction::sum); });
    check_values(g_soft, {0.75});
  }
}

TEST_CASE("binary_cross_entropy_with_logits equals binary_cross_entropy(sigmoid) for moderate logits") {
  Generator gen(3);
  const Tensor x = uniform({6, 5}, -4, 4, gen, f64), t = uniform({6, 5}, 0, 1, gen, f64);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    const std::vector<double> via_probabilities = nn::binary_cross_entropy(sigmoid(x), t, r).to_vector<double>();
    check_values(nn::binary_cross_entropy_with_logits(x, t, r), via_probabilities, 1e-6, 1e-10);
  }
  // Hand value: x = 0 gives log 2 for any target; x = 2, t = 1 gives log(1 + e^−2).
  check_values(nn::binary_cross_entropy_with_logits(tensor({0, 2}, f64), tensor({0.7, 1}, f64), Reduction::none), {std::log(2.0), std::log1p(std::exp(-2.0))});
}

TEST_CASE("binary_cross_entropy_with_logits stays finite and exact at logits ±1e4") {
  for (Dtype dtype : {f32, f64}) {
    INFO(dtype_name(dtype));
    const Tensor x = tensor({1e4, -1e4, 1e4, -1e4, 50, -50}, dtype), t = tensor({1, 0, 0, 1, 1, 0}, dtype);
    const Tensor each = nn::binary_cross_entropy_with_logits(x, t, Reduction::none);
    check_values(each, {0, 0, 1e4, 1e4, 0, 0}, 1e-6, 1e-12);
    // The gradient is σ(x) − t: 0 where right, ±1 where confidently wrong.
    const Tensor g = grad_at(x, [&](const Tensor& v) { return nn::binary_cross_entropy_with_logits(v, t, Reduction::sum); });
    CHECK(all_finite(g));
    const std::vector<double> gv = g.to_vector<double>();
    CHECK(gv[0] == doctest::Approx(0));
    CHECK(gv[2] == doctest::Approx(1));
    CHECK(gv[3] == doctest::Approx(-1));
  }
}

TEST_CASE("binary_cross_entropy_with_logits: the gradient at logits of exactly 0 is σ(0) − t = ½ − t") {
  // What a zero-initialised output layer produces; a composition with relu
  // and abs would give −t here.
  const Tensor t = tensor({0, 1, 0.25, 1}, f64);
  const Tensor g = grad_at(zeros({4}, f64), [&](const Tensor& x) { return nn::binary_cross_entropy_with_logits(x, t); });
  check_values(g, {0.5 / 4, -0.5 / 4, 0.25 / 4, -0.5 / 4});
  // And away from 0, (σ(x) − t)/N.
  const Tensor x = tensor({-1.5, 0.3}, f64), t2 = tensor({1, 0.2}, f64);
  check_values(grad_at(x, [&](const Tensor& v) { return nn::binary_cross_entropy_with_logits(v, t2); }), {(sigmoid_of(-1.5) - 1) / 2, (sigmoid_of(0.3) - 0.2) / 2}, 1e-6, 1e-12);
}

TEST_CASE("cross_entropy from class indices: −log softmax(x)[y], each reduction") {
  const Tensor logits = tensor({1, 2, 3, 1, 1, 1}, {2, 3}, f64);
  const Tensor labels = from_vector(std::vector<std::int64_t>{2, 0}, {2});
  const double l0 = lse({1, 2, 3}) - 3, l1 = std::log(3.0);
  check_values(nn::cross_entropy(logits, labels, Reduction::none), {l0, l1});
  check_values(nn::cross_entropy(logits, labels, Reduction::sum), {l0 + l1});
  check_values(nn::cross_entropy(logits, labels), {(l0 + l1) / 2});
  // Gradient: (softmax(x) − onehot(y)) / N.
  const Tensor g = grad_at(logits, [&](const Tensor& x) { return nn::cross_entropy(x, labels); });
  const double z = std::exp(lse({1, 2, 3}));
  check_values(g, {std::exp(1) / z / 2, std::exp(2) / z / 2, (std::exp(3) / z - 1) / 2, (1.0 / 3 - 1) / 2, 1.0 / 6, 1.0 / 6}, 1e-6, 1e-12);
}

TEST_CASE("cross_entropy equals nll_loss(log_softmax) and the one-hot probability form") {
  Generator gen(7);
  const Tensor logits = randn({8, 5}, gen, f64);
  const Tensor labels = from_vector(std::vector<std::int64_t>{0, 4, 2, 2, 1, 3, 0, 4}, {8});
  const Tensor one_hot = from_vector(std::vector<double>{1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0,
                                                         0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                     {8, 5}, f64);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    INFO(nn::reduction_name(r));
    const std::vector<double> ce = nn::cross_entropy(logits, labels, r).to_vector<double>();
    check_values(nn::nll_loss(log_softmax(logits), labels, r), ce);
    check_values(nn::cross_entropy(logits, one_hot, r), ce, 1e-6, 1e-12);
  }
}

TEST_CASE("cross_entropy with soft labels: −Σ q·log softmax(x), mean over N") {
  const Tensor logits = tensor({1, 2, 3, 0, -1, 2}, {2, 3}, f64);
  const Tensor q = tensor({0.2, 0.3, 0.5, 0.6, 0, 0.4}, {2, 3}, f64);
  const double z0 = lse({1, 2, 3}), z1 = lse({0, -1, 2});
  const double l0 = 0.2 * (z0 - 1) + 0.3 * (z0 - 2) + 0.5 * (z0 - 3);
  const double l1 = 0.6 * (z1 - 0) + 0.4 * (z1 - 2);
  check_values(nn::cross_entropy(logits, q, Reduction::none), {l0, l1}, 1e-6, 1e-12);
  check_values(nn::cross_entropy(logits, q), {(l0 + l1) / 2}, 1e-6, 1e-12);
}

TEST_CASE("cross_entropy with label smoothing ε: (1 − ε)·nll + ε·mean_c(−log p)") {
  const Tensor logits = tensor({1, 2, 3}, {1, 3}, f64);
  const Tensor label = from_vector(std::vector<std::int64_t>{2}, {1});
  const double z = lse({1, 2, 3});
  const double expected = 0.8 * (z - 3) + 0.2 * ((z - 1) + (z - 2) + (z - 3)) / 3;
  check_values(nn::cross_entropy(logits, label, Reduction::mean, 0.2), {expected}, 1e-6, 1e-12);
  // The same as the probability target (1 − ε)·onehot + ε/C without smoothing;
  // a probability target is smoothed the same way, q -> (1 − ε)·q + ε/C.
  check_values(nn::cross_entropy(logits, tensor({0.2 / 3, 0.2 / 3, 0.8 + 0.2 / 3}, {1, 3}, f64)), {expected}, 1e-6, 1e-12);
  const Tensor soft = tensor({0.5, 0.5, 0}, {1, 3}, f64);
  check_values(nn::cross_entropy(logits, soft, Reduction::mean, 0.3), {0.7 * (0.5 * (z - 1) + 0.5 * (z - 2)) + 0.3 * ((z - 1) + (z - 2) + (z - 3)) / 3}, 1e-6, 1e-12);
  // ε = 0 is plain cross-entropy; ε = 1 is the uniform target.
  check_values(nn::cross_entropy(logits, label, Reduction::mean, 0.0), {z - 3}, 1e-6, 1e-12);
  check_values(nn::cross_entropy(logits, label, Reduction::mean, 1.0), {z - 2}, 1e-6, 1e-12);
}

TEST_CASE("cross_entropy is finite and exact at logits ±1e4, value and gradient") {
  for (Dtype dtype : {f32, f64}) {
    INFO(dtype_name(dtype));
    const Tensor logits = tensor({1e4, -1e4, 0, -1e4, 1e4, 0}, {2, 3}, dtype);
    const Tensor labels = from_vector(std::vector<std::int64_t>{0, 0}, {2});
    check_values(nn::cross_entropy(logits, labels, Reduction::none), {0, 2e4});
    const Tensor g = grad_at(logits, [&](const Tensor& x) { return nn::cross_entropy(x, labels, Reduction::sum); });
    check_values(g, {0, 0, 0, -1, 1, 0}, 1e-6, 1e-12);
    // The probability form and nll_loss(log_softmax) as well.
    const Tensor q = tensor({1, 0, 0, 1, 0, 0}, {2, 3}, dtype);
    check_values(nn::cross_entropy(logits, q, Reduction::none), {0, 2e4});
    check_values(nn::nll_loss(log_softmax(logits), labels, Reduction::none), {0, 2e4});
  }
}

TEST_CASE("nll_loss: −log_probs[y], each reduction, gradient −onehot/N") {
  const Tensor log_probs = tensor({-0.1, -2, -3, -0.5, -1, -4}, {2, 3}, f64);
  const Tensor labels = from_vector(std::vector<std::int64_t>{1, 0}, {2});
  check_values(nn::nll_loss(log_probs, labels, Reduction::none), {2, 0.5});
  check_values(nn::nll_loss(log_probs, labels, Reduction::sum), {2.5});
  check_values(nn::nll_loss(log_probs, labels), {1.25});
  check_values(grad_at(log_probs, [&](const Tensor& x) { return nn::nll_loss(x, labels); }), {0, -0.5, 0, -0.5, 0, 0});
}

TEST_CASE("float64 gradchecks of every loss against its prediction and, where differentiable, its target") {
  Generator gen(11);
  const Tensor pred = randn({3, 4}, gen, f64), target = randn({3, 4}, gen, f64);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    INFO(nn::reduction_name(r));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([r](auto& p, auto& t) { return nn::mse_loss(p, t, r); }, {pred, target}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([r](auto& p, auto& t) { return nn::l1_loss(p, t, r); }, {pred, target}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([r](auto& p, auto& t) { return nn::huber_loss(p, t, 0.7, r); }, {pred, target}));
    const Tensor p = uniform({3, 4}, 0.05, 0.95, gen, f64), t = uniform({3, 4}, 0, 1, gen, f64);
    CHECK_GRADCHECK_INPUTS(2, gradcheck([r](auto& a, auto& b) { return nn::binary_cross_entropy(a, b, r); }, {p, t}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([r](auto& a, auto& b) { return nn::binary_cross_entropy_with_logits(a, b, r); }, {pred, t}));
  }
}

TEST_CASE("float64 gradchecks of cross_entropy (both label forms, smoothing) and nll_loss") {
  Generator gen(12);
  const Tensor logits = randn({4, 5}, gen, f64);
  const Tensor labels = from_vector(std::vector<std::int64_t>{3, 0, 4, 1}, {4});
  const Tensor q = softmax(randn({4, 5}, gen, f64));
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    INFO(nn::reduction_name(r));
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](auto& x) { return nn::cross_entropy(x, labels, r); }, {logits}));
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](auto& x) { return nn::cross_entropy(x, labels, r, 0.1); }, {logits}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](auto& x, auto& p) { return nn::cross_entropy(x, p, r); }, {logits, q}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](auto& x, auto& p) { return nn::cross_entropy(x, p, r, 0.25); }, {logits, q}));
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](auto& x) { return nn::nll_loss(log_softmax(x), labels, r); }, {logits}));
  }
}

TEST_CASE("losses differentiate twice: the Hessian of binary_cross_entropy_with_logits is σ(x)(1 − σ(x))/N") {
  const Tensor x = tensor({-1, 0.5}, f64), t = tensor({0, 1}, f64);
  const Tensor h = hessian([&](const Tensor& v) { return nn::binary_cross_entropy_with_logits(v, t); }, x);
  const double s0 = sigmoid_of(-1), s1 = sigmoid_of(0.5);
  check_values(h, {s0 * (1 - s0) / 2, 0, 0, s1 * (1 - s1) / 2}, 1e-6, 1e-12);
}

TEST_CASE("elementwise losses refuse pred/target of different shapes instead of broadcasting (N, 1) against (N,)") {
  const Tensor column = zeros({4, 1}), flat = zeros({4});
  CHECK_OP_ERROR(ShapeError, nn::mse_loss(column, flat), "mse_loss: pred (4, 1) and target (4,) must have the same shape", "does not broadcast", "(N, 1)");
  CHECK_OP_ERROR(ShapeError, nn::l1_loss(flat, column), "l1_loss: pred (4,) and target (4, 1)");
  CHECK_OP_ERROR(ShapeError, nn::huber_loss(column, flat), "huber_loss: pred (4, 1) and target (4,)");
  CHECK_OP_ERROR(ShapeError, nn::binary_cross_entropy(column, flat), "binary_cross_entropy: probabilities (4, 1) and target (4,)");
  CHECK_OP_ERROR(ShapeError, nn::binary_cross_entropy_with_logits(column, flat), "binary_cross_entropy_with_logits: logits (4, 1) and target (4,)");
}

TEST_CASE("elementwise losses: dtype errors, undefined inputs, bad delta and reduction") {
  const Tensor x = zeros({3});
  CHECK_OP_ERROR(DtypeError, nn::mse_loss(x, zeros({3}, f64)), "mse_loss: pred (3,) is float32 but target (3,) is float64");
  CHECK_OP_ERROR(DtypeError, nn::mse_loss(x, zeros({3}, i64)), "mse_loss: target must be float32 or float64, got int64 (3,)");
  CHECK_OP_ERROR(DtypeError, nn::binary_cross_entropy_with_logits(x, zeros({3}, i64)), "binary_cross_entropy_with_logits: target must be float32 or float64, got int64");
  CHECK_OP_ERROR(InvalidArgument, nn::l1_loss(Tensor(), x), "l1_loss: pred is undefined");
  CHECK_OP_ERROR(InvalidArgument, nn::huber_loss(x, x, 0.0), "huber_loss: delta must be finite and > 0, got 0");
  CHECK_OP_ERROR(InvalidArgument, nn::huber_loss(x, x, -2), "got -2");
  CHECK_OP_ERROR(InvalidArgument, nn::mse_loss(x, x, static_cast<Reduction>(7)), "mse_loss: unknown reduction 7 (expected mean, sum or none)");
}

TEST_CASE("binary_cross_entropy refuses values outside [0, 1] (logits passed by mistake)") {
  CHECK_OP_ERROR(InvalidArgument, nn::binary_cross_entropy(tensor({0.5, 2.5, 0.1}), zeros({3})), "binary_cross_entropy: probabilities must be in [0, 1], got 2.5 at (1,) of (3,)", "binary_cross_entropy_with_logits");
  CHECK_OP_ERROR(InvalidArgument, nn::binary_cross_entropy(tensor({0.5, 0.1, 0.2, -0.25}, {2, 2}, f64), zeros({2, 2}, f64)), "got -0.25 at (1, 1) of (2, 2)");
  CHECK_OP_ERROR(InvalidArgument, nn::binary_cross_entropy(tensor({NAN}), zeros({1})), "got nan at (0,)");
}

TEST_CASE("cross_entropy: label shapes, dtypes and values it refuses, with what it expected") {
  const Tensor logits = zeros({32, 10});
  CHECK_OP_ERROR(ShapeError, nn::cross_entropy(logits, zeros({32, 1}, i64)), "cross_entropy: labels must have shape (N,) = (32,) of int64 class indices or (N, C) = (32, 10) of probabilities, got (32, 1)", "squeeze axis 1");
  CHECK_OP_ERROR(ShapeError, nn::cross_entropy(logits, zeros({31}, i64)), "(N,) = (32,)", "got (31,)");
  CHECK_OP_ERROR(DtypeError, nn::cross_entropy(logits, zeros({32})), "cross_entropy: labels of shape (N,) = (32,) are class indices and must be int64, got float32");
  CHECK_OP_ERROR(DtypeError, nn::cross_entropy(logits, zeros({32, 10}, i64)), "cross_entropy: labels of shape (N, C) = (32, 10) are class probabilities and must have the logits' dtype float32, got int64");
  CHECK_OP_ERROR(DtypeError, nn::cross_entropy(logits, zeros({32, 10}, f64)), "logits' dtype float32, got float64");
  const Tensor small = zeros({4, 10});
  CHECK_OP_ERROR(InvalidArgument, nn::cross_entropy(small, from_vector(std::vector<std::int64_t>{1, 2, 9, 10}, {4})), "cross_entropy: label 10 at index 3 is out of range for 10 classes (expected 0 to 9)");
  CHECK_OP_ERROR(InvalidArgument, nn::cross_entropy(small, from_vector(std::vector<std::int64_t>{1, -1, 0, 0}, {4})), "label -1 at index 1 is out of range");
  CHECK_OP_ERROR(ShapeError, nn::cross_entropy(zeros({10}), zeros({1}, i64)), "cross_entropy: logits must have shape (N, C), got (10,)", "unsqueeze");
  CHECK_OP_ERROR(ShapeError, nn::cross_entropy(zeros({2, 3, 4}), zeros({2}, i64)), "got (2, 3, 4)");
  CHECK_OP_ERROR(DtypeError, nn::cross_entropy(zeros({2, 3}, i64), zeros({2}, i64)), "cross_entropy: logits must be float32 or float64, got int64");
  CHECK_OP_ERROR(InvalidArgument, nn::cross_entropy(small, zeros({4}, i64), Reduction::mean, 1.5), "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
  CHECK_OP_ERROR(InvalidArgument, nn::cross_entropy(small, Tensor()), "cross_entropy: labels are undefined");
}

TEST_CASE("nll_loss: label shapes, dtypes and values it refuses") {
  const Tensor log_probs = zeros({5, 3});
  CHECK_OP_ERROR(ShapeError, nn::nll_loss(log_probs, zeros({5, 3})), "nll_loss: labels must have shape (N,) = (5,) of int64 class indices, got (5, 3)", "use cross_entropy");
  CHECK_OP_ERROR(DtypeError, nn::nll_loss(log_probs, zeros({5})), "nll_loss: labels must be int64 class indices, got float32 (5,)");
  CHECK_OP_ERROR(InvalidArgument, nn::nll_loss(log_probs, from_vector(std::vector<std::int64_t>{0, 1, 2, 3, 0}, {5})), "nll_loss: label 3 at index 3 is out of range for 3 classes");
  CHECK_OP_ERROR(ShapeError, nn::nll_loss(zeros({5, 0}), zeros({5}, i64)), "nll_loss: log_probs (5, 0) have no classes");
}
