// Elementwise binary ops, ops with a double, comparisons and operators:
// forward values in float32 and float64 against hand-computed numbers,
// float64 gradchecks with broadcasting, ties, and the error messages.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

struct BinaryOp {
  const char* name;
  BinaryFn f;
};

const std::vector<BinaryOp>& comparisons() {
  static const std::vector<BinaryOp> ops = {
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }},
  };
  return ops;
}

const std::vector<Dtype> kDtypes = {f32, f64};

}  // namespace

TEST_CASE("binary ops: forward values with broadcasting (2, 3) x (3,)") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor a = tensor({1, -2, 3, 0.5, 4, -1}, {2, 3}, dt);
    const Tensor b = tensor({2, -4, 0.5}, dt);
    const Tensor sum_ab = add(a, b);
    CHECK(sum_ab.shape() == Shape{2, 3});
    CHECK(sum_ab.dtype() == dt);
    check_values(sum_ab, {3, -6, 3.5, 2.5, 0, -0.5});
    check_values(sub(a, b), {-1, 2, 2.5, -1.5, 8, -1.5});
    check_values(sub(b, a), {1, -2, -2.5, 1.5, -8, 1.5});
    check_values(mul(a, b), {2, 8, 1.5, 1, -16, -0.5});
    check_values(div(a, b), {0.5, 0.5, 6, 0.25, -1, -2});
    check_values(div(b, a), {2, 2, 1.0 / 6, 4, -1, -0.5});
    check_values(maximum(a, b), {2, -2, 3, 2, 4, 0.5});
    check_values(minimum(a, b), {1, -4, 0.5, 0.5, -4, -1});
    const Tensor base = tensor({1, 2, 4, 0.5, 3, 9}, {2, 3}, dt);
    check_values(pow(base, tensor({2, -1, 0.5}, dt)), {1, 0.5, 2, 0.25, 1.0 / 3, 3});
    check_values(pow(tensor({-2, 0, 2}, dt), tensor({3, 2, 0}, dt)), {-8, 0, 1});
    check_values(add(a, 2.5), {3.5, 0.5, 5.5, 3, 6.5, 1.5});
    check_values(mul(a, -2.0), {-2, 4, -6, -1, -8, 2});
    // (3, 1) x (1, 4) -> (3, 4)
    const Tensor outer = mul(tensor({1, 2, 3}, {3, 1}, dt), tensor({1, 10, 100, 1000}, {1, 4}, dt));
    CHECK(outer.shape() == Shape{3, 4});
    check_values(outer, {1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000});
    // () x (2, 3)
    check_values(sub(scalar(10, dt), a), {9, 12, 7, 9.5, 6, 11});
  }
}

TEST_CASE("where: picks a or b by cond, all three broadcast") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor cond = tensor({1, 0, 1, 0, 0, 1}, {2, 3}, dt);
    const Tensor y = where(cond, tensor({10, 20, 30}, dt), scalar(0.5, dt));
    CHECK(y.shape() == Shape{2, 3});
    check_values(y, {10, 0.5, 30, 0.5, 0.5, 30});
    // cond of another dtype (int64, the other float) and the one that broadcasts.
    const Tensor icond = from_vector(std::vector<std::int64_t>{0, 3}, {2, 1});
    check_values(where(icond, full({2, 3}, 1, dt), full({3}, -1, dt)), {-1, -1, -1, 1, 1, 1});
    const Tensor fcond = tensor({-0.5, 0}, {2, 1}, dt == f32 ? f64 : f32);
    check_values(where(fcond, full({2, 3}, 1, dt), full({3}, -1, dt)), {1, 1, 1, -1, -1, -1});
  }
}

