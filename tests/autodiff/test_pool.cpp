// Pooling: max_pool2d (argmax, then a gather) and avg_pool2d (a linear
// primitive paired with its adjoint). Values and max gradients against a
// direct loop for many (kernel, stride, padding, dilation) combinations, the
// tie rule, NaN, count_include_pad both ways, float64 gradchecks to second
// order, and every error path.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One pooling configuration; stride 0 means "the kernel" (the default).
struct Combo {
  Extent2 kernel, stride, padding, dilation;
};

const std::vector<Combo> kCombos = {
    {2, 0, 0, 1},                        // the default: stride = kernel
    {3, 1, 1, 1},                        // overlapping windows, padding
    {3, 2, 1, 1},
    {{3, 2}, {2, 1}, {1, 0}, 1},         // non-square everything
    {{2, 3}, {1, 2}, {1, 1}, 1},
    {{1, 2}, {3, 1}, 0, 1},
    {3, 2, 1, 2},                        // dilation
    {{2, 3}, {2, 1}, {1, 1}, {2, 1}},
    {{3, 2}, 1, {0, 1}, {1, 3}},
};

MaxPool2dOptions max_options(const Combo& c) {
  MaxPool2dOptions o{.stride = {}, .padding = c.padding, .dilation = c.dilation};
  if (c.stride.h != 0) o.stride = c.stride;
  return o;
}

AvgPool2dOptions avg_options(const Combo& c, bool count_include_pad) {
  AvgPool2dOptions o{.stride = {}, .padding = c.padding, .count_include_pad = count_include_pad};
  if (c.stride.h != 0) o.stride = c.stride;
  return o;
}

// The result of a direct pooling loop: values, output shape, and (for max)
// the flat input index of each window's first maximum in row-major order.
struct Direct {
  std::vector<double> values;
  std::vector<std::int64_t> argmax;
  Shape shape;
};

// Every window of x (N, C, H, W), tap by tap, with explicit bounds tests:
// the max (NaN wins, first maximum kept) or the mean (dilation ignored).
Direct direct_pool(const Tensor& x, const Combo& c, bool max, bool count_include_pad = true) {
  const std::vector<double> v = x.to_vector<double>();
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const Extent2 s = c.stride.h != 0 ? c.stride : c.kernel;
  const Extent2 d = max ? c.dilation : Extent2(1);
  const std::int64_t Ho = (H + 2 * c.padding.h - d.h * (c.kernel.h - 1) - 1) / s.h + 1;
  const std::int64_t Wo = (W + 2 * c.padding.w - d.w * (c.kernel.w - 1) - 1) / s.w + 1;
  Direct out;
  out.shape = Shape{N, C, Ho, Wo};
  for (std::int64_t p = 0; p < N * C; ++p)
    for (std::int64_t i = 0; i < Ho; ++i)
      for (std::int64_t j = 0; j < Wo; ++j) {
        double best = -kInf, total = 0;
        std::int64_t best_at = -1, count = 0;
        for (std::int64_t ki = 0; ki < c.kernel.h; ++ki)
          for (std::int64_t kj = 0; kj < c.kernel.w; ++kj) {
            const std::int64_t ih = i * s.h - c.padding.h + ki * d.h;
            const std::int64_t iw = j * s.w - c.padding.w + kj * d.w;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const std::int64_t at = ih * W + iw;
            const double value = v[static_cast<std::size_t>(p * H * W + at)];
            ++count;
            total += value;
            const bool better = best_at < 0 || (std::isnan(value) ? !std::isnan(best) : value > best);
            if (better) {
              best = value;
              best_at = at;
            }
          }
        if (max) {
          REQUIRE(best_at >= 0);
          out.values.push_back(best);
          out.argmax.push_back(p * H * W + best_at);
        } else {
          out.values.push_back(total / static_cast<double>(count_include_pad ? c.kernel.h * c.kernel.w : count));
        }
      }
  return out;
}

