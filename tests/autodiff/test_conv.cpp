// Convolution: unfold/fold (primitives, each the other's VJP) and conv1d/conv2d
// composed from them. Values against a direct loop, adjointness, float64
// gradchecks to second order, and every error path.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"
#include "../../autodiff/ops/conv_columns.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// y[n, o, i, j] = b[o] + Σ w[o, c, ki, kj]·x[n, c, i·sh − ph + ki·dh, j·sw − pw + kj·dw],
// written as the definition, one output element at a time.
std::vector<double> direct_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o,
                                  Shape& out_shape) {
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const auto bv = b.defined() ? b.to_vector<double>() : std::vector<double>(static_cast<std::size_t>(w.size(0)));
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t O = w.size(0), KH = w.size(2), KW = w.size(3);
  const std::int64_t Ho = (H + 2 * o.padding.h - o.dilation.h * (KH - 1) - 1) / o.stride.h + 1;
  const std::int64_t Wo = (W + 2 * o.padding.w - o.dilation.w * (KW - 1) - 1) / o.stride.w + 1;
  out_shape = Shape{N, O, Ho, Wo};
  std::vector<double> y;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t oc = 0; oc < O; ++oc)
      for (std::int64_t i = 0; i < Ho; ++i)
        for (std::int64_t j = 0; j < Wo; ++j) {
          double acc = bv[static_cast<std::size_t>(oc)];
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t ki = 0; ki < KH; ++ki)
              for (std::int64_t kj = 0; kj < KW; ++kj) {
                const std::int64_t ih = i * o.stride.h - o.padding.h + ki * o.dilation.h;
                const std::int64_t iw = j * o.stride.w - o.padding.w + kj * o.dilation.w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += wv[static_cast<std::size_t>(((oc * C + c) * KH + ki) * KW + kj)] *
                       xv[static_cast<std::size_t>(((n * C + c) * H + ih) * W + iw)];
              }
          y.push_back(acc);
        }
  return y;
}

// Option combinations: square and not, strides, padding and dilation mixed.
const std::vector<Conv2dOptions> kCombos = {
    {},
    {.stride = 2, .padding = 1},
    {.stride = {2, 1}, .padding = {1, 2}},
    {.padding = 1, .dilation = {2, 1}},
    {.stride = {3, 2}, .padding = {0, 1}, .dilation = {1, 2}},
};

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

}  // namespace