TEST_CASE("comparisons: 1 or 0 in a's dtype, with broadcasting") {
  const std::vector<std::vector<double>> expected = {
      {0, 0, 1, 1, 0, 0},  // gt
      {0, 1, 1, 1, 1, 0},  // ge
      {1, 0, 0, 0, 0, 1},  // lt
      {1, 1, 0, 0, 1, 1},  // le
      {0, 1, 0, 0, 1, 0},  // eq
      {1, 0, 1, 1, 0, 1},  // ne
  };
  for (Dtype dt : kDtypes) {
    const Tensor a = tensor({1, 2, 3, 3, 2, 1}, {2, 3}, dt).requires_grad_();
    const Tensor b = scalar(2, dt);
    for (std::size_t i = 0; i < comparisons().size(); ++i) {
      INFO(std::string(comparisons()[i].name), " in ", std::string(dtype_name(dt)));
      const Tensor y = comparisons()[i].f(a, b);
      CHECK(y.dtype() == dt);
      CHECK(y.shape() == Shape{2, 3});
      check_values(y, expected[i]);
      CHECK_FALSE(y.requires_grad());  // no gradient flows through a comparison
    }
  }
}

TEST_CASE("binary ops: float64 gradcheck with broadcasting shapes") {
  const std::vector<std::pair<Shape, Shape>> shape_pairs = {
      {{3, 1}, {1, 4}}, {{4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{}, {2, 3}}, {{2, 3}, {}}, {{2, 3}, {2, 3}},
  };
  const std::vector<BinaryOp> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"operator+", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"operator-", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"operator*", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"operator/", [](const Tensor& a, const Tensor& b) { return a / b; }},
      {"mul with itself", [](const Tensor& a, const Tensor& b) { return mul(a, a) + mul(b, b); }},
  };
  Generator gen(2024);
  for (const auto& [sa, sb] : shape_pairs) {
    // Away from kinks: pow needs a > 0, div needs b away from 0; maximum and
    // minimum meet no ties with random values.
    const Tensor a = uniform(sa, 0.5, 2.0, gen, f64);
    const Tensor b = uniform(sb, 0.5, 2.0, gen, f64) * (bernoulli(sb, 0.5, gen, f64) * 2.0 - 1.0);
    for (const BinaryOp& op : ops) {
      INFO(std::string(op.name), " of ", sa.str(), " x ", sb.str());
      CHECK_GRADCHECK(gradcheck([&](Tensor& x, Tensor& y) { return op.f(x, y); }, {a, b}));
      CHECK_GRADCHECK(gradcheck([&](Tensor& x, Tensor& y) { return op.f(y, x); }, {uniform(sb, 0.5, 2.0, gen, f64), a}));
    }
    for (const Shape& sc : {broadcast_shapes(sa, sb, "test"), Shape{}, sa}) {
      const Tensor c = bernoulli(sc, 0.5, gen, f64);
      INFO("where(", sc.str(), ", ", sa.str(), ", ", sb.str(), ")");
      CHECK_GRADCHECK(gradcheck([&](Tensor& x, Tensor& y) { return where(c, x, y); }, {a, b}));
    }
    for (const BinaryOp& op : comparisons()) {
      INFO(std::string(op.name), " of ", sa.str(), " x ", sb.str());
      CHECK_GRADCHECK(gradcheck([&](Tensor& x, Tensor& y) { return op.f(x, y) * x + y; }, {a, b}));
    }
  }
}

TEST_CASE("binary ops: gradients have the shapes of their inputs") {
  const Tensor a = ones({3, 1}, f64).requires_grad_();
  const Tensor b = ones({4}, f64).requires_grad_();
  const Tensor s = scalar(2, f64).requires_grad_();
  const std::vector<Tensor> g = grad({sum(pow(a, b) * s + a / b - maximum(a, s))}, {a, b, s});
  CHECK(g[0].shape() == Shape{3, 1});
  CHECK(g[1].shape() == Shape{4});
  CHECK(g[2].shape() == Shape{});
  // d/ds Σ (a^b·s − max(a, s)) = Σ a^b − 12 = 12 − 12; d/da: b·s + 1/b summed over 4 -> 12
  CHECK(g[2].item() == doctest::Approx(0.0));
  check_values(g[0], {12, 12, 12});
  check_values(g[1], {-3, -3, -3, -3});  // 3·(log 1·s − 1/b²)
}

TEST_CASE("binary ops: gradcheck with one side constant") {
  Generator gen(11);
  const Tensor a = uniform({2, 3}, 0.5, 2.0, gen, f64);
  const Tensor c = uniform({3}, 0.5, 2.0, gen, f64);
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return mul(x, c); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return mul(c, x); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return div(x, c); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return div(c, x); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return pow(x, c); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return pow(c, x); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return maximum(x, c); }, {a}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return minimum(c, x); }, {a}));
}