std::string describe(const Combo& c) {
  return "kernel (" + std::to_string(c.kernel.h) + ", " + std::to_string(c.kernel.w) + "), stride (" +
         std::to_string(c.stride.h) + ", " + std::to_string(c.stride.w) + "), padding (" +
         std::to_string(c.padding.h) + ", " + std::to_string(c.padding.w) + "), dilation (" +
         std::to_string(c.dilation.h) + ", " + std::to_string(c.dilation.w) + ")";
}

// A (N, C, H, W) float64 tensor of distinct values: a random permutation of
// 0..n-1, scaled and shifted, so no window has a tie.
Tensor distinct(const Shape& shape, Generator& gen, Dtype dtype = f64) {
  std::int64_t n = 1;
  for (int a = 0; a < shape.rank(); ++a) n *= shape[a];
  return reshape(to_dtype(randperm(n, gen), dtype) * 0.25 - static_cast<double>(n) / 8, shape);
}

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

}  // namespace

TEST_CASE("max_pool2d and avg_pool2d of a 4x4 plane against hand-computed values") {
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = reshape(arange(1, 17, 1, dtype), {1, 1, 4, 4});
    const Tensor m = max_pool2d(x, 2);
    CHECK(m.shape() == Shape{1, 1, 2, 2});
    CHECK(m.dtype() == dtype);
    check_values(m, {6, 8, 14, 16});
    const Tensor a = avg_pool2d(x, 2);
    CHECK(a.dtype() == dtype);
    check_values(a, {3.5, 5.5, 11.5, 13.5});
    // Stride 1 and padding 1 with a 3x3 kernel keep 4x4; the corners see 4 inputs of 9.
    const Tensor mp = max_pool2d(x, 3, {.stride = 1, .padding = 1});
    check_values(mp, {6, 7, 8, 8, 10, 11, 12, 12, 14, 15, 16, 16, 14, 15, 16, 16});
    const Tensor ap = avg_pool2d(x, 3, {.stride = 1, .padding = 1});
    CHECK(ap.shape() == Shape{1, 1, 4, 4});
    CHECK(ap.to_vector<double>()[0] == doctest::Approx((1 + 2 + 5 + 6) / 9.0));
    CHECK(ap.to_vector<double>()[5] == doctest::Approx((1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0));
    const Tensor ax = avg_pool2d(x, 3, {.stride = 1, .padding = 1, .count_include_pad = false});
    CHECK(ax.to_vector<double>()[0] == doctest::Approx((1 + 2 + 5 + 6) / 4.0));
    CHECK(ax.to_vector<double>()[1] == doctest::Approx((1 + 2 + 3 + 5 + 6 + 7) / 6.0));
    CHECK(ax.to_vector<double>()[5] == doctest::Approx((1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0));
  }
}

TEST_CASE("output shapes use floor mode") {
  const Tensor x = zeros({2, 3, 5, 7});
  CHECK(max_pool2d(x, {3, 2}, {.stride = Extent2{2, 3}, .padding = 1}).shape() == Shape{2, 3, 3, 3});
  CHECK(avg_pool2d(x, {3, 2}, {.stride = Extent2{2, 3}, .padding = 1}).shape() == Shape{2, 3, 3, 3});
  CHECK(max_pool2d(x, 2).shape() == Shape{2, 3, 2, 3});
  CHECK(avg_pool2d(x, 2).shape() == Shape{2, 3, 2, 3});
  CHECK(max_pool2d(x, 3, {.stride = {}, .dilation = 2}).shape() == Shape{2, 3, 1, 1});
  CHECK(max_pool2d(x, 3, {.stride = 1, .dilation = 2}).shape() == Shape{2, 3, 1, 3});
  CHECK(max_pool2d(x, 5, {.stride = 1}).shape() == Shape{2, 3, 1, 3});
  CHECK(max_pool2d(zeros({0, 3, 4, 4}), 2).shape() == Shape{0, 3, 2, 2});
}

TEST_CASE("max_pool2d matches a direct loop: values, and the gradient lands on each window's argmax") {
  Generator gen(21);
  for (Dtype dtype : {f32, f64}) {
    for (const Combo& c : kCombos) {
      INFO(describe(c) << ", " << dtype_name(dtype));
      // Few distinct values: plenty of ties inside windows.
      Tensor x = to_dtype(to_dtype(uniform({2, 3, 7, 8}, 0, 4, gen, f64), i64), dtype).requires_grad_();
      const Direct expected = direct_pool(x, c, true);
      const Tensor y = max_pool2d(x, c.kernel, max_options(c));
      CHECK(y.shape() == expected.shape);
      CHECK(y.dtype() == dtype);
      check_values(y, expected.values);
      // d Σ g ⊙ y / dx: each g added at its window's first maximum.
      const Tensor g = randn(y.shape(), gen, dtype);
      y.backward(g);
      std::vector<double> dx(static_cast<std::size_t>(x.numel()));
      const std::vector<double> gv = g.to_vector<double>();
      for (std::size_t k = 0; k < gv.size(); ++k) dx[static_cast<std::size_t>(expected.argmax[k])] += gv[k];
      check_values(x.grad(), dx, 1e-5, 1e-13);
    }
  }
}

TEST_CASE("avg_pool2d matches a direct loop, count_include_pad both ways") {
  Generator gen(22);
  for (Dtype dtype : {f32, f64}) {
    for (const Combo& c : kCombos) {
      if (c.dilation.h != 1 || c.dilation.w != 1) continue;  // avg_pool2d has no dilation
      for (bool include : {true, false}) {
        INFO(describe(c) << ", count_include_pad " << include << ", " << dtype_name(dtype));
        const Tensor x = randn({2, 3, 7, 8}, gen, dtype);
        const Direct expected = direct_pool(x, c, false, include);
        const Tensor y = avg_pool2d(x, c.kernel, avg_options(c, include));
        CHECK(y.shape() == expected.shape);
        CHECK(y.dtype() == dtype);
        check_values(y, expected.values, 1e-5, 1e-13);
      }
    }
  }
  // Without padding the two divisors agree.
  const Tensor x = randn({1, 2, 6, 6}, gen);
  CHECK(avg_pool2d(x, 3, {.stride = 1}).to_vector<float>() ==
        avg_pool2d(x, 3, {.stride = 1, .count_include_pad = false}).to_vector<float>());
}

TEST_CASE("avg_pool2d's VJP is its adjoint: <avg(x), g> == <x, dx>") {
  Generator gen(23);
  for (const Combo& c : kCombos) {
    if (c.dilation.h != 1 || c.dilation.w != 1) continue;
    for (bool include : {true, false}) {
      INFO(describe(c) << ", count_include_pad " << include);
      Tensor x = randn({2, 2, 7, 6}, gen, f64).requires_grad_();
      const Tensor y = avg_pool2d(x, c.kernel, avg_options(c, include));
      CHECK(y.op_name() == "avg_pool2d");
      const Tensor g = randn(y.shape(), gen, f64);
      y.backward(g);
      const Tensor dx = x.grad();
      CHECK(dx.shape() == x.shape());
      CHECK(dot(y, g) == doctest::Approx(dot(x, dx)).epsilon(1e-12));
    }
  }
}

TEST_CASE("max_pool2d ties: the first maximum in row-major order gets the whole gradient") {
  // One window of equal values.
  Tensor x = ones({1, 1, 2, 2}, f64).requires_grad_();
  sum(max_pool2d(x, 2)).backward();
  check_values(x.grad(), {1, 0, 0, 0});
  // Overlapping windows over a constant plane: each window's top-left element.
  Tensor c = full({1, 1, 2, 3}, 5.0, f64).requires_grad_();
  sum(max_pool2d(c, 2, {.stride = 1})).backward();
  check_values(c.grad(), {1, 1, 0, 0, 0, 0});
  // 3 at (0, 2), (1, 0) and (1, 1): row-major order picks (0, 2).
  Tensor t = tensor({0, 1, 3, 3, 3, 2}, {1, 1, 2, 3}, f64).requires_grad_();
  sum(max_pool2d(t, {2, 3})).backward();
  check_values(t.grad(), {0, 0, 1, 0, 0, 0});
  // With padding: the −inf padding never wins, even over negative inputs; the first input element does.
  Tensor n = full({1, 1, 2, 2}, -5.0, f64).requires_grad_();
  const Tensor yn = max_pool2d(n, 2, {.stride = 1, .padding = 1});
  check_values(yn, std::vector<double>(9, -5.0));
  sum(yn).backward();
  // Windows (3x3 grid) start at -1: window (0, 0) sees only (0, 0); (0, 1) sees (0, 0), (0, 1); ...
  check_values(n.grad(), {4, 2, 2, 1});
  // -inf inputs are a value like any other: a window of them gives -inf.
  const Tensor ninf = full({1, 1, 2, 2}, -kInf, f64);
  check_values(max_pool2d(ninf, 2), {-kInf});
}

TEST_CASE("max_pool2d propagates NaN, and the gradient goes to the NaN") {
  for (Dtype dtype : {f32, f64}) {
    // NaN after the max of its window, and NaN first in another.
    Tensor x = tensor({1, 9, NAN, 4, 2, 3, 7, 0, 5, 6, 1, 2, 0, 1, 8, NAN}, {1, 1, 4, 4}, dtype).requires_grad_();
    const Tensor y = max_pool2d(x, 2);
    const std::vector<double> v = y.to_vector<double>();
    CHECK(v[0] == 9.0);
    CHECK(std::isnan(v[1]));
    CHECK(v[2] == 6.0);
    CHECK(std::isnan(v[3]));
    const Tensor g = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, dtype);
    y.backward(g);
    check_values(x.grad(), {0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4});
    // avg_pool2d: NaN spreads to every window that holds it.
    const std::vector<double> a = avg_pool2d(x.detach(), 2).to_vector<double>();
    CHECK(std::isnan(a[1]));
    CHECK(std::isnan(a[3]));
    CHECK(a[0] == doctest::Approx(3.75));
  }
}

