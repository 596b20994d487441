// matmul: forward values against a naive triple loop, float64 gradchecks of
// every path (2-D, batched, broadcast batches, vectors, the folding path, the
// four transpose flag combinations), and the errors. addmm: test_addmm.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"
#include "naive_products.hpp"

using namespace tg;
using namespace tg::test;

TEST_CASE("2-D matmul matches the triple loop in float32 and float64") {
  Generator gen(1);
  for (Dtype dtype : {f32, f64}) {
    const Tensor a = randn({5, 7}, gen, dtype), b = randn({7, 3}, gen, dtype);
    const Tensor y = matmul(a, b);
    CHECK(y.shape() == Shape{5, 3});
    CHECK(y.dtype() == dtype);
    const double eps = dtype == f32 ? 1e-5 : kEps;
    check_values(y, naive_matmul(a, b), eps, eps);
  }
  // A hand-worked case, so the reference itself is checked too.
  const Tensor y = matmul(tensor({1, 2, 3, 4, 5, 6}, {2, 3}, f64), tensor({1, 0, 0, 1, 1, 1}, {3, 2}, f64));
  CHECK(y.to_vector<double>() == std::vector<double>{4, 5, 10, 11});
}

TEST_CASE("batched matmul: 3-D and 4-D") {
  Generator gen(2);
  const Tensor a3 = randn({4, 2, 3}, gen, f64), b3 = randn({4, 3, 5}, gen, f64);
  const Tensor y3 = matmul(a3, b3);
  CHECK(y3.shape() == Shape{4, 2, 5});
  check_values(y3, naive_matmul(a3, b3), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& a, auto& b) { return matmul(a, b); }, {a3, b3}));

  const Tensor a4 = randn({2, 3, 2, 4}, gen, f64), b4 = randn({2, 3, 4, 3}, gen, f64);
  const Tensor y4 = matmul(a4, b4);
  CHECK(y4.shape() == Shape{2, 3, 2, 3});
  check_values(y4, naive_matmul(a4, b4), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& a, auto& b) { return matmul(a, b); }, {a4, b4}));
}

TEST_CASE("batch dimensions broadcast, and each gradient keeps its input's shape") {
  Generator gen(3);
  struct Case { Shape a, b, out; };
  const std::vector<Case> cases = {
      {{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},
      {{1, 3, 4}, {3, 4, 2}, {3, 3, 2}},
      {{3, 2, 4}, {1, 4, 2}, {3, 2, 2}},
      {{2, 1, 3, 4}, {1, 3, 4, 2}, {2, 3, 3, 2}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.a.str());
    CAPTURE(c.b.str());
    const Tensor a = randn(c.a, gen, f64), b = randn(c.b, gen, f64);
    const Tensor y = matmul(a, b);
    CHECK(y.shape() == c.out);
    check_values(y, naive_matmul(a, b), kEps, kEps);
    CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& x, auto& w) { return matmul(x, w); }, {a, b}));

    Tensor la = a.detach().requires_grad_(), lb = b.detach().requires_grad_();
    sum(matmul(la, lb)).backward();
    CHECK(la.grad().shape() == c.a);
    CHECK(lb.grad().shape() == c.b);
  }
}

TEST_CASE("vector operands: 1-D x 2-D, 2-D x 1-D, 1-D x 1-D, and vectors against batches") {
  Generator gen(4);
  const Tensor v = randn({4}, gen, f64), m = randn({4, 3}, gen, f64), mt = randn({3, 4}, gen, f64);

  const Tensor vm = matmul(v, m);  // (4,) @ (4, 3) -> (3,)
  CHECK(vm.shape() == Shape{3});
  check_values(vm, naive_matmul(reshape(v, {1, 4}), m), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& x, auto& w) { return matmul(x, w); }, {v, m}));

  const Tensor mv = matmul(mt, v);  // (3, 4) @ (4,) -> (3,)
  CHECK(mv.shape() == Shape{3});
  check_values(mv, naive_matmul(mt, reshape(v, {4, 1})), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& w, auto& x) { return matmul(w, x); }, {mt, v}));

  const Tensor u = randn({4}, gen, f64);
  const Tensor dot = matmul(v, u);  // (4,) @ (4,) -> ()
  CHECK(dot.rank() == 0);
  double want = 0.0;
  for (int i = 0; i < 4; ++i) want += v.to_vector<double>()[i] * u.to_vector<double>()[i];
  CHECK(dot.item() == doctest::Approx(want).epsilon(1e-12));
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& x, auto& y) { return matmul(x, y); }, {v, u}));

  const Tensor batch = randn({2, 4, 3}, gen, f64);  // (4,) @ (2, 4, 3) -> (2, 3)
  const Tensor vb = matmul(v, batch);
  CHECK(vb.shape() == Shape{2, 3});
  check_values(vb, naive_matmul(reshape(v, {1, 4}), batch), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& x, auto& w) { return matmul(x, w); }, {v, batch}));

  const Tensor batch_t = randn({2, 3, 4}, gen, f64);  // (2, 3, 4) @ (4,) -> (2, 3)
  const Tensor bv = matmul(batch_t, v);
  CHECK(bv.shape() == Shape{2, 3});
  check_values(bv, naive_matmul(batch_t, reshape(v, {4, 1})), kEps, kEps);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& w, auto& x) { return matmul(w, x); }, {batch_t, v}));
}