TEST_CASE("unfold lays out every window as a column, rows ordered (c, ki, kj)") {
  const Tensor x = reshape(arange(1, 10, 1, f64), {1, 1, 3, 3});
  const Tensor cols = unfold(x, 2);
  CHECK(cols.shape() == Shape{1, 4, 4});
  check_values(cols, {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
  // Padding reads zeros; stride 2 over the padded 5x5 keeps windows at 0 and 2.
  const Tensor padded = unfold(x, 2, {.stride = 2, .padding = 1});
  CHECK(padded.shape() == Shape{1, 4, 4});
  check_values(padded, {0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9});
}

TEST_CASE("fold sums overlapping windows: fold(unfold(ones)) counts the windows over each pixel") {
  const Tensor counts = fold(unfold(ones({1, 1, 4, 4}), 3, {.padding = 1}), {4, 4}, 3, {.padding = 1});
  CHECK(counts.shape() == Shape{1, 1, 4, 4});
  check_values(counts, {4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4});
}

TEST_CASE("unfold and fold are adjoint: <unfold(x), y> == <x, fold(y)>") {
  Generator gen(1);
  for (const Conv2dOptions& o : kCombos) {
    const Tensor x = randn({2, 3, 7, 6}, gen, f64);
    const Tensor cols = unfold(x, {3, 2}, o);
    const Tensor y = randn(cols.shape(), gen, f64);
    const Tensor back = fold(y, {7, 6}, {3, 2}, o);
    CHECK(back.shape() == x.shape());
    CHECK(dot(cols, y) == doctest::Approx(dot(x, back)).epsilon(1e-12));
  }
}

// The batch layout (private, behind conv2d): (C·kh·kw, N·L) holds the values
// of unfold's (N, C·kh·kw, L) with the first two axes swapped. Both are
// copies of x, and fold's sums run in the same order: equal to the bit.
Tensor batch_from_per_image(const Tensor& cols) {
  return reshape(permute(cols, {1, 0, 2}), {cols.size(1), cols.size(0) * cols.size(2)});
}

TEST_CASE("unfold_batch and fold_batch are unfold and fold with the images side by side") {
  Generator gen(11);
  std::vector<Conv2dOptions> options = kCombos;
  options.push_back({.padding = 1});  // 3x3 "same": a run of window rows is one copy
  for (Dtype dtype : {f32, f64}) {
    for (const Conv2dOptions& o : options) {
      for (const Extent2 kernel : {Extent2{3, 3}, Extent2{3, 2}, Extent2{1, 1}}) {
        INFO(dtype_name(dtype) << ", kernel " << kernel.h << "x" << kernel.w);
        const Tensor x = randn({3, 2, 7, 6}, gen, dtype);
        const Tensor per_image = unfold(x, kernel, o);
        const Tensor cols = detail::unfold_batch(x, kernel, o);
        CHECK(cols.shape() == Shape{per_image.size(1), 3 * per_image.size(2)});
        CHECK(cols.to_vector<double>() == batch_from_per_image(per_image).to_vector<double>());
        const Tensor y = randn(per_image.shape(), gen, dtype);
        const Tensor back = detail::fold_batch(batch_from_per_image(y), 3, {7, 6}, kernel, o);
        CHECK(back.shape() == x.shape());
        CHECK(back.to_vector<double>() == fold(y, {7, 6}, kernel, o).to_vector<double>());
      }
    }
  }
  // One image: the two layouts coincide.
  const Tensor x = randn({1, 2, 5, 5}, gen, f64);
  CHECK(detail::unfold_batch(x, 3, {.padding = 1}).to_vector<double>() == unfold(x, 3, {.padding = 1}).to_vector<double>());
}

TEST_CASE("gradcheck: unfold_batch and fold_batch, each the other's VJP") {
  Generator gen(12);
  std::vector<Conv2dOptions> options = kCombos;
  options.push_back({.padding = 1});
  for (const Conv2dOptions& o : options) {
    const Tensor x = randn({2, 2, 6, 5}, gen, f64);
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return detail::unfold_batch(a, {2, 3}, o); }, {x}));
    const Tensor cols = randn(detail::unfold_batch(x, {2, 3}, o).shape(), gen, f64);
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& c) { return detail::fold_batch(c, 2, {6, 5}, {2, 3}, o); }, {cols}));
  }
  Tensor xg = randn({2, 1, 4, 4}, gen, f64).requires_grad_();
  const Tensor cols = detail::unfold_batch(xg, 3, {.padding = 1});
  CHECK(cols.op_name() == "unfold");
  CHECK(detail::fold_batch(cols, 2, {4, 4}, 3, {.padding = 1}).op_name() == "fold");
}

TEST_CASE("unfold_batch and fold_batch errors name the op and the shapes") {
  CHECK_OP_ERROR(ShapeError, detail::unfold_batch(zeros({2, 3, 10}), 2), "unfold_batch: input must have rank 4 (N, C, H, W), got (2, 3, 10)");
  CHECK_OP_ERROR(ShapeError, detail::unfold_batch(zeros({1, 1, 4, 4}), 5), "unfold_batch: kernel (5, 5)", "padded input (4, 4)");
  CHECK_OP_ERROR(ShapeError, detail::fold_batch(zeros({1, 4, 9}), 1, {4, 4}, 2), "fold_batch: input must have rank 2 (C·kh·kw, N·L), got (1, 4, 9)");
  CHECK_OP_ERROR(InvalidArgument, detail::fold_batch(zeros({4, 18}), -1, {4, 4}, 2), "fold_batch: batch must be >= 0, got -1");
  CHECK_OP_ERROR(ShapeError, detail::fold_batch(zeros({4, 18}), 3, {4, 4}, 2),
                 "fold_batch: input (4, 18) does not fit kernel (2, 2) over output size (4, 4): expected (C·4, 3·9) for a (3, 3) grid");
  CHECK_OP_ERROR(ShapeError, detail::fold_batch(zeros({5, 18}), 2, {4, 4}, 2), "fold_batch: input (5, 18) does not fit kernel (2, 2)");
  CHECK_OP_ERROR(InvalidArgument, detail::fold_batch(zeros({4, 18}), 2, {-1, 4}, 2), "fold_batch: output size must be >= 0, got (-1, 4)");
}