TEST_CASE("ops with a double and the operators: values and gradcheck") {
  for (Dtype dt : kDtypes) {
    INFO(std::string(dtype_name(dt)));
    const Tensor a = tensor({1, -2, 4}, dt);
    const Tensor b = tensor({2, 0.5, -4}, dt);
    check_values(a + b, {3, -1.5, 0});
    check_values(a - b, {-1, -2.5, 8});
    check_values(a * b, {2, -1, -16});
    check_values(a / b, {0.5, -4, -1});
    check_values(-a, {-1, 2, -4});
    check_values(a + 2.0, {3, 0, 6});
    check_values(a - 2.0, {-1, -4, 2});
    check_values(a * 2.0, {2, -4, 8});
    check_values(a / 2.0, {0.5, -1, 2});
    check_values(2.0 + a, {3, 0, 6});
    check_values(2.0 - a, {1, 4, -2});
    check_values(2.0 * a, {2, -4, 8});
    check_values(2.0 / a, {2, -1, 0.5});
    CHECK((a / 2.0).dtype() == dt);
    CHECK((2.0 - a).dtype() == dt);
  }
  Generator gen(5);
  const Tensor x = uniform({2, 3}, 0.5, 2.0, gen, f64) * (bernoulli({2, 3}, 0.5, gen, f64) * 2.0 - 1.0);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> cases = {
      {"add(x, 2.5)", [](const Tensor& t) { return add(t, 2.5); }},
      {"mul(x, -1.5)", [](const Tensor& t) { return mul(t, -1.5); }},
      {"-x", [](const Tensor& t) { return -t; }},
      {"x + 3", [](const Tensor& t) { return t + 3.0; }},
      {"x - 3", [](const Tensor& t) { return t - 3.0; }},
      {"x * 3", [](const Tensor& t) { return t * 3.0; }},
      {"x / 3", [](const Tensor& t) { return t / 3.0; }},
      {"3 + x", [](const Tensor& t) { return 3.0 + t; }},
      {"3 - x", [](const Tensor& t) { return 3.0 - t; }},
      {"3 * x", [](const Tensor& t) { return 3.0 * t; }},
      {"3 / x", [](const Tensor& t) { return 3.0 / t; }},
      {"(x - 1) / (2 * x + x * x)", [](const Tensor& t) { return (t - 1.0) / (2.0 * t + t * t + 5.0); }},
  };
  for (const auto& [name, f] : cases) {
    INFO(std::string(name));
    CHECK_GRADCHECK(gradcheck([&](Tensor& t) { return f(t); }, {x}));
  }
}

TEST_CASE("maximum and minimum split the gradient evenly at ties") {
  const Tensor a = tensor({1, 2, 3, -1}, f64).requires_grad_();
  const Tensor b = tensor({1, 5, 3, -2}, f64).requires_grad_();
  std::vector<Tensor> g = grad({sum(maximum(a, b))}, {a, b});
  check_values(g[0], {0.5, 0, 0.5, 1});
  check_values(g[1], {0.5, 1, 0.5, 0});
  g = grad({sum(minimum(a, b))}, {a, b});
  check_values(g[0], {0.5, 1, 0.5, 0});
  check_values(g[1], {0.5, 0, 0.5, 1});
  // With broadcasting, b's shares are summed back to its shape.
  const Tensor m = tensor({1, 1, 2, 0}, {2, 2}, f64).requires_grad_();
  const Tensor s = scalar(1, f64).requires_grad_();
  g = grad({sum(maximum(m, s))}, {m, s});
  check_values(g[0], {0.5, 0.5, 1, 0});
  check_values(g[1], {2});
  g = grad({sum(minimum(m, s))}, {m, s});
  check_values(g[0], {0.5, 0.5, 0, 1});
  check_values(g[1], {2});
}