TEST_CASE("(B, n, k) @ (k, m) folds the batch into one product") {
  Generator gen(5);
  for (const Shape& sa : {Shape{3, 2, 4}, Shape{2, 2, 3, 4}, Shape{1, 1, 4}}) {
    CAPTURE(sa.str());
    const Tensor a = randn(sa, gen, f64), b = randn({4, 5}, gen, f64);
    const Tensor y = matmul(a, b);
    Shape want = sa;
    want[want.rank() - 1] = 5;
    CHECK(y.shape() == want);
    check_values(y, naive_matmul(a, b), kEps, kEps);
    CHECK_GRADCHECK_INPUTS(2, gradcheck([](auto& x, auto& w) { return matmul(x, w); }, {a, b}));
  }
}

TEST_CASE("empty extents give empty or zero products") {
  CHECK(matmul(zeros({3, 0}), zeros({0, 4})).to_vector<double>() == std::vector<double>(12, 0.0));
  CHECK(matmul(zeros({0, 3}), zeros({3, 4})).shape() == Shape{0, 4});
  CHECK(matmul(zeros({0, 2, 3}), zeros({0, 3, 4})).shape() == Shape{0, 2, 4});
  // The folding path with k = 0: (2, 3, 0) @ (0, 5) is a (2, 3, 5) of zeros.
  const Tensor y = matmul(ones({2, 3, 0}), ones({0, 5}));
  CHECK(y.shape() == Shape{2, 3, 5});
  CHECK(y.to_vector<double>() == std::vector<double>(30, 0.0));
}

TEST_CASE("the transposing primitive: all four flag combinations") {
  Generator gen(6);
  const std::int64_t m = 3, k = 4, n = 2;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      // 2-D operands stored so that op(a) is (m, k) and op(b) is (k, n).
      const Tensor a = randn(ta ? Shape{k, m} : Shape{m, k}, gen, f64);
      const Tensor b = randn(tb ? Shape{n, k} : Shape{k, n}, gen, f64);
      const Tensor y = matmul(a, b, ta, tb);
      CHECK(y.shape() == Shape{m, n});
      check_values(y, naive_matmul(a, b, ta, tb), kEps, kEps);
      // The flags agree with an explicit transpose.
      check_values(y, matmul(ta ? transpose(a) : a, tb ? transpose(b) : b).to_vector<double>(), kEps, kEps);
      CHECK_GRADCHECK_INPUTS(2, gradcheck([ta, tb](auto& x, auto& w) { return matmul(x, w, ta, tb); }, {a, b}));

      // Batched, with a broadcast batch: (2, 1, ...) against (3, ...).
      const Tensor ba = randn(ta ? Shape{2, 1, k, m} : Shape{2, 1, m, k}, gen, f64);
      const Tensor bb = randn(tb ? Shape{3, n, k} : Shape{3, k, n}, gen, f64);
      const Tensor by = matmul(ba, bb, ta, tb);
      CHECK(by.shape() == Shape{2, 3, m, n});
      check_values(by, naive_matmul(ba, bb, ta, tb), kEps, kEps);
      CHECK_GRADCHECK_INPUTS(2, gradcheck([ta, tb](auto& x, auto& w) { return matmul(x, w, ta, tb); }, {ba, bb}));

      // float32 through the same flags.
      const Tensor fa = to_dtype(a, f32), fb = to_dtype(b, f32);
      check_values(matmul(fa, fb, ta, tb), naive_matmul(fa, fb, ta, tb), 1e-5, 1e-5);
    }
  }
}