TEST_CASE("max_pool2d 2x2: a NaN in one plane, ties and odd extents in the others, as the direct loop") {
  // Plain 2x2 windows run branch-free on planes without NaN and fall back to
  // the general loop on a plane with one: both must agree with the definition.
  Generator gen(23);
  for (Dtype dtype : {f32, f64}) {
    INFO(dtype_name(dtype));
    std::vector<double> v = to_dtype(uniform({3, 2, 5, 7}, 0, 3, gen, f64), i64).to_vector<double>();
    v[2 * 35 + 8] = NAN;   // plane 2: the bottom-right tap of window (0, 0)
    v[2 * 35 + 16] = NAN;  // and the top-left tap of window (1, 1)
    v[5 * 35 + 34] = NAN;  // plane 5: in the odd last row and column, read by no window
    Tensor x = from_vector(v, {3, 2, 5, 7}, dtype).requires_grad_();
    const Direct expected = direct_pool(x, {2, 0, 0, 1}, true);
    const Tensor y = max_pool2d(x, 2);
    CHECK(y.shape() == Shape{3, 2, 2, 3});
    const std::vector<double> got = y.to_vector<double>();
    REQUIRE(got.size() == expected.values.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      INFO("output " << k);
      if (std::isnan(expected.values[k])) {
        CHECK(std::isnan(got[k]));
      } else {
        CHECK(got[k] == expected.values[k]);
      }
    }
    const Tensor g = reshape(arange(1, static_cast<double>(y.numel()) + 1, 1, dtype), y.shape());
    y.backward(g);
    std::vector<double> dx(static_cast<std::size_t>(x.numel()));
    for (std::size_t k = 0; k < got.size(); ++k) dx[static_cast<std::size_t>(expected.argmax[k])] += static_cast<double>(k + 1);
    check_values(x.grad(), dx);
  }
}