TEST_CASE("conv2d matches a direct convolution in float32 and float64") {
  Generator gen(2);
  for (Dtype dtype : {f32, f64}) {
    for (const Conv2dOptions& o : kCombos) {
      for (bool with_bias : {true, false}) {
        const Tensor x = randn({2, 3, 7, 8}, gen, dtype);
        const Tensor w = randn({4, 3, 3, 2}, gen, dtype);
        const Tensor b = with_bias ? randn({4}, gen, dtype) : Tensor();
        Shape expected_shape;
        const std::vector<double> expected = direct_conv2d(x, w, b, o, expected_shape);
        const Tensor y = conv2d(x, w, b, o);
        INFO("stride (" << o.stride.h << ", " << o.stride.w << "), padding (" << o.padding.h << ", "
                        << o.padding.w << "), dilation (" << o.dilation.h << ", " << o.dilation.w << ")");
        CHECK(y.shape() == expected_shape);
        CHECK(y.dtype() == dtype);
        check_values(y, expected, 1e-4, 1e-12);
      }
    }
  }
}

TEST_CASE("one value in Extent2 means both extents") {
  Generator gen(3);
  const Tensor x = randn({1, 2, 6, 6}, gen);
  const Tensor w = randn({3, 2, 3, 3}, gen);
  const Tensor a = conv2d(x, w, {}, {.stride = 2, .padding = 1, .dilation = 2});
  const Tensor b = conv2d(x, w, {}, {.stride = {2, 2}, .padding = {1, 1}, .dilation = {2, 2}});
  CHECK(a.shape() == Shape{1, 3, 2, 2});
  CHECK(a.to_vector<float>() == b.to_vector<float>());
}

TEST_CASE("conv1d matches conv2d over a height of 1 and the direct loop") {
  Generator gen(4);
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = randn({2, 3, 11}, gen, dtype);
    const Tensor w = randn({5, 3, 3}, gen, dtype);
    const Tensor b = randn({5}, gen, dtype);
    for (const Conv1dOptions& o : std::vector<Conv1dOptions>{{}, {.stride = 2, .padding = 1}, {.padding = 2, .dilation = 3}}) {
      Shape shape;
      const std::vector<double> expected = direct_conv2d(reshape(x, {2, 3, 1, 11}), reshape(w, {5, 3, 1, 3}), b,
                                                         {.stride = {1, o.stride}, .padding = {0, o.padding}, .dilation = {1, o.dilation}}, shape);
      const Tensor y = conv1d(x, w, b, o);
      CHECK(y.shape() == Shape{2, 5, shape[3]});
      CHECK(y.size(2) == (11 + 2 * o.padding - o.dilation * 2 - 1) / o.stride + 1);
      check_values(y, expected, 1e-4, 1e-12);
    }
  }
}

TEST_CASE("gradcheck: unfold and fold") {
  Generator gen(5);
  for (const Conv2dOptions& o : kCombos) {
    const Tensor x = randn({2, 2, 6, 5}, gen, f64);
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { return unfold(a, {2, 3}, o); }, {x}));
    const Tensor cols = randn(unfold(x, {2, 3}, o).shape(), gen, f64);
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& c) { return fold(c, {6, 5}, {2, 3}, o); }, {cols}));
  }
}

TEST_CASE("gradcheck: conv2d with respect to input, weight and bias") {
  Generator gen(6);
  for (const Conv2dOptions& o : kCombos) {
    const Tensor x = randn({2, 3, 6, 5}, gen, f64);
    const Tensor w = randn({4, 3, 2, 3}, gen, f64);
    const Tensor b = randn({4}, gen, f64);
    CHECK_GRADCHECK_INPUTS(3, gradcheck([&](Tensor& xi, Tensor& wi, Tensor& bi) { return conv2d(xi, wi, bi, o); }, {x, w, b}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return conv2d(xi, wi, {}, o); }, {x, w}));
  }
}

