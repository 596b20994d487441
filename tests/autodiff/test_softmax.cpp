// softmax (a primitive with its VJP from the output) and log_softmax (a
// composition), both with a temperature: values against hand-computed
// numbers and a direct loop, on the contiguous (innermost axis) and the
// strided (inner > 1) kernel paths; stability at huge magnitudes; PyTorch's
// NaN for a row of −inf; float64 gradchecks to second order; every error.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// softmax(x / T) along `axis`, written as the definition in double with no
// shift (the inputs here are small), one slice element at a time.
std::vector<double> direct_softmax(const Tensor& x, int axis, double t, bool log) {
  const std::vector<double> v = x.to_vector<double>();
  const Shape& s = x.shape();
  if (axis < 0) axis += s.rank();
  std::int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= s[a];
  for (int a = axis + 1; a < s.rank(); ++a) inner *= s[a];
  const std::int64_t n = s[axis];
  std::vector<double> y(v.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t k = 0; k < inner; ++k) {
      auto at = [&](std::int64_t j) { return static_cast<std::size_t>((o * n + j) * inner + k); };
      double total = 0;
      for (std::int64_t j = 0; j < n; ++j) total += std::exp(v[at(j)] / t);
      for (std::int64_t j = 0; j < n; ++j)
        y[at(j)] = log ? v[at(j)] / t - std::log(total) : std::exp(v[at(j)] / t) / total;
    }
  return y;
}

}  // namespace

TEST_CASE("softmax and log_softmax of a row against hand-computed values, T = 1, 2, 0.5") {
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = tensor({1, 2, 3}, dtype);
    const Tensor y = softmax(x);
    CHECK(y.shape() == Shape{3});
    CHECK(y.dtype() == dtype);
    check_values(y, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218});
    check_values(softmax(x, -1, 2.0), {0.1863237232258476, 0.3071958857184984, 0.506480391055654});
    check_values(softmax(x, 0, 0.5), {0.015876239976466765, 0.11731042782619838, 0.8668133321973349});
    const Tensor l = log_softmax(x);
    CHECK(l.dtype() == dtype);
    check_values(l, {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806});
    check_values(log_softmax(x, 0, 2.0), {-1.6802696706417346, -1.1802696706417346, -0.6802696706417346});
  }
}

TEST_CASE("softmax along the first and a middle axis of a 3-D tensor (the strided inner > 1 path)") {
  for (Dtype dtype : {f32, f64}) {
    // arange(12) as (2, 3, 2): along axis 1 every slice is (k, k+2, k+4), along axis 0 (k, k+6).
    const Tensor x = reshape(arange(0, 12, 1, dtype), {2, 3, 2});
    const double a = 0.015876239976466765, b = 0.11731042782619838, c = 0.8668133321973349;
    check_values(softmax(x, 1), {a, a, b, b, c, c, a, a, b, b, c, c});
    check_values(softmax(x, -2), {a, a, b, b, c, c, a, a, b, b, c, c});
    const double p = 0.0024726231566347748, q = 0.9975273768433653;
    check_values(softmax(x, 0), {p, p, p, p, p, p, q, q, q, q, q, q});
    const double pt = 0.04742587317756679, qt = 0.9525741268224334;  // T = 2
    check_values(softmax(x, 0, 2.0), {pt, pt, pt, pt, pt, pt, qt, qt, qt, qt, qt, qt});
    // Lanes with different maxima and totals: lane 0 is (1, 2, 3), lane 1 is (0, 0, 0).
    const Tensor lanes = tensor({1, 0, 2, 0, 3, 0}, {1, 3, 2}, dtype);
    const double third = 1.0 / 3;
    check_values(softmax(lanes, 1), {0.09003057317038046, third, 0.24472847105479764, third, 0.6652409557748218, third});
    check_values(softmax(lanes, 1, 2.0), {0.1863237232258476, third, 0.3071958857184984, third, 0.506480391055654, third});
    check_values(log_softmax(lanes, 1),
                 {-2.4076059644443806, -std::log(3.0), -1.4076059644443806, -std::log(3.0), -0.4076059644443806, -std::log(3.0)});
  }
}