TEST_CASE("gradcheck: max_pool2d and avg_pool2d for every combination") {
  Generator gen(24);
  for (const Combo& c : kCombos) {
    INFO(describe(c));
    const Tensor x = distinct({2, 2, 7, 6}, gen);  // no ties: max is differentiable
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return max_pool2d(a, c.kernel, max_options(c)); }, {x}));
    if (c.dilation.h != 1 || c.dilation.w != 1) continue;
    for (bool include : {true, false}) {
      CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return avg_pool2d(a, c.kernel, avg_options(c, include)); }, {x}));
    }
  }
}

TEST_CASE("second order: gradcheck of the create_graph gradients of pooled losses") {
  Generator gen(25);
  const Tensor x = distinct({2, 2, 6, 5}, gen);
  for (const Combo& c : {Combo{3, 2, 1, 1}, Combo{{2, 3}, {1, 2}, {1, 1}, 1}, Combo{{3, 2}, 1, {1, 0}, {2, 1}}}) {
    INFO(describe(c));
    const Tensor w = randn(max_pool2d(x, c.kernel, max_options(c)).shape(), gen, f64);
    // d/dx of Σ w ⊙ max_pool²: a scatter-add to the argmax, whose VJP is the gather again.
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return grad(sum(wi * pow(max_pool2d(xi, c.kernel, max_options(c)), 2.0)), xi, {.create_graph = true}); }, {x, w}));
    if (c.dilation.h != 1 || c.dilation.w != 1) continue;
    for (bool include : {true, false}) {
      const Tensor wa = randn(avg_pool2d(x, c.kernel, avg_options(c, include)).shape(), gen, f64);
      // d/dx of Σ w ⊙ avg_pool²: the adjoint, whose VJP is avg_pool2d again.
      CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return grad(sum(wi * pow(avg_pool2d(xi, c.kernel, avg_options(c, include)), 2.0)), xi, {.create_graph = true}); }, {x, wa}));
    }
  }
}