TEST_CASE("only the operand that requires grad gets a gradient") {
  Generator gen(7);
  const Tensor a = randn({3, 4}, gen, f64), b = randn({4, 2}, gen, f64);
  const Tensor w = randn({3, 2}, gen, f64);
  Tensor lb = b.detach().requires_grad_();
  sum(matmul(a, lb) * w).backward();
  check_values(lb.grad(), naive_matmul(a, w, true, false), kEps, kEps);  // aᵀ·w
  CHECK_FALSE(a.grad().defined());

  Tensor la = a.detach().requires_grad_();
  sum(matmul(la, b) * w).backward();
  check_values(la.grad(), naive_matmul(w, b, false, true), kEps, kEps);  // w·bᵀ
}

TEST_CASE("float32 gradients agree with float64 ones") {
  Generator gen(8);
  const Tensor a = randn({2, 3, 5}, gen, f64), b = randn({5, 4}, gen, f64);
  std::vector<std::vector<double>> grads;
  for (Dtype dtype : {f32, f64}) {
    Tensor la = to_dtype(a, dtype).detach().requires_grad_(), lb = to_dtype(b, dtype).detach().requires_grad_();
    sum(tanh(matmul(la, lb))).backward();
    CHECK(la.grad().dtype() == dtype);
    grads.push_back(la.grad().to_vector<double>());
    grads.push_back(lb.grad().to_vector<double>());
  }
  for (std::size_t i = 0; i < grads[0].size(); ++i) CHECK(grads[0][i] == doctest::Approx(grads[2][i]).epsilon(1e-4));
  for (std::size_t i = 0; i < grads[1].size(); ++i) CHECK(grads[1][i] == doctest::Approx(grads[3][i]).epsilon(1e-4));
}

TEST_CASE("second order: the VJPs are themselves differentiable") {
  Generator gen(9);
  // d/da of Σ (a·b)² is 2(a·b)·bᵀ, which depends on both a and b; checking its
  // gradient exercises matmul's VJP through every flag it uses.
  for (bool ta : {false, true}) {
    CAPTURE(ta);
    const Tensor a = randn(ta ? Shape{4, 3} : Shape{3, 4}, gen, f64), b = randn({2, 4, 2}, gen, f64);
    auto first = [ta](auto& x, auto& w) {
      const Tensor y = matmul(x, w, ta, true);
      return grad(sum(y * y), x, {.create_graph = true});
    };
    CHECK_GRADCHECK_INPUTS(2, gradcheck(first, {a, transpose(b)}));
  }
}

TEST_CASE("errors: inner dimensions, batch dimensions, rank and dtype") {
  const std::string inner = "matmul: inner dimensions differ";
  const Tensor x = zeros({32, 784});
  CHECK_OP_ERROR(ShapeError, matmul(x, zeros({256, 128})), inner, "(32, 784)", "(256, 128)");
  CHECK_OP_ERROR(ShapeError, matmul(x, zeros({32, 10}), false, true), inner, "(32, 784)", "(32, 10)");
  CHECK_OP_ERROR(ShapeError, matmul(zeros({3}), zeros({4})), inner, "(3,)", "(4,)");
  CHECK_OP_ERROR(ShapeError, matmul(zeros({2, 3, 4}), zeros({5})), inner, "(2, 3, 4)", "(5,)");

  // Batches that do not broadcast: the message names the operands' shapes,
  // not only their batch parts.
  CHECK_OP_ERROR(ShapeError, matmul(zeros({2, 3, 4}), zeros({3, 4, 5})), "matmul", "(2, 3, 4)", "(3, 4, 5)");

  CHECK_OP_ERROR(ShapeError, matmul(scalar(1.0), zeros({3})), "matmul", "rank", "()", "(3,)");
  CHECK_OP_ERROR(ShapeError, matmul(zeros({3, 2}), scalar(1.0)), "matmul", "rank", "(3, 2)", "()");
  CHECK_OP_ERROR(ShapeError, matmul(zeros({3}), zeros({3, 2}), false, false), "matmul", "rank >= 2", "(3,)", "(3, 2)");

  const Tensor a = zeros({2, 3});
  CHECK_OP_ERROR(DtypeError, matmul(a, zeros({3, 2}, f64)), "matmul", "float32", "float64", "(2, 3)", "(3, 2)");
  CHECK_OP_ERROR(DtypeError, matmul(zeros({2, 3}, i64), zeros({3, 2}, i64)), "matmul", "int64", "(2, 3)");

  // All of them are std::invalid_argument, as the style guide promises.
  CHECK_THROWS_AS(matmul(zeros({2, 3}), zeros({2, 3})), std::invalid_argument);
}