TEST_CASE("softmax and log_softmax match a direct loop on every axis and several temperatures") {
  Generator gen(11);
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = randn({3, 4, 5}, gen, dtype);
    for (int axis : {0, 1, 2, -1}) {
      for (double t : {1.0, 0.3, 2.5}) {
        INFO("axis " << axis << ", T " << t);
        const Tensor y = softmax(x, axis, t);
        CHECK(y.shape() == x.shape());
        check_values(y, direct_softmax(x, axis, t, false), 1e-5, 1e-12);
        check_values(log_softmax(x, axis, t), direct_softmax(x, axis, t, true), 1e-5, 1e-12);
        // Each slice sums to 1.
        const Tensor totals = sum(y, {axis});
        for (double v : totals.to_vector<double>()) CHECK(v == doctest::Approx(1.0).epsilon(dtype == f32 ? 1e-6 : 1e-14));
        // exp(log_softmax) is softmax.
        check_values(exp(log_softmax(x, axis, t)), y.to_vector<double>(), 1e-5, 1e-13);
      }
    }
  }
}

TEST_CASE("softmax of a large 2-D tensor: every row sums to 1 and every value is in (0, 1]") {
  Generator gen(12);
  const Tensor x = normal({64, 100}, 0.0, 20.0, gen);
  for (int axis : {0, 1}) {
    const Tensor y = softmax(x, axis);
    for (float v : y.to_vector<float>()) {
      CHECK(v >= 0.0f);
      CHECK(v <= 1.0f);
    }
    for (double v : sum(y, {axis}).to_vector<double>()) CHECK(v == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("huge logits: no overflow, no NaN; log_softmax stays exact where log(softmax) is -inf") {
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = tensor({1e4, -1e4, 0}, dtype);
    const Tensor y = softmax(x);
    for (double v : y.to_vector<double>()) CHECK(std::isfinite(v));
    check_values(y, {1, 0, 0});
    // exp(1e4) overflows any float: only the shift makes these right.
    check_values(softmax(tensor({10000, 10001}, dtype)), {0.2689414213699951, 0.7310585786300049});
    check_values(softmax(tensor({-10000, -10000}, dtype)), {0.5, 0.5});
    check_values(softmax(tensor({1e4, 1e4 - 1}, dtype), -1, 0.5), {0.8807970779778823, 0.11920292202211755});
    // log(softmax) rounds the tiny probabilities to 0 and gives -inf...
    const std::vector<double> naive = log(y).to_vector<double>();
    CHECK(naive[1] == -kInf);
    // ... log_softmax gives the exact values.
    const Tensor l = log_softmax(x);
    for (double v : l.to_vector<double>()) CHECK(std::isfinite(v));
    check_values(l, {0, -2e4, -1e4});
    check_values(log_softmax(x, 0, 4.0), {0, -5e3, -2.5e3});
    // The strided path: lane 0 is (1e4, -1e4, 0), lane 1 is (-1e4, -1e4, -1e4).
    const Tensor cols = tensor({1e4, -1e4, -1e4, -1e4, 0, -1e4}, {3, 2}, dtype);
    const double third = 1.0 / 3;
    check_values(softmax(cols, 0), {1, third, 0, third, 0, third});
    check_values(log_softmax(cols, 0), {0, -std::log(3.0), -2e4, -std::log(3.0), -1e4, -std::log(3.0)}, 1e-3, 1e-13);  // float32: an ulp of 1e4 is 1e-3
  }
}

TEST_CASE("a slice of -inf gives NaN, like PyTorch; -inf beside finite values gives 0; NaN spreads over its slice") {
  for (Dtype dtype : {f32, f64}) {
    // Contiguous path: row 0 all -inf, row 1 mixed, row 2 with a NaN.
    const Tensor x = tensor({-kInf, -kInf, -kInf, -kInf, 0, 0, 1, NAN, 2}, {3, 3}, dtype);
    const std::vector<double> y = softmax(x).to_vector<double>();
    for (int j = 0; j < 3; ++j) CHECK(std::isnan(y[static_cast<std::size_t>(j)]));
    CHECK(y[3] == 0.0);
    CHECK(y[4] == doctest::Approx(0.5));
    CHECK(y[5] == doctest::Approx(0.5));
    for (int j = 6; j < 9; ++j) CHECK(std::isnan(y[static_cast<std::size_t>(j)]));
    // Strided path: the same slices as columns.
    const std::vector<double> yt = softmax(transpose(x, 0, 1), 0).to_vector<double>();
    for (int j = 0; j < 3; ++j) {
      CHECK(std::isnan(yt[static_cast<std::size_t>(3 * j)]));
      CHECK(std::isnan(yt[static_cast<std::size_t>(3 * j + 2)]));
    }
    CHECK(yt[1] == 0.0);
    CHECK(yt[4] == doctest::Approx(0.5));
    CHECK(yt[7] == doctest::Approx(0.5));
  }
}

TEST_CASE("softmax of empty tensors and of a single element") {
  CHECK(softmax(zeros({0, 3})).shape() == Shape{0, 3});
  CHECK(softmax(zeros({3, 0})).shape() == Shape{3, 0});
  CHECK(softmax(zeros({2, 0, 3}), 1).shape() == Shape{2, 0, 3});
  check_values(softmax(tensor({-123.5})), {1});
  check_values(log_softmax(tensor({-123.5})), {0});
  check_values(softmax(tensor({7, -7}, {2, 1})), {1, 1});
}

TEST_CASE("softmax of a zero-size tensor with huge extents allocates nothing (issue 20, defect 12)") {
  // The strided kernel sized its per-lane scratch by the extents after the
  // axis: (0, 2^40, 2^40) along axis 1 asked for 2^40 maxima (bad_alloc),
  // and the products of the extents overflowed int64 on the way.
  const std::int64_t big = std::int64_t{1} << 40;
  for (const Shape& shape : {Shape{0, big, big}, Shape{big, big, 0}, Shape{big, 0, big, big}}) {
    for (const int axis : {1, -1, 0}) {  // axis 1 first: the case of the issue
      INFO(shape.str() << " axis " << axis);
      Tensor x = zeros(shape, f64).requires_grad_();
      const Tensor y = softmax(x, axis, 2.0);
      CHECK(y.shape() == shape);
      CHECK(log_softmax(x, axis).shape() == shape);
      sum(y).backward();
      CHECK(x.grad().shape() == shape);
    }
  }
}

TEST_CASE("the softmax VJP: s ⊙ (g − Σ g ⊙ s) / T against the hand formula") {
  const Tensor x0 = tensor({1, 2, 3}, f64);
  for (double t : {1.0, 2.0, 0.5}) {
    Tensor x = x0.detach().requires_grad_();
    const Tensor g = tensor({0.5, -1, 2}, f64);
    const Tensor y = softmax(x, -1, t);
    CHECK(y.op_name() == "softmax");
    y.backward(g);
    const std::vector<double> s = y.to_vector<double>(), gv = g.to_vector<double>();
    const double dot = s[0] * gv[0] + s[1] * gv[1] + s[2] * gv[2];
    INFO("T " << t);
    check_values(x.grad(), {s[0] * (gv[0] - dot) / t, s[1] * (gv[1] - dot) / t, s[2] * (gv[2] - dot) / t});
  }
  // The gradient of Σ softmax is 0: the outputs always sum to 1.
  Tensor x = tensor({0.3, -2, 5, 1}, {2, 2}, f64).requires_grad_();
  sum(softmax(x, 0, 3.0)).backward();
  for (double v : x.grad().to_vector<double>()) CHECK(std::abs(v) < 1e-15);
}

TEST_CASE("softmax's VJP reads its output: writing to the output in place makes the backward refuse") {
  Tensor x = tensor({1, 2, 3}, f64).requires_grad_();
  Tensor y = softmax(x);
  y.mutable_data<double>()[0] = 0.5;
  const std::string message = tg::test::thrown<GraphError>([&] { y.backward(tensor({1, 0, 0}, f64)); });
  tg::test::check_contains(message, {"'softmax'", "modified in place", "(3,)"});
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("softmax records only when needed") {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  CHECK(softmax(x).requires_grad());
  CHECK_FALSE(softmax(x.detach()).requires_grad());
  CHECK(softmax(x.detach()).op_name().empty());
  NoGrad guard;
  CHECK_FALSE(softmax(x).requires_grad());
  CHECK_FALSE(log_softmax(x).requires_grad());
}

TEST_CASE("gradcheck: softmax and log_softmax over several axes and temperatures") {
  Generator gen(13);
  const Tensor x = randn({3, 4, 5}, gen, f64);
  for (int axis : {0, 1, -1}) {
    for (double t : {1.0, 0.4, 3.0}) {
      INFO("axis " << axis << ", T " << t);
      CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return softmax(a, axis, t); }, {x}));
      CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return log_softmax(a, axis, t); }, {x}));
    }
  }
  // Large logits too: the VJP uses the output, never exp(x).
  const Tensor big = normal({2, 6}, 0.0, 30.0, gen, f64);
  CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return softmax(a, -1, 2.0); }, {big}));
  CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return log_softmax(a, 0, 0.7); }, {big}));
}

