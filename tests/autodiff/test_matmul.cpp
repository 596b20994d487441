// matmul and addmm: forward values against a naive triple loop, float64
// gradchecks of every path (2-D, batched, broadcast batches, vectors, the
// folding path, the four transpose flag combinations, addmm's broadcast
// addends), and the errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// Row-major offset of multi-index `pos` in `shape`, reading a broadcast axis
// (extent 1) at 0; `pos` is right-aligned against `shape`.
std::int64_t broadcast_offset(const std::vector<std::int64_t>& pos, const Shape& shape) {
  std::int64_t off = 0;
  const int shift = static_cast<int>(pos.size()) - shape.rank();
  for (int a = 0; a < shape.rank(); ++a) {
    off = off * shape[a] + (shape[a] == 1 ? 0 : pos[static_cast<std::size_t>(a + shift)]);
  }
  return off;
}

// op(a) @ op(b) by the triple loop, with NumPy batch broadcasting; rank >= 2.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, bool ta = false, bool tb = false) {
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  const std::int64_t ra = a.size(-2), ca = a.size(-1), rb = b.size(-2), cb = b.size(-1);
  const std::int64_t m = ta ? ca : ra, k = ta ? ra : ca, n = tb ? rb : cb;
  Shape batch_a, batch_b;
  for (int i = 0; i + 2 < a.rank(); ++i) batch_a.push_back(a.shape()[i]);
  for (int i = 0; i + 2 < b.rank(); ++i) batch_b.push_back(b.shape()[i]);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "naive");
  std::vector<double> out;
  std::vector<std::int64_t> pos(static_cast<std::size_t>(batch.rank()), 0);
  for (std::int64_t flat = 0; flat < batch.numel(); ++flat) {
    std::int64_t rest = flat;
    for (int d = batch.rank() - 1; d >= 0; --d) {
      pos[static_cast<std::size_t>(d)] = rest % batch[d];
      rest /= batch[d];
    }
    const double* pa = va.data() + broadcast_offset(pos, batch_a) * ra * ca;
    const double* pb = vb.data() + broadcast_offset(pos, batch_b) * rb * cb;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0.0;
        for (std::int64_t p = 0; p < k; ++p)
          s += (ta ? pa[p * ca + i] : pa[i * ca + p]) * (tb ? pb[j * cb + p] : pb[p * cb + j]);
        out.push_back(s);
      }
  }
  return out;
}

// The tolerance of every float64 comparison with the triple loop, in both
// dtypes' slots of check_values: sums of k products of random normals.
constexpr double kEps = 1e-12;

}  // namespace

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

namespace {

// c + op(a)·op(b) by the triple loop, c broadcast to the (m, n) product.
std::vector<double> naive_addmm(const Tensor& c, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  std::vector<double> out = naive_matmul(a, b, ta, tb);
  const std::int64_t m = ta ? a.size(1) : a.size(0), n = tb ? b.size(0) : b.size(1);
  const std::vector<double> vc = c.to_vector<double>();
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) out[static_cast<std::size_t>(i * n + j)] += vc[static_cast<std::size_t>(broadcast_offset({i, j}, c.shape()))];
  return out;
}

}  // namespace

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