TEST_CASE("gradcheck: conv1d with respect to input, weight and bias") {
  Generator gen(7);
  for (const Conv1dOptions& o : std::vector<Conv1dOptions>{{}, {.stride = 2, .padding = 1}, {.stride = 3, .padding = 2, .dilation = 2}}) {
    const Tensor x = randn({2, 3, 9}, gen, f64);
    const Tensor w = randn({2, 3, 3}, gen, f64);
    const Tensor b = randn({2}, gen, f64);
    CHECK_GRADCHECK_INPUTS(3, gradcheck([&](Tensor& xi, Tensor& wi, Tensor& bi) { return conv1d(xi, wi, bi, o); }, {x, w, b}));
  }
}

TEST_CASE("second order: gradcheck of the create_graph gradients of sum(conv2d(x, w)²)") {
  Generator gen(8);
  const Tensor x = randn({2, 2, 5, 4}, gen, f64);
  const Tensor w = randn({3, 2, 3, 2}, gen, f64);
  const Tensor b = randn({3}, gen, f64);
  for (const Conv2dOptions& o : {Conv2dOptions{.stride = {2, 1}, .padding = 1}, Conv2dOptions{.padding = {0, 1}, .dilation = {1, 2}}}) {
    auto loss = [&](const Tensor& xi, const Tensor& wi) { return sum(pow(conv2d(xi, wi, b, o), 2.0)); };
    // d/dx goes through fold (the VJP of unfold), whose own VJP is unfold.
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return grad(loss(xi, wi), xi, {.create_graph = true}); }, {x, w}));
    CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return grad(loss(xi, wi), wi, {.create_graph = true}); }, {x, w}));
  }
}

TEST_CASE("conv2d records only what needs a gradient") {
  Generator gen(9);
  const Tensor x = randn({1, 2, 4, 4}, gen);
  Tensor w = randn({3, 2, 3, 3}, gen).requires_grad_();
  sum(conv2d(x, w, {}, {.padding = 1})).backward();
  CHECK(w.grad().shape() == w.shape());
  CHECK_FALSE(x.grad().defined());
  {
    NoGrad guard;
    CHECK_FALSE(conv2d(x, w).requires_grad());
  }
  Tensor xg = x.detach().requires_grad_();
  CHECK(unfold(xg, 2).op_name() == "unfold");
  CHECK(fold(unfold(xg, 2), {4, 4}, 2).op_name() == "fold");
}