TEST_CASE("second order: gradcheck of the create_graph gradients of softmax and log_softmax losses") {
  Generator gen(14);
  const Tensor x = randn({3, 4}, gen, f64);
  const Tensor w = randn({3, 4}, gen, f64);
  for (int axis : {0, 1}) {
    for (double t : {1.0, 0.5, 2.0}) {
      INFO("axis " << axis << ", T " << t);
      // d/dx of Σ w ⊙ softmax² runs through the softmax record's VJP, which reattaches the output.
      CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return grad(sum(wi * pow(softmax(xi, axis, t), 2.0)), xi, {.create_graph = true}); }, {x, w}));
      CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& xi) { return grad(sum(w * log_softmax(xi, axis, t)), xi, {.create_graph = true}); }, {x}));
    }
  }
  // The Hessian of Σ w ⊙ softmax(v / T) (through the VJP recorded by create_graph) is symmetric.
  const Tensor v0 = tensor({0.2, -1.0, 0.7, 1.5}, f64);
  const Tensor wv = tensor({1.0, -2.0, 0.5, 3.0}, f64);
  const Tensor h = hessian([&](const Tensor& v) { return sum(wv * softmax(v, 0, 0.8)); }, v0);
  REQUIRE(h.shape() == Shape{4, 4});
  const std::vector<double> hv = h.to_vector<double>();
  double largest = 0;
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t k = 0; k < 4; ++k) {
      largest = std::max(largest, std::abs(hv[i * 4 + k]));
      CHECK(hv[i * 4 + k] == doctest::Approx(hv[k * 4 + i]).epsilon(1e-12));
    }
  CHECK(largest > 0.1);  // not symmetric by being zero
}