TEST_CASE("pooling records only what needs a gradient") {
  Tensor x = ones({1, 1, 4, 4}).requires_grad_();
  CHECK(max_pool2d(x, 2).requires_grad());
  CHECK(avg_pool2d(x, 2).requires_grad());
  CHECK_FALSE(max_pool2d(x.detach(), 2).requires_grad());
  CHECK_FALSE(avg_pool2d(x.detach(), 2).requires_grad());
  NoGrad guard;
  CHECK_FALSE(max_pool2d(x, 2).requires_grad());
  CHECK_FALSE(avg_pool2d(x, 2).requires_grad());
}

TEST_CASE("pooling errors name the op, the arguments and the shapes") {
  const Tensor x = zeros({1, 1, 4, 4});
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 4, 4}), 2), "max_pool2d: expected a 4-D input (N, C, H, W), got shape (1, 4, 4)");
  CHECK_OP_ERROR(ShapeError, avg_pool2d(zeros({1, 1, 1, 4, 4}), 2), "avg_pool2d: expected a 4-D input (N, C, H, W), got shape (1, 1, 1, 4, 4)");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(x, 2, {.stride = {}, .padding = 2}), "max_pool2d: padding must be >= 0 and at most half the kernel size, got padding (2, 2) for kernel (2, 2) (input (1, 1, 4, 4))");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(x, {3, 2}, {.stride = {}, .padding = {1, 2}}), "max_pool2d: padding must be >= 0 and at most half the kernel size, got padding (1, 2) for kernel (3, 2)");
  CHECK_OP_ERROR(InvalidArgument, avg_pool2d(x, 3, {.stride = {}, .padding = {2, 0}}), "avg_pool2d: padding must be >= 0 and at most half the kernel size, got padding (2, 0) for kernel (3, 3)");
  CHECK_OP_ERROR(InvalidArgument, avg_pool2d(x, 2, {.stride = {}, .padding = {0, -1}}), "avg_pool2d: padding must be >= 0", "got padding (0, -1)");
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 1, 2, 2}), 3), "max_pool2d: kernel (3, 3) is larger than the padded input (2, 2) (input (1, 1, 2, 2), padding (0, 0))");
  CHECK_OP_ERROR(ShapeError, avg_pool2d(zeros({1, 1, 1, 5}), {4, 2}, {.stride = {}, .padding = {1, 0}}), "avg_pool2d: kernel (4, 2) is larger than the padded input (3, 5)", "padding (1, 0)");
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 1, 5, 5}), 3, {.stride = {}, .dilation = {3, 1}}), "max_pool2d: kernel (3, 3) with dilation (3, 1) spans (7, 3) and is larger than the padded input (5, 5)", "(input (1, 1, 5, 5)");
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 1, 1, 3}), {2, 1}, {.stride = {}, .padding = {1, 0}, .dilation = {2, 1}}), "max_pool2d: output row 0 has a window entirely in the padding (input (1, 1, 1, 3), kernel (2, 1), padding (1, 0), dilation (2, 1))");
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 1, 3, 1}), {1, 2}, {.stride = {}, .padding = {0, 1}, .dilation = {1, 2}}), "max_pool2d: output column 0 has a window entirely in the padding", "dilation (1, 2)");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(x, 2, {.stride = Extent2{0, 1}}), "max_pool2d: stride must be positive, got (0, 1) (input (1, 1, 4, 4))");
  CHECK_OP_ERROR(InvalidArgument, avg_pool2d(x, 2, {.stride = Extent2{1, -1}}), "avg_pool2d: stride must be positive, got (1, -1)");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(x, {0, 2}), "max_pool2d: kernel size must be positive, got (0, 2)");
  CHECK_OP_ERROR(InvalidArgument, avg_pool2d(x, {2, -1}), "avg_pool2d: kernel size must be positive, got (2, -1)");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(x, 2, {.stride = {}, .dilation = {1, 0}}), "max_pool2d: dilation must be positive, got (1, 0)");
  CHECK_OP_ERROR(ShapeError, max_pool2d(zeros({1, 1, 0, 4}), 1), "max_pool2d: the input's height and width must be non-zero, got shape (1, 1, 0, 4)");
  CHECK_OP_ERROR(ShapeError, avg_pool2d(zeros({1, 1, 4, 0}), 1), "avg_pool2d: the input's height and width must be non-zero, got shape (1, 1, 4, 0)");
  CHECK_OP_ERROR(DtypeError, max_pool2d(zeros({1, 1, 4, 4}, i64), 2), "max_pool2d: expected a float32 or float64 tensor, got int64 (1, 1, 4, 4)");
  CHECK_OP_ERROR(DtypeError, avg_pool2d(zeros({1, 1, 4, 4}, i64), 2), "avg_pool2d: expected a float32 or float64 tensor, got int64 (1, 1, 4, 4)");
  CHECK_OP_ERROR(InvalidArgument, max_pool2d(Tensor(), 2), "max_pool2d: got an undefined tensor");
  CHECK_OP_ERROR(InvalidArgument, avg_pool2d(Tensor(), 2), "avg_pool2d: got an undefined tensor");
}