TEST_CASE("conv2d errors name the op and the shapes") {
  const Tensor x = zeros({2, 3, 28, 28});
  const Tensor w = zeros({8, 1, 3, 3});
  CHECK_OP_ERROR(ShapeError, conv2d(x, w), "conv2d: input has 3 channels, weight expects 1: (2, 3, 28, 28) x (8, 1, 3, 3)");
  CHECK_OP_ERROR(ShapeError, conv2d(zeros({3, 28, 28}), w), "conv2d: input must have rank 4 (N, C, H, W), got (3, 28, 28)");
  CHECK_OP_ERROR(ShapeError, conv2d(x, zeros({8, 3, 3})), "conv2d: weight must have rank 4 (O, C, kh, kw), got (8, 3, 3)");
  CHECK_OP_ERROR(ShapeError, conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 5, 5}), {}, {.padding = 1}), "conv2d: kernel (5, 5)", "larger than the padded input (4, 4)", "(1, 1, 2, 2)");
  CHECK_OP_ERROR(ShapeError, conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, {.dilation = {3, 1}}), "conv2d: kernel (3, 3) with dilation (3, 1) spans (7, 3)", "(5, 5)");
  CHECK_OP_ERROR(InvalidArgument, conv2d(x, zeros({8, 3, 3, 3}), {}, {.stride = {0, 1}}), "conv2d: stride must be positive, got (0, 1)", "(2, 3, 28, 28)");
  CHECK_OP_ERROR(InvalidArgument, conv2d(x, zeros({8, 3, 3, 3}), {}, {.dilation = {1, -2}}), "conv2d: dilation must be positive, got (1, -2)");
  CHECK_OP_ERROR(InvalidArgument, conv2d(x, zeros({8, 3, 3, 3}), {}, {.padding = {-1, 0}}), "conv2d: padding must be >= 0, got (-1, 0)");
  CHECK_OP_ERROR(InvalidArgument, conv2d(x, zeros({8, 3, 0, 3})), "conv2d: kernel size must be positive, got (0, 3)");
  CHECK_OP_ERROR(DtypeError, conv2d(zeros({2, 3, 8, 8}, f64), zeros({8, 3, 3, 3})), "conv2d: dtypes differ", "(2, 3, 8, 8) float64", "(8, 3, 3, 3) float32");
  CHECK_OP_ERROR(DtypeError, conv2d(zeros({2, 3, 8, 8}, i64), zeros({8, 3, 3, 3})), "conv2d", "int64");
  CHECK_OP_ERROR(ShapeError, conv2d(x, zeros({8, 3, 3, 3}), zeros({4})), "conv2d: bias must have shape (8,)", "(8, 3, 3, 3)", "got (4,)");
  CHECK_OP_ERROR(ShapeError, conv2d(x, zeros({8, 3, 3, 3}), zeros({1, 8})), "conv2d: bias must have shape (8,)", "got (1, 8)");
  CHECK_OP_ERROR(DtypeError, conv2d(x, zeros({8, 3, 3, 3}), zeros({8}, f64)), "conv2d: dtypes differ", "float64");
  CHECK_OP_ERROR(InvalidArgument, conv2d(Tensor(), w), "conv2d: got an undefined tensor");
}

TEST_CASE("conv1d, unfold and fold errors name the op and the shapes") {
  const Tensor x = zeros({2, 3, 10});
  CHECK_OP_ERROR(ShapeError, conv1d(x, zeros({4, 2, 3})), "conv1d: input has 3 channels, weight expects 2: (2, 3, 10) x (4, 2, 3)");
  CHECK_OP_ERROR(ShapeError, conv1d(zeros({2, 3, 10, 1}), zeros({4, 3, 3})), "conv1d: input must have rank 3 (N, C, L), got (2, 3, 10, 1)");
  CHECK_OP_ERROR(ShapeError, conv1d(x, zeros({4, 3, 3, 3})), "conv1d: weight must have rank 3 (O, C, k)");
  CHECK_OP_ERROR(ShapeError, conv1d(zeros({1, 1, 2}), zeros({1, 1, 5}), {}, {.padding = 1}), "conv1d: kernel 5 with dilation 1 spans 5, larger than the padded input 4", "(1, 1, 2)");
  CHECK_OP_ERROR(InvalidArgument, conv1d(x, zeros({4, 3, 3}), {}, {.stride = 0}), "conv1d: stride must be positive, got 0");
  CHECK_OP_ERROR(InvalidArgument, conv1d(x, zeros({4, 3, 3}), {}, {.padding = -1}), "conv1d: padding must be >= 0, got -1");
  CHECK_OP_ERROR(ShapeError, conv1d(x, zeros({4, 3, 3}), zeros({3})), "conv1d: bias must have shape (4,)");
  CHECK_OP_ERROR(ShapeError, unfold(x, 2), "unfold: input must have rank 4 (N, C, H, W), got (2, 3, 10)");
  CHECK_OP_ERROR(InvalidArgument, unfold(zeros({1, 1, 4, 4}), {2, 0}), "unfold: kernel size must be positive, got (2, 0)");
  CHECK_OP_ERROR(ShapeError, unfold(zeros({1, 1, 4, 4}), 5), "unfold: kernel (5, 5)", "padded input (4, 4)");
  CHECK_OP_ERROR(ShapeError, fold(zeros({1, 4, 8}), {4, 4}, 2), "fold: input (1, 4, 8) does not fit kernel (2, 2) over output size (4, 4)", "(3, 3) grid");
  CHECK_OP_ERROR(ShapeError, fold(zeros({1, 5, 9}), {4, 4}, 2), "fold: input (1, 5, 9) does not fit kernel (2, 2)");
  CHECK_OP_ERROR(ShapeError, fold(zeros({4, 9}), {4, 4}, 2), "fold: input must have rank 3");
  CHECK_OP_ERROR(InvalidArgument, fold(zeros({1, 4, 9}), {-1, 4}, 2), "fold: output size must be >= 0, got (-1, 4)");
}

