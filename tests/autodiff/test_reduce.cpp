// Reductions: sum, mean, max, min, var, logsumexp and sum_to over single,
// several, negative and all axes, with and without keepdims. Forward values
// in float32 and float64 against hand-computed numbers, float64 gradchecks,
// ties, stability, and the error messages.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The shape, then the values.
void check_result(const Tensor& t, const Shape& shape, const std::vector<double>& expected) {
  CHECK(t.shape() == shape);
  if (t.shape() == shape) check_values(t, expected);
}

const std::vector<Dtype> kDtypes = {f32, f64};

// x[i, j, k] = 12i + 4j + k, shape (2, 3, 4).
Tensor counting(Dtype dtype) { return reshape(arange(0, 24, 1, dtype), {2, 3, 4}); }

}  // namespace

TEST_CASE("sum and mean over single, several, negative and all axes") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor x = counting(dt);
    check_result(sum(x), {}, {276});
    check_result(sum(x, Axes{}, true), {1, 1, 1}, {276});
    check_result(sum(x, 0), {3, 4}, {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
    check_result(sum(x, 1), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
    check_result(sum(x, 1, true), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
    check_result(sum(x, -1), {2, 3}, {6, 22, 38, 54, 70, 86});
    check_result(sum(x, -1, true), {2, 3, 1}, {6, 22, 38, 54, 70, 86});
    check_result(sum(x, {0, 2}), {3}, {60, 92, 124});
    check_result(sum(x, {-1, -3}, true), {1, 3, 1}, {60, 92, 124});
    check_result(sum(x, {1, 0}), {4}, {60, 66, 72, 78});
    check_result(sum(x, {0, 1, 2}), {}, {276});
    check_result(sum(scalar(2.5, dt)), {}, {2.5});
    check_result(mean(x), {}, {11.5});
    check_result(mean(x, Axes{}, true), {1, 1, 1}, {11.5});
    check_result(mean(x, 1), {2, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
    check_result(mean(x, -2, true), {2, 1, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
    check_result(mean(x, {0, -1}), {3}, {7.5, 11.5, 15.5});
    check_result(mean(x, {2, 0}, true), {1, 3, 1}, {7.5, 11.5, 15.5});
    CHECK(sum(x, 1).dtype() == dt);
    CHECK(mean(x).dtype() == dt);
  }
}

TEST_CASE("max and min over axes, and over a tie") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor y = tensor({3, -1, 4, 1, 5, -9, 2, 6, 5, 3, -5, 8}, {3, 4}, dt);
    check_result(max(y), {}, {8});
    check_result(min(y), {}, {-9});
    check_result(max(y, 0), {4}, {5, 3, 4, 8});
    check_result(min(y, 0, true), {1, 4}, {3, -9, -5, 1});
    check_result(max(y, -1, true), {3, 1}, {4, 6, 8});
    check_result(min(y, 1), {3}, {-1, -9, -5});
    check_result(max(y, {0, 1}, true), {1, 1}, {8});
    const Tensor x = counting(dt);
    check_result(max(x, {0, 2}), {3}, {15, 19, 23});
    check_result(min(x, {-1, -2}, true), {2, 1, 1}, {0, 12});
    check_result(max(scalar(-3, dt)), {}, {-3});
  }
}

TEST_CASE("max and min send the gradient to the extrema, split evenly at ties") {
  const Tensor y = tensor({3, -1, 4, 1, 5, -9, 2, 6, 5, 3, -5, 8}, {3, 4}, f64).requires_grad_();
  check_values(grad(sum(max(y, 0)), y), {0, 0, 1, 0, 0.5, 0, 0, 0, 0.5, 1, 0, 1});
  check_values(grad(sum(min(y, 1, true)), y), {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
  const Tensor z = tensor({1, 3, 3, 2, 1, 1}, f64).requires_grad_();
  check_values(grad(max(z), z), {0, 0.5, 0.5, 0, 0, 0});
  check_values(grad(min(z), z), {1.0 / 3, 0, 0, 0, 1.0 / 3, 1.0 / 3});
  // A weighted seed reaches the tied elements of each slice.
  const Tensor t = tensor({2, 2, 1, 7, 0, 7}, {2, 3}, f64).requires_grad_();
  check_values(grad(sum(max(t, -1) * tensor({10, 100}, f64)), t), {5, 5, 0, 50, 0, 50});
}

TEST_CASE("long contiguous rows: sum, max and min in interleaved lanes match a plain loop, NaN in any lane wins") {
  // Rows of 8·k + r elements run through eight partial results; every length
  // around the lane count, and a NaN at each position of a row.
  Generator gen(31);
  for (Dtype dtype : {f32, f64}) {
    for (std::int64_t n : {1, 7, 15, 16, 17, 23, 24, 37, 100}) {
      INFO(dtype_name(dtype) << ", row of " << n);
      const Tensor x = randn({3, n}, gen, dtype);
      const std::vector<double> v = x.to_vector<double>();
      std::vector<double> sums(3), maxima(3, -INFINITY), minima(3, INFINITY);
      for (std::size_t r = 0; r < 3; ++r) {
        for (std::size_t j = 0; j < static_cast<std::size_t>(n); ++j) {
          const double e = v[r * static_cast<std::size_t>(n) + j];
          sums[r] += e;
          maxima[r] = std::max(maxima[r], e);
          minima[r] = std::min(minima[r], e);
        }
      }
      check_values(sum(x, 1), sums, 1e-5, 1e-13);
      check_values(max(x, 1), maxima);
      check_values(min(x, 1), minima);
      for (std::int64_t at = 0; at < n; ++at) {
        std::vector<double> with_nan = v;
        with_nan[static_cast<std::size_t>(n + at)] = NAN;  // row 1
        const Tensor xn = from_vector(with_nan, {3, n}, dtype);
        CHECK(std::isnan(max(xn, 1).to_vector<double>()[1]));
        CHECK(std::isnan(min(xn, 1).to_vector<double>()[1]));
        CHECK(std::isnan(sum(xn, 1).to_vector<double>()[1]));
        CHECK(max(xn, 1).to_vector<double>()[0] == doctest::Approx(maxima[0]));
      }
    }
  }
}

TEST_CASE("var with correction 0 and 1 (the default)") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor v = tensor({1, 2, 3, 4, 2, 4, 6, 8}, {2, 4}, dt);
    check_result(var(v, {1}, false, {.correction = 0}), {2}, {1.25, 5});
    check_result(var(v, {-1}), {2}, {5.0 / 3, 20.0 / 3});
    check_result(var(v, {1}, true), {2, 1}, {5.0 / 3, 20.0 / 3});
    check_result(var(v, {0}, false, {.correction = 0}), {4}, {0.25, 1, 2.25, 4});
    check_result(var(v, {0}, true), {1, 4}, {0.5, 2, 4.5, 8});
    check_result(var(v, {}, false, {.correction = 0}), {}, {4.6875});
    check_result(var(v), {}, {4.6875 * 8 / 7});
    check_result(var(v, {0, 1}, true, {.correction = 0}), {1, 1}, {4.6875});
    check_result(var(tensor({3}, dt), {}, false, {.correction = 0}), {}, {0});
  }
}

TEST_CASE("logsumexp: values, and stable where e^x overflows") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor l = tensor({1, 2, 3, 0, 0, 0}, {2, 3}, dt);
    check_result(logsumexp(l, 1), {2}, {3.40760596444438, 1.0986122886681098});
    check_result(logsumexp(l, -1, true), {2, 1}, {3.40760596444438, 1.0986122886681098});
    check_result(logsumexp(l, 0), {3}, {1.3132616875182228, 2.1269280110429727, 3.048587351573742});
    check_result(logsumexp(l), {}, {3.5023352399553747});
    check_result(logsumexp(l, Axes{}, true), {1, 1}, {3.5023352399553747});
    check_result(logsumexp(tensor({1000, 1000}, dt)), {}, {1000.6931471805599});
    check_result(logsumexp(tensor({-1000, -1000}, dt)), {}, {-999.3068528194401});
    check_result(logsumexp(tensor({1000, -1000}, dt)), {}, {1000});
    check_result(logsumexp(tensor({-kInf, 0}, dt)), {}, {0});
    check_result(logsumexp(tensor({-kInf, -kInf}, dt)), {}, {-kInf});
    check_result(logsumexp(tensor({kInf, 0}, dt)), {}, {kInf});
    check_result(logsumexp(zeros({2, 0}, dt), 1), {2}, {-kInf, -kInf});  // log of an empty sum
    const Tensor big = tensor({1000, 1000, -1000}, dt).requires_grad_();
    // e^(x − y) with y = 1000 + log 2 rounded to float32 (ulp 6e-5): a relative error of 3e-5.
    check_values(grad(logsumexp(big), big), {0.5, 0.5, 0}, 1e-4);
  }
  const Tensor l = tensor({1, 2, 3}, f64).requires_grad_();
  check_values(grad(logsumexp(l), l), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219});
}

TEST_CASE("sum_to: the reverse of broadcasting") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor x = counting(dt);
    check_result(sum_to(x, {3, 1}), {3, 1}, {60, 92, 124});
    check_result(sum_to(x, {4}), {4}, {60, 66, 72, 78});
    check_result(sum_to(x, {1, 4}), {1, 4}, {60, 66, 72, 78});
    check_result(sum_to(x, {}), {}, {276});
    check_result(sum_to(x, {1, 1, 1}), {1, 1, 1}, {276});
    check_result(sum_to(x, {2, 1, 4}), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
    check_result(sum_to(x, {3, 4}), {3, 4}, {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
    check_result(sum_to(x, {2, 3, 4}), {2, 3, 4}, x.to_vector<double>());
  }
}

TEST_CASE("reductions: float64 gradcheck over every kind of axes, keepdims true and false") {
  Generator gen(3);
  const Tensor x = randn({2, 3, 4}, gen, f64);
  const std::vector<Axes> axes_sets = {{}, {0}, {1}, {2}, {-1}, {-2}, {0, 2}, {-1, -3}, {2, 1}, {0, 1, 2}};
  using Reduction = std::function<Tensor(const Tensor&, const Axes&, bool)>;
  const std::vector<std::pair<const char*, Reduction>> reductions = {
      {"sum", [](const Tensor& t, const Axes& a, bool k) { return sum(t, a, k); }},
      {"mean", [](const Tensor& t, const Axes& a, bool k) { return mean(t, a, k); }},
      {"max", [](const Tensor& t, const Axes& a, bool k) { return max(t, a, k); }},
      {"min", [](const Tensor& t, const Axes& a, bool k) { return min(t, a, k); }},
      {"var correction 0", [](const Tensor& t, const Axes& a, bool k) { return var(t, a, k, {.correction = 0}); }},
      {"var correction 1", [](const Tensor& t, const Axes& a, bool k) { return var(t, a, k); }},
      {"logsumexp", [](const Tensor& t, const Axes& a, bool k) { return logsumexp(t, a, k); }},
  };
  for (const auto& [name, f] : reductions) {
    for (const Axes& axes : axes_sets) {
      for (bool keepdims : {false, true}) {
        std::string axes_str;
        for (int a : axes) axes_str += std::to_string(a) + " ";
        INFO(std::string(name), " over axes [ ", axes_str, "], keepdims ", keepdims);
        CHECK_GRADCHECK(gradcheck([&](Tensor& t) { return f(t, axes, keepdims); }, {x}));
      }
    }
    INFO(std::string(name), " of a 0-d tensor");
    if (std::string(name) != "var correction 1") {
      CHECK_GRADCHECK(gradcheck([&](Tensor& t) { return f(t, {}, false); }, {scalar(0.7, f64)}));
    }
  }
  // The single-axis overloads, and logsumexp at large magnitudes.
  CHECK_GRADCHECK(gradcheck([](Tensor& t) { return sum(t, 1, true) * mean(t, -1, true) + max(t, 0, true); }, {x}));
  CHECK_GRADCHECK(gradcheck([](Tensor& t) { return min(t, 2, true) + logsumexp(t, -3); }, {x}));
  CHECK_GRADCHECK(gradcheck([](Tensor& t) { return logsumexp(t + 800.0, -1); }, {x}));  // e^800 overflows
  CHECK_GRADCHECK(gradcheck([](Tensor& t) { return logsumexp(t * 20.0, {0, 2}, true); }, {x}));
}

TEST_CASE("sum_to: float64 gradcheck") {
  Generator gen(4);
  const Tensor x = randn({2, 3, 4}, gen, f64);
  for (const Shape& target : {Shape{3, 1}, Shape{4}, Shape{1, 4}, Shape{}, Shape{2, 1, 4}, Shape{2, 3, 4}}) {
    INFO("sum_to ", target.str());
    CHECK_GRADCHECK(gradcheck([&](Tensor& t) { return sum_to(t, target); }, {x}));
  }
}

TEST_CASE("reductions: an axis out of range is an AxisError naming the op, axis and shape") {
  const Tensor x = zeros({2, 3, 4}, f64);
  CHECK_OP_ERROR(AxisError, sum(x, 3), "sum", "axis 3", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, sum(x, {0, -4}), "sum", "axis -4", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, mean(x, 5, true), "mean", "axis 5", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, max(x, -4), "max", "axis -4", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, min(x, {3}), "min", "axis 3", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, var(x, {1, 3}), "var", "axis 3", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, logsumexp(x, 3), "logsumexp", "axis 3", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, sum(scalar(1, f64), 0), "sum", "axis 0", "()");
}

TEST_CASE("reductions: a repeated axis is an AxisError naming the op, axes and shape") {
  const Tensor x = zeros({2, 3, 4}, f32);
  CHECK_OP_ERROR(AxisError, sum(x, {0, -3}), "sum", "repeated", "[0, -3]", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, mean(x, {1, 1}), "mean", "repeated", "[1, 1]", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, max(x, {2, 0, -1}), "max", "repeated", "[2, 0, -1]", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, min(x, {-2, 1}), "min", "repeated", "[-2, 1]", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, var(x, {0, 0}), "var", "repeated", "[0, 0]", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, logsumexp(x, {-1, 2}), "logsumexp", "repeated", "[-1, 2]", "(2, 3, 4)");
}

TEST_CASE("var with no degrees of freedom is a ShapeError naming the count, correction and shape") {
  CHECK_OP_ERROR(ShapeError, var(zeros({1, 3}, f64), {0}), "var", "correction 1", "(1, 3)");
  CHECK_OP_ERROR(ShapeError, var(zeros({3}, f32), {}, false, {.correction = 3}), "var", "3 elements", "correction 3", "(3,)");
  CHECK_OP_ERROR(ShapeError, var(scalar(1, f64)), "var", "correction 1", "()");
  CHECK_OP_ERROR(ShapeError, var(zeros({2, 0}, f64), {1}), "var", "0 elements", "(2, 0)");
}

TEST_CASE("reductions over an empty axis") {
  const Tensor e = zeros({2, 0}, f64);
  check_result(sum(e, 1), {2}, {0, 0});
  CHECK_OP_ERROR(ShapeError, max(e, 1), "max", "empty", "(2, 0)");
  CHECK_OP_ERROR(ShapeError, min(e), "min", "empty", "(2, 0)");
  CHECK_OP_ERROR(ShapeError, mean(e, -1), "mean", "(2, 0)");
}

TEST_CASE("reductions and sum_to: dtype and shape errors") {
  const Tensor ints = from_vector(std::vector<std::int64_t>{1, 2, 3}, {3});
  CHECK_OP_ERROR(DtypeError, sum(ints), "sum", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, mean(ints), "mean", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, max(ints), "max", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, min(ints), "min", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, var(ints), "var", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, logsumexp(ints), "logsumexp", "int64", "(3,)");
  const Tensor x = zeros({2, 3}, f64);
  CHECK_OP_ERROR(ShapeError, sum_to(x, {4}), "sum_to", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, sum_to(x, {2}), "sum_to", "(2, 3)", "(2,)");
  CHECK_OP_ERROR(ShapeError, sum_to(x, {1, 2, 3}), "sum_to", "(2, 3)", "(1, 2, 3)");
  CHECK_OP_ERROR(ShapeError, sum_to(x, {2, 2}), "sum_to", "(2, 3)", "(2, 2)");
}

TEST_CASE("empty braces reduce over all axes, an int over one") {
  const Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, f64);
  CHECK(sum(x, {}, true).shape() == Shape{1, 1});
  CHECK(sum(x, {}, true).item() == doctest::Approx(21.0));
  CHECK(sum(x, 1).shape() == Shape{2});
  CHECK(mean(x, {0, 1}).item() == doctest::Approx(3.5));
  CHECK(max(x, {}, true).item() == doctest::Approx(6.0));
  CHECK(logsumexp(x, -1, true).shape() == Shape{2, 1});
}
