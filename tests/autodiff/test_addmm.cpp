// addmm (c + op(a)·op(b) in one gemm): values against the triple loop for
// every addend shape and flag combination, float64 gradchecks, second order,
// the rvalue form that reuses the addend's buffer, and the errors.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"
#include "naive_products.hpp"

using namespace tg;
using namespace tg::test;

TEST_CASE("addmm: c + op(a)·op(b) for every addend shape and flag combination") {
  Generator gen(10);
  const std::int64_t m = 3, k = 4, n = 2;
  for (const Shape& sc : {Shape{n}, Shape{1, n}, Shape{m, 1}, Shape{m, n}, Shape{}, Shape{1, 1}}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        CAPTURE(sc.str());
        CAPTURE(ta);
        CAPTURE(tb);
        const Tensor c = randn(sc, gen, f64);
        const Tensor a = randn(ta ? Shape{k, m} : Shape{m, k}, gen, f64);
        const Tensor b = randn(tb ? Shape{n, k} : Shape{k, n}, gen, f64);
        const Tensor y = addmm(c, a, b, ta, tb);
        CHECK(y.shape() == Shape{m, n});
        check_values(y, naive_addmm(c, a, b, ta, tb), kEps, kEps);
        CHECK_GRADCHECK_INPUTS(
            3, gradcheck([ta, tb](auto& x, auto& p, auto& q) { return addmm(x, p, q, ta, tb); }, {c, a, b}));
        // Each gradient keeps its input's shape.
        Tensor lc = c.detach().requires_grad_(), la = a.detach().requires_grad_(), lb = b.detach().requires_grad_();
        sum(addmm(lc, la, lb, ta, tb)).backward();
        CHECK(lc.grad().shape() == sc);
        CHECK(la.grad().shape() == a.shape());
        CHECK(lb.grad().shape() == b.shape());
        // float32 through the same path.
        const Tensor fc = to_dtype(c, f32), fa = to_dtype(a, f32), fb = to_dtype(b, f32);
        check_values(addmm(fc, fa, fb, ta, tb), naive_addmm(fc, fa, fb, ta, tb), 1e-5, 1e-5);
      }
    }
  }
}

TEST_CASE("addmm: empty extents") {
  // k = 0: the product is zeros, so the result is c broadcast.
  const Tensor y = addmm(tensor({1, 2}, {2}), ones({3, 0}), ones({0, 2}));
  CHECK(y.shape() == Shape{3, 2});
  CHECK(y.to_vector<double>() == std::vector<double>{1, 2, 1, 2, 1, 2});
  CHECK(addmm(zeros({4}), zeros({0, 3}), zeros({3, 4})).shape() == Shape{0, 4});
  // No rows: the bias's gradient is a sum of nothing.
  Tensor bias = ones({4}).requires_grad_();
  sum(addmm(bias, zeros({0, 3}), zeros({3, 4}))).backward();
  CHECK(bias.grad().to_vector<double>() == std::vector<double>(4, 0.0));
}

TEST_CASE("addmm: only the inputs that require grad get a gradient, and they equal matmul + add's") {
  Generator gen(11);
  const Tensor c = randn({2}, gen, f64), a = randn({3, 4}, gen, f64), b = randn({2, 4}, gen, f64);
  const Tensor w = randn({3, 2}, gen, f64);
  Tensor lb = b.detach().requires_grad_();
  sum(addmm(c, a, lb, false, true) * w).backward();
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(c.grad().defined());
  check_values(lb.grad(), naive_matmul(w, a, true, false), kEps, kEps);  // (aᵀ·w)ᵀ = wᵀ·a

  Tensor lc = c.detach().requires_grad_();
  sum(addmm(lc, a, b, false, true) * w).backward();
  check_values(lc.grad(), sum(w, {0}).to_vector<double>(), kEps, kEps);
}

TEST_CASE("addmm: a weight and bias reused at every step accumulate the same gradients as matmul + add") {
  // An RNN's shape of use: the in-place accumulation of the weight's and
  // bias's gradients (Note [Accumulating in place]) against the composite.
  Generator gen(12);
  const Tensor x = randn({3, 4}, gen, f64), w0 = randn({4, 4}, gen, f64), b0 = randn({4}, gen, f64);
  std::vector<std::vector<double>> grads;
  for (bool fused : {true, false}) {
    Tensor w = w0.detach().requires_grad_(), b = b0.detach().requires_grad_();
    Tensor h = x;
    for (int t = 0; t < 5; ++t) h = tanh(fused ? addmm(b, h, w, false, true) : matmul(h, w, false, true) + b);
    sum(h * h).backward();
    grads.push_back(w.grad().to_vector<double>());
    grads.push_back(b.grad().to_vector<double>());
  }
  for (std::size_t i = 0; i < grads[0].size(); ++i) CHECK(grads[0][i] == doctest::Approx(grads[2][i]).epsilon(1e-12));
  for (std::size_t i = 0; i < grads[1].size(); ++i) CHECK(grads[1][i] == doctest::Approx(grads[3][i]).epsilon(1e-12));
}

TEST_CASE("addmm: second order, the VJP is itself differentiable") {
  Generator gen(13);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      const Tensor c = randn({2}, gen, f64);
      const Tensor a = randn(ta ? Shape{4, 3} : Shape{3, 4}, gen, f64);
      const Tensor b = randn(tb ? Shape{2, 4} : Shape{4, 2}, gen, f64);
      // d/da and d/dc of Σ (c + a·b)² both depend on all three inputs.
      auto grad_a = [ta, tb](auto& x, auto& p, auto& q) {
        const Tensor y = addmm(x, p, q, ta, tb);
        return grad(sum(y * y), p, {.create_graph = true});
      };
      CHECK_GRADCHECK_INPUTS(3, gradcheck(grad_a, {c, a, b}));
      auto grad_c = [ta, tb](auto& x, auto& p, auto& q) {
        const Tensor y = addmm(x, p, q, ta, tb);
        return grad(sum(y * y), x, {.create_graph = true});
      };
      CHECK_GRADCHECK_INPUTS(3, gradcheck(grad_c, {c, a, b}));
    }
  }
}