TEST_CASE("a stride past the input is one window, also near INT64_MAX (issue 20, defect 10)") {
  // The window arithmetic added the stride to extents and multiplied it by
  // the width: int64 wrapped, and a 3x3 window of ones summed to 0.
  constexpr std::int64_t kHuge = std::numeric_limits<std::int64_t>::max();
  for (const std::int64_t stride : {std::int64_t{4}, kHuge - 1, kHuge}) {
    INFO("stride " << stride);
    const Tensor x = ones({1, 1, 3, 3}, f64).requires_grad_();
    const Tensor w = ones({1, 1, 3, 3}, f64).requires_grad_();
    const Tensor y = conv2d(x, w, {}, {.stride = stride});
    CHECK(y.shape() == Shape{1, 1, 1, 1});
    check_values(y, {9});
    y.backward();
    check_values(x.grad(), std::vector<double>(9, 1.0));
    check_values(w.grad(), std::vector<double>(9, 1.0));
    // With padding the one window is the top-left corner of the padded input.
    check_values(conv2d(x, w, {}, {.stride = {stride, 1}, .padding = 1}), {4, 6, 4});
    check_values(conv1d(ones({1, 1, 3}, f64), ones({1, 1, 3}, f64), {}, {.stride = stride}), {3});
    check_values(fold(unfold(x, 3, {.stride = stride}), {3, 3}, 3, {.stride = stride}), std::vector<double>(9, 1.0));
  }
  // Three windows down a padding of 2^50 rows: one stride down the input,
  // 2^50 rows of 2^20, is past int64. Refused, not wrapped around.
  const std::int64_t far = std::int64_t{1} << 50;
  CHECK_OP_ERROR(ShapeError, conv2d(zeros({1, 1, 1, 1 << 20}), ones({1, 1, 1, 1}), {}, {.stride = {far, 1}, .padding = {far, 0}}), "conv2d: stride (1125899906842624, 1) with padding (1125899906842624, 0) overflows int64", "(input (1, 1, 1, 1048576))");
}

TEST_CASE("conv2d, unfold and fold of a zero-size batch of huge images (issue 20, defect 12)") {
  // No element to compute, but the strides between images and the columns'
  // extents multiplied extents past int64 (UBSan).
  const std::int64_t big = std::int64_t{1} << 31;
  Tensor x = zeros({0, 3, big, big}, f64).requires_grad_();
  Tensor w = ones({2, 3, 1, 1}, f64).requires_grad_();
  const Tensor y = conv2d(x, w, zeros({2}, f64));
  CHECK(y.shape() == Shape{0, 2, big, big});
  sum(y).backward();
  CHECK(x.grad().shape() == x.shape());
  check_values(w.grad(), std::vector<double>(6, 0.0));
  const Tensor cols = unfold(x, 1);
  CHECK(cols.shape() == Shape{0, 3, big * big});
  CHECK(fold(cols, {big, big}, 1).shape() == x.shape());
  CHECK(conv1d(zeros({0, 3, big * big}, f64), ones({2, 3, 1}, f64)).shape() == Shape{0, 2, big * big});
  // Columns whose extents int64 cannot hold are refused, named.
  const std::int64_t huge = std::int64_t{1} << 40;
  CHECK_OP_ERROR(ShapeError, conv2d(zeros({0, 1, huge, huge}), ones({1, 1, 1, 1})), "conv2d: the unfolded columns of input (0, 1, 1099511627776, 1099511627776) by kernel (1, 1)", "more than int64 counts");
  CHECK_OP_ERROR(ShapeError, unfold(zeros({0, 1, huge, huge}), 1), "unfold: the unfolded columns");
}