TEST_CASE("pow(a, b): the gradient for b is 0 where a <= 0") {
  const Tensor a = tensor({-2, 0, 2}, f64).requires_grad_();
  const Tensor b = tensor({3, 2, 2}, f64).requires_grad_();
  const Tensor y = pow(a, b);
  check_values(y, {-8, 0, 4});
  const std::vector<Tensor> g = grad({sum(y)}, {a, b});
  check_values(g[0], {12, 0, 4});  // b·a^(b−1)
  check_values(g[1], {0, 0, 4 * std::log(2.0)});
}

TEST_CASE("where: the gradient goes to the picked side only, none to cond") {
  const Tensor cond = tensor({1, 0, 1, 0, 0, 1}, {2, 3}, f64).requires_grad_();
  const Tensor a = tensor({10, 20, 30}, f64).requires_grad_();
  const Tensor b = scalar(0.5, f64).requires_grad_();
  GradOptions options;
  options.allow_unused = true;
  const std::vector<Tensor> g = grad({sum(where(cond, a, b))}, {a, b, cond}, {}, options);
  check_values(g[0], {1, 0, 2});
  check_values(g[1], {3});
  check_values(g[2], {0, 0, 0, 0, 0, 0});
}

TEST_CASE("binary ops: float32 with float64 is a DtypeError naming the op, shapes and dtypes") {
  const Tensor a = zeros({2, 3}, f32);
  const Tensor b = zeros({3}, f64);
  CHECK_OP_ERROR(DtypeError, add(a, b), "add", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, sub(a, b), "sub", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, mul(a, b), "mul", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, div(b, a), "div", "(3,)", "(2, 3)", "float64", "float32");
  CHECK_OP_ERROR(DtypeError, pow(a, b), "pow", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, maximum(a, b), "maximum", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, minimum(a, b), "minimum", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, where(a, a, b), "where", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, gt(a, b), "gt", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, ge(a, b), "ge", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, lt(a, b), "lt", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, le(a, b), "le", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, eq(a, b), "eq", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, ne(a, b), "ne", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, a + b, "add", "(2, 3)", "(3,)", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, b * a, "mul", "(3,)", "(2, 3)", "float64", "float32");
  const Tensor ints = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  CHECK_OP_ERROR(DtypeError, add(ints, 1.0), "add", "int64", "(2,)");
  CHECK_OP_ERROR(DtypeError, mul(ints, 2.0), "mul", "int64", "(2,)");
  CHECK_OP_ERROR(DtypeError, ints * 2.0, "mul", "int64", "(2,)");
  CHECK_OP_ERROR(DtypeError, add(ints, ints), "add", "int64", "(2,)");
}

TEST_CASE("binary ops: shapes that do not broadcast are a ShapeError naming the op and shapes") {
  const Tensor a = zeros({2, 3}, f64);
  const Tensor b = zeros({4}, f64);
  CHECK_OP_ERROR(ShapeError, add(a, b), "add", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, sub(a, b), "sub", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, mul(a, b), "mul", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, div(a, b), "div", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, pow(a, b), "pow", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, maximum(a, b), "maximum", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, minimum(b, a), "minimum", "(4,)", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, where(a, a, b), "where", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, where(b, a, a), "where", "(4,)", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, gt(a, b), "gt", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, ge(a, b), "ge", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, lt(a, b), "lt", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, le(a, b), "le", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, eq(a, b), "eq", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, ne(a, b), "ne", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, add(zeros({3, 1}, f64), zeros({2, 4}, f64)), "add", "(3, 1)", "(2, 4)");
  // Operators report the line of the expression.
  CHECK_OP_ERROR(ShapeError, a + b, "add", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, a - b, "sub", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, a * b, "mul", "(2, 3)", "(4,)");
  CHECK_OP_ERROR(ShapeError, a / b, "div", "(2, 3)", "(4,)");
}

TEST_CASE("binary ops: an undefined operand is an InvalidArgument naming the op") {
  const Tensor undefined;
  const Tensor a = zeros({2}, f64);
  CHECK_OP_ERROR(InvalidArgument, add(a, undefined), "add", "undefined");
  CHECK_OP_ERROR(InvalidArgument, where(undefined, a, a), "where", "undefined");
  CHECK_OP_ERROR(InvalidArgument, mul(undefined, 2.0), "mul", "undefined");
}