TEST_CASE("a non-square pooling stride reads as {h, w}") {
  const Tensor x = reshape(arange(0, 36, 1, f64), {1, 1, 6, 6});
  const Tensor y = max_pool2d(x, 2, {.stride = {2, 3}});
  CHECK(y.shape() == Shape{1, 1, 3, 2});
  check_values(y, {7, 10, 19, 22, 31, 34});
  CHECK(avg_pool2d(x, {2, 3}, {.stride = {1, 3}}).shape() == Shape{1, 1, 5, 2});
}

TEST_CASE("a pooling stride past the input is one window, also near INT64_MAX (issue 20, defect 10)") {
  constexpr std::int64_t kHuge = std::numeric_limits<std::int64_t>::max();
  Tensor x = reshape(arange(0, 9, 1, f64), {1, 1, 3, 3}).requires_grad_();
  for (const std::int64_t stride : {std::int64_t{4}, kHuge - 1, kHuge}) {
    INFO("stride " << stride);
    const Tensor m = max_pool2d(x, 3, {.stride = stride});
    CHECK(m.shape() == Shape{1, 1, 1, 1});
    check_values(m, {8});
    const Tensor a = avg_pool2d(x, 3, {.stride = stride});
    check_values(a, {4});
    // Padded: the one window is the top-left corner, 2x2 of the input.
    check_values(max_pool2d(x, 3, {.stride = stride, .padding = 1}), {4});
    check_values(avg_pool2d(x, 3, {.stride = stride, .padding = 1, .count_include_pad = false}), {2});
    check_values(max_pool2d(x, {1, 3}, {.stride = Extent2{1, stride}}), {2, 5, 8});
    x.zero_grad();
    sum(m + a).backward();
    check_values(x.grad(), {1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1 + 1.0 / 9});
  }
}