TEST_CASE("softmax and log_softmax errors name the op, the argument and the shape") {
  const Tensor x = zeros({2, 3});
  for (double t : {0.0, -1.5}) {
    INFO("T " << t);
    const std::string got = t == 0 ? "got 0 (x of shape (2, 3))" : "got -1.5 (x of shape (2, 3))";
    CHECK_OP_ERROR(InvalidArgument, softmax(x, -1, t), "softmax: temperature must be finite and > 0", got);
    CHECK_OP_ERROR(InvalidArgument, log_softmax(x, -1, t), "log_softmax: temperature must be finite and > 0", got);
  }
  CHECK_OP_ERROR(InvalidArgument, softmax(x, -1, std::nan("")), "softmax: temperature must be finite and > 0, got nan", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, softmax(x, -1, kInf), "softmax: temperature must be finite and > 0, got inf", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, log_softmax(x, 0, std::nan("")), "log_softmax: temperature must be finite and > 0, got nan");
  CHECK_OP_ERROR(InvalidArgument, log_softmax(x, 0, kInf), "log_softmax: temperature must be finite and > 0, got inf");
  CHECK_OP_ERROR(AxisError, softmax(x, 2), "softmax: axis 2 is out of range for shape (2, 3) (expected -2 to 1)");
  CHECK_OP_ERROR(AxisError, softmax(x, -3), "softmax: axis -3 is out of range for shape (2, 3)");
  CHECK_OP_ERROR(AxisError, log_softmax(x, 5), "log_softmax: axis 5 is out of range for shape (2, 3) (expected -2 to 1)");
  CHECK_OP_ERROR(AxisError, softmax(scalar(1.0), -1), "softmax: axis -1 is out of range", "a 0-d tensor has no axes");
  CHECK_OP_ERROR(DtypeError, softmax(zeros({2, 3}, i64)), "softmax: expected a float32 or float64 tensor, got int64 (2, 3)");
  CHECK_OP_ERROR(DtypeError, log_softmax(zeros({4}, i64), 0), "log_softmax: expected a float32 or float64 tensor, got int64 (4,)");
  CHECK_OP_ERROR(InvalidArgument, softmax(Tensor()), "softmax: got an undefined tensor");
  CHECK_OP_ERROR(InvalidArgument, log_softmax(Tensor()), "log_softmax: got an undefined tensor");
}

TEST_CASE("a temperature whose reciprocal overflows the dtype is refused, not turned into NaN") {
  CHECK_OP_ERROR(InvalidArgument, softmax(ones({2, 3}), -1, 1e-39), "softmax: temperature 1e-39 is too small: 1/T overflows float32", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, log_softmax(ones({2}, f64), -1, 1e-310), "log_softmax: temperature", "overflows float64");
  check_values(softmax(tensor({0, 1}, f64), -1, 1e-300), {0, 1});  // tiny but representable: a hard max
}