TEST_CASE("addmm(std::move(c), ...): a spare addend's buffer becomes the result's, with the same values") {
  Generator gen(14);
  const Tensor a = randn({3, 4}, gen, f64), b = randn({2, 4}, gen, f64);
  Tensor c = randn({3, 2}, gen, f64);
  const std::vector<double> want = naive_addmm(c, a, b, false, true);
  const double* buffer = c.data<double>();
  const Tensor y = addmm(std::move(c), a, b, false, true);
  CHECK(y.data<double>() == buffer);
  CHECK_FALSE(c.defined());  // NOLINT(bugprone-use-after-move): the documented state
  check_values(y, want, kEps, kEps);
}

TEST_CASE("addmm(std::move(c), ...): an addend whose values are held elsewhere is copied, and keeps them") {
  Generator gen(15);
  const Tensor a = randn({3, 4}, gen, f64), b = randn({4, 2}, gen, f64);
  // Another handle to the same tensor, a reshape sharing the storage, an
  // addend that broadcasts, and one an op saved for its VJP (exp keeps its
  // result): none of them may be written.
  const Tensor base = randn({6}, gen, f64);
  Tensor other = randn({3, 2}, gen, f64);
  const Tensor z = randn({3, 2}, gen, f64).requires_grad_();
  for (int kind = 0; kind < 4; ++kind) {
    CAPTURE(kind);
    Tensor c = kind == 0 ? other : kind == 1 ? reshape(base, {3, 2}) : kind == 2 ? randn({2}, gen, f64) : exp(z);
    const Tensor witness = c;
    const std::vector<double> before = c.to_vector<double>();
    const std::vector<double> want = naive_addmm(c, a, b, false, false);
    Tensor y = addmm(kind == 0 ? std::move(other) : std::move(c), a, b);
    CHECK(y.data<double>() != witness.data<double>());
    CHECK(witness.to_vector<double>() == before);
    check_values(y, want, kEps, kEps);
    if (kind == 3) {
      sum(y).backward();  // exp's saved result is intact: no version error, d/dz = e^z
      check_values(z.grad(), exp(z.detach()).to_vector<double>(), kEps, kEps);
    }
  }
}

TEST_CASE("addmm(std::move(c), ...): gradients through a reused addend equal the copying form's") {
  Generator gen(16);
  const Tensor x = randn({3, 2}, gen, f64), a = randn({3, 4}, gen, f64), b = randn({4, 2}, gen, f64);
  // x·2 is a temporary nobody else holds: its buffer is reused.
  CHECK_GRADCHECK_INPUTS(3, gradcheck([](auto& p, auto& q, auto& r) { return addmm(p * 2.0, q, r); }, {x, a, b}));
  // A parameter (a leaf the model holds) is never written, even when handed over.
  Tensor leaf = x.detach().requires_grad_();
  Tensor handed = leaf;
  const double* buffer = leaf.data<double>();
  sum(addmm(std::move(handed), a, b)).backward();
  CHECK(leaf.data<double>() == buffer);
  CHECK(leaf.to_vector<double>() == x.to_vector<double>());
  CHECK(leaf.grad().to_vector<double>() == std::vector<double>(6, 1.0));
}

TEST_CASE("addmm errors: rank, inner dimensions, an addend that does not broadcast, dtype") {
  CHECK_OP_ERROR(ShapeError, addmm(zeros({2}), zeros({3}), zeros({3, 2})), "addmm", "rank 2", "(3,)", "(3, 2)");
  CHECK_OP_ERROR(ShapeError, addmm(zeros({2}), zeros({2, 3, 4}), zeros({4, 2})), "addmm", "rank 2", "(2, 3, 4)");
  CHECK_OP_ERROR(ShapeError, addmm(zeros({2}), zeros({32, 784}), zeros({2, 785}), false, true), "addmm",
                 "inner dimensions", "(32, 784)", "(2, 785)ᵀ");
  CHECK_OP_ERROR(ShapeError, addmm(zeros({3}), zeros({4, 5}), zeros({5, 2})), "addmm", "(3,)", "(4, 2)", "(4, 5)",
                 "(5, 2)");
  CHECK_OP_ERROR(ShapeError, addmm(zeros({4, 2, 1}), zeros({4, 5}), zeros({5, 2})), "addmm", "(4, 2, 1)", "(4, 2)");
  CHECK_OP_ERROR(ShapeError, addmm(zeros({2, 2}), zeros({4, 5}), zeros({5, 2})), "addmm", "(2, 2)", "(4, 2)");
  CHECK_OP_ERROR(DtypeError, addmm(zeros({2}, f64), zeros({4, 5}), zeros({5, 2})), "addmm", "float64", "float32");
  CHECK_OP_ERROR(DtypeError, addmm(zeros({2}), zeros({4, 5}), zeros({5, 2}, f64)), "addmm", "float64", "float32");
  CHECK_OP_ERROR(InvalidArgument, addmm(Tensor(), zeros({4, 5}), zeros({5, 2})), "addmm", "undefined");
  CHECK_OP_ERROR(DtypeError, addmm(zeros({2}, i64), zeros({4, 5}, i64), zeros({5, 2}, i64)), "addmm", "int64");
}
