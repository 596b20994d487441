// The bad-input cases of the elementwise ops (unary, binary, the operators,
// where), the reductions and matmul. Each family shares one checker; the
// special values are compared with what the C library computes in double,
// NaN matching NaN.
#include <cstdint>

#include "bad_input.hpp"

namespace tg::test {

namespace {

// The inputs every elementwise op sees: NaN, both infinities, and ordinary values.
const std::vector<double> kSpecial = {kNaN, kInf, -kInf, -2.0, -0.5, 0.0, 1.5};

// What a unary op must do with an undefined or int64 input, an empty or 0-d
// one, and each of kSpecial (in float64, against `ref`).
void check_unary(const std::string& name, const std::function<Tensor(const Tensor&)>& op,
                 const std::function<double(double)>& ref) {
  CHECK_ERROR(InvalidArgument, op(Tensor()), name, "undefined");
  CHECK_ERROR(DtypeError, op(i64_tensor({1, 2}, {2})), name, "int64");
  check_shape(op(zeros({0, 3})), {0, 3});
  check_shape(op(scalar(0.5, f64)), {}, f64);
  std::vector<double> expected;
  for (double v : kSpecial) expected.push_back(ref(v));
  check_values_nan(op(from_vector(kSpecial, {7}, f64)), expected, 1e-12);
}

double elu_ref(double v, double alpha) { return v > 0 ? v : alpha * std::expm1(v); }

std::vector<BadInputCase> unary_cases() {
  using F = std::function<Tensor(const Tensor&)>;
  using R = std::function<double(double)>;
  const double selu_alpha = 1.6732632423543772848170429916717, selu_scale = 1.0507009873554804934193349852946;
  const std::vector<std::tuple<std::string, F, R>> family = {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double v) { return -v; }},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double v) { return std::exp(v); }},
      {"log", [](const Tensor& x) { return log(x); }, [](double v) { return std::log(v); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double v) { return std::abs(v); }},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double v) { return std::sin(v); }},
      {"cos", [](const Tensor& x) { return cos(x); }, [](double v) { return std::cos(v); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double v) { return std::tanh(v); }},
      {"erf", [](const Tensor& x) { return erf(x); }, [](double v) { return std::erf(v); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, [](double v) { return 1 / (1 + std::exp(-v)); }},
      // PyTorch's relu keeps NaN (max(NaN, 0) is NaN, not 0).
      {"relu", [](const Tensor& x) { return relu(x); }, [](double v) { return std::isnan(v) ? v : v > 0 ? v : 0.0; }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, [](double v) { return v > 0 ? v : 0.1 * v; }},
      {"elu", [](const Tensor& x) { return elu(x, 0.5); }, [](double v) { return elu_ref(v, 0.5); }},
      {"selu", [](const Tensor& x) { return selu(x); },
       [=](double v) { return selu_scale * elu_ref(v, selu_alpha); }},
      {"softplus", [](const Tensor& x) { return softplus(x); },
       [](double v) { return v > 20 ? v : std::log1p(std::exp(v)); }},
      // x·Φ(x) at −inf is −inf·0: NaN, as PyTorch's formula gives; the other values are exact.
      {"gelu", [](const Tensor& x) { return gelu(x); },
       [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"clamp", [](const Tensor& x) { return clamp(x, -1.0, 1.0); },
       [](double v) { return std::isnan(v) ? v : std::min(std::max(v, -1.0), 1.0); }},
      {"pow", [](const Tensor& x) { return pow(x, 3.0); }, [](double v) { return std::pow(v, 3.0); }},
      // NumPy's rule: a step of NaN is NaN (it is neither side of the step).
      {"heaviside", [](const Tensor& x) { return heaviside(x, 0.5); },
       [](double v) { return std::isnan(v) ? v : v > 0 ? 1.0 : v < 0 ? 0.0 : 0.5; }},
      {"sign", [](const Tensor& x) { return sign(x); },
       [](double v) { return std::isnan(v) ? v : v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }},
  };
  std::vector<BadInputCase> cases;
  for (const auto& [name, op, ref] : family) cases.push_back({name, [=] { check_unary(name, op, ref); }});
  // The arguments besides x.
  cases.push_back({"softplus", [] { CHECK_OP_ERROR(InvalidArgument, softplus(ones({2}), 0.0), "softplus", "beta", "(2,)"); }});
  cases.push_back({"clamp", [] { CHECK_OP_ERROR(InvalidArgument, clamp(ones({2}), 1.0, -1.0), "clamp", "lo <= hi"); }});
  cases.push_back({"pow", [] { check_values_nan(pow(tensor({0.0, -1.0}, f64), -1.0), {kInf, -1.0}); }});
  return cases;
}

// What a binary op must do with undefined, int64, mixed-dtype and
// mismatched operands, empty broadcasts, and the special values pairwise.
void check_binary(const std::string& name, const std::function<Tensor(const Tensor&, const Tensor&)>& op,
                  const std::function<double(double, double)>& ref) {
  CHECK_ERROR(InvalidArgument, op(Tensor(), ones({2})), name, "undefined");
  CHECK_ERROR(InvalidArgument, op(ones({2}), Tensor()), name, "undefined");
  CHECK_ERROR(DtypeError, op(i64_tensor({1, 2}, {2}), i64_tensor({1, 2}, {2})), name, "int64");
  CHECK_ERROR(DtypeError, op(ones({2}), ones({2}, f64)), name, "float32", "float64");
  CHECK_ERROR(ShapeError, op(ones({3, 4}), ones({2, 4})), name, "(3, 4)", "(2, 4)");
  check_shape(op(zeros({0, 3}), ones({3})), {0, 3});
  check_shape(op(zeros({2, 1}), ones({0})), {2, 0});
  CHECK_ERROR(ShapeError, op(zeros({0, 3}), ones({2, 3})), name, "(0, 3)", "(2, 3)");
  std::vector<double> a, b, expected;
  for (double x : kSpecial)
    for (double y : kSpecial) {
      a.push_back(x);
      b.push_back(y);
      expected.push_back(ref(x, y));
    }
  const auto n = static_cast<std::int64_t>(a.size());
  check_values_nan(op(from_vector(a, {n}, f64), from_vector(b, {n}, f64)), expected, 1e-12);
}

// NaN wins, like PyTorch's maximum and minimum.
double nan_or(double a, double b, double otherwise) { return std::isnan(a) || std::isnan(b) ? kNaN : otherwise; }

std::vector<BadInputCase> binary_cases() {
  using F = std::function<Tensor(const Tensor&, const Tensor&)>;
  using R = std::function<double(double, double)>;
  const std::vector<std::tuple<std::string, F, R>> family = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, [](double x, double y) { return x + y; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, [](double x, double y) { return x - y; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, [](double x, double y) { return x * y; }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, [](double x, double y) { return x / y; }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, [](double x, double y) { return std::pow(x, y); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double x, double y) { return nan_or(x, y, std::max(x, y)); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double x, double y) { return nan_or(x, y, std::min(x, y)); }},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }, [](double x, double y) { return double(x > y); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }, [](double x, double y) { return double(x >= y); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }, [](double x, double y) { return double(x < y); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }, [](double x, double y) { return double(x <= y); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }, [](double x, double y) { return double(x == y); }},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }, [](double x, double y) { return double(x != y); }},
      // The operators name the op they run.
      {"operator+", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double x, double y) { return x + y; }},
      {"operator-", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double x, double y) { return x - y; }},
      {"operator*", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double x, double y) { return x * y; }},
      {"operator/", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double x, double y) { return x / y; }},
  };
  const std::map<std::string, std::string> op_of = {
      {"operator+", "add"}, {"operator-", "sub"}, {"operator*", "mul"}, {"operator/", "div"}};
  std::vector<BadInputCase> cases;
  for (const auto& [name, op, ref] : family) {
    const std::string shown = op_of.contains(name) ? op_of.at(name) : name;
    cases.push_back({name, [=] { check_binary(shown, op, ref); }});
  }
  // The scalar forms.
  const Tensor special = from_vector(kSpecial, {7}, f64);
  cases.push_back({"add", [=] {
    CHECK_ERROR(DtypeError, add(i64_tensor({1}, {1}), 1.0), "add", "int64");
    check_all_nan(add(special, kNaN));
    check_shape(add(zeros({0}), 1.0), {0});
  }});
  cases.push_back({"mul", [=] { check_values_nan(mul(special, 0.0), {kNaN, kNaN, kNaN, 0, 0, 0, 0}); }});
  cases.push_back({"div", [=] { check_values_nan(div(tensor({1.0, -1.0, 0.0}, f64), 0.0), {kInf, -kInf, kNaN}); }});
  cases.push_back({"operator-", [=] {
    CHECK_ERROR(InvalidArgument, -Tensor(), "neg", "undefined");
    CHECK_ERROR(InvalidArgument, 1.0 - Tensor(), "sub", "undefined");
    CHECK_ERROR(DtypeError, 1.0 - i64_tensor({1}, {1}), "sub", "int64");
    check_values_nan(-special, {kNaN, -kInf, kInf, 2, 0.5, 0, -1.5});
    check_values_nan(special - 1.0, {kNaN, kInf, -kInf, -3, -1.5, -1, 0.5});
  }});
  cases.push_back({"operator+", [=] { check_all_nan(kNaN + special); check_shape(1.0 + zeros({0, 2}), {0, 2}); }});
  cases.push_back({"operator*", [=] { CHECK_ERROR(InvalidArgument, Tensor() * 2.0, "mul"); check_all_nan(special * kNaN); }});
  cases.push_back({"operator/", [=] {
    CHECK_ERROR(DtypeError, 1.0 / i64_tensor({1}, {1}), "div", "int64");
    check_values_nan(1.0 / tensor({0.0, -kInf}, f64), {kInf, -0.0});
    check_values_nan(tensor({1.0}, f64) / 0.0, {kInf});
  }});
  cases.push_back({"where", [] {
    CHECK_OP_ERROR(InvalidArgument, where(Tensor(), ones({2}), ones({2})), "where", "undefined");
    CHECK_OP_ERROR(ShapeError, where(ones({3}), ones({2}), ones({2})), "where", "(3,)", "(2,)");
    CHECK_OP_ERROR(DtypeError, where(ones({2}), ones({2}), ones({2}, f64)), "where", "float32", "float64");
    check_shape(where(ones({0, 1}), ones({3}), zeros({3})), {0, 3});
    // The branch not taken does not leak its NaN; a NaN condition counts as true (non-zero).
    check_values_nan(where(tensor({1, 0, kNaN}), tensor({1, 2, 3}), tensor({kNaN, 5, kNaN})), {1, 5, 3});
  }});
  return cases;
}

std::vector<BadInputCase> reduction_cases() {
  std::vector<BadInputCase> cases;
  using F = std::function<Tensor(const Tensor&, const Axes&)>;
  const std::vector<std::pair<std::string, F>> family = {
      {"sum", [](const Tensor& x, const Axes& a) { return sum(x, a); }},
      {"mean", [](const Tensor& x, const Axes& a) { return mean(x, a); }},
      {"max", [](const Tensor& x, const Axes& a) { return max(x, a); }},
      {"min", [](const Tensor& x, const Axes& a) { return min(x, a); }},
      {"var", [](const Tensor& x, const Axes& a) { return var(x, a); }},
      {"logsumexp", [](const Tensor& x, const Axes& a) { return logsumexp(x, a); }},
  };
  for (const auto& [name, op] : family) {
    cases.push_back({name, [name = name, op = op] {
      CHECK_ERROR(InvalidArgument, op(Tensor(), {}), name, "undefined");
      CHECK_ERROR(DtypeError, op(i64_tensor({1, 2}, {2}), {}), name, "int64");
      CHECK_ERROR(AxisError, op(ones({2, 3}), 2), name, "axis 2", "(2, 3)");
      CHECK_ERROR(AxisError, op(ones({2, 3}), -3), name, "axis -3", "(2, 3)");
      CHECK_ERROR(AxisError, op(ones({2, 3}), {1, -1}), name, "repeated", "(2, 3)");
      CHECK_ERROR(AxisError, op(scalar(1.0), 0), name, "0-d");
      // NaN anywhere in the reduced values gives NaN there, and nowhere else.
      const Tensor x = tensor({1, kNaN, 3, 4, 5, 6}, {2, 3}, f64);
      check_all_nan(op(x, {}));
      const std::vector<double> rows = op(x, 1).to_vector<double>();
      CHECK(std::isnan(rows[0]));
      CHECK(!std::isnan(rows[1]));
      // Empty axes not reduced stay empty.
      check_shape(op(zeros({0, 3}), 1), {0});
    }});
  }
  // Reductions of no elements: the identity where there is one (PyTorch, NumPy), else an error.
  cases.push_back({"sum", [] {
    check_values_nan(sum(zeros({0})), {0});
    check_values_nan(sum(zeros({0, 3}), 0), {0, 0, 0});
    check_values_nan(sum(tensor({kInf, -kInf})), {kNaN});
  }});
  cases.push_back({"logsumexp", [] {
    check_values_nan(logsumexp(zeros({0})), {-kInf});
    check_values_nan(logsumexp(tensor({kInf, 1.0}, f64)), {kInf});
    check_values_nan(logsumexp(tensor({-kInf, -kInf}, f64)), {-kInf});
  }});
  cases.push_back({"mean", [] { CHECK_OP_ERROR(ShapeError, mean(zeros({0, 3})), "mean", "no elements", "(0, 3)"); }});
  cases.push_back({"max", [] {
    CHECK_OP_ERROR(ShapeError, max(zeros({0, 3}), 0), "max", "empty axis 0", "(0, 3)");
    check_values_nan(max(tensor({-kInf, kInf, 1.0})), {kInf});
  }});
  cases.push_back({"min", [] { CHECK_OP_ERROR(ShapeError, min(zeros({2, 0})), "min", "(2, 0)"); }});
  cases.push_back({"var", [] {
    CHECK_OP_ERROR(ShapeError, var(zeros({1, 3}), 0), "var", "degrees of freedom", "(1, 3)");
    CHECK_OP_ERROR(ShapeError, var(zeros({0})), "var", "(0,)");
    check_values_nan(var(tensor({kInf, 1.0}, f64)), {kNaN});
  }});
  cases.push_back({"sum_to", [] {
    CHECK_OP_ERROR(InvalidArgument, sum_to(Tensor(), {2}), "sum_to", "undefined");
    CHECK_OP_ERROR(ShapeError, sum_to(ones({2, 3}), {2}), "sum_to", "(2, 3)", "(2,)");
    CHECK_OP_ERROR(ShapeError, sum_to(ones({2, 3}), {0, 3}), "sum_to", "(0, 3)");
    check_values_nan(sum_to(zeros({0, 3}), {3}), {0, 0, 0});
    check_values_nan(sum_to(tensor({1, kNaN, 3, 4}, {2, 2}), {1, 2}), {4, kNaN});
  }});
  return cases;
}

std::vector<BadInputCase> matmul_cases() {
  return {{"matmul", [] {
    CHECK_OP_ERROR(InvalidArgument, matmul(Tensor(), ones({2, 2})), "matmul", "undefined");
    CHECK_OP_ERROR(DtypeError, matmul(ones({2, 2}), ones({2, 2}, f64)), "matmul", "float32", "float64");
    CHECK_OP_ERROR(ShapeError, matmul(scalar(1.0), ones({2})), "matmul", "rank >= 1", "()");
    CHECK_OP_ERROR(ShapeError, matmul(ones({2, 3, 4}), ones({5, 4, 2})), "matmul", "batch", "(2, 3, 4)", "(5, 4, 2)");
    CHECK_OP_ERROR(ShapeError, matmul(ones({3}), ones({2, 3}), false, false), "matmul", "rank >= 2", "(3,)");
    CHECK_OP_ERROR(ShapeError, matmul(ones({2, 3}), ones({2, 3}), false, false), "inner dimensions", "(2, 3)");
    // Empty operands: no rows gives no rows; an empty inner dimension sums nothing, 0.
    check_shape(matmul(zeros({0, 3}), ones({3, 4})), {0, 4});
    const Tensor w = ones({3, 4}).requires_grad_();
    check_zero_grad(matmul(zeros({5, 0, 3}), w), w);
    check_shape(matmul(zeros({2, 0, 3}), ones({3, 4})), {2, 0, 4});
    check_values_nan(matmul(ones({2, 0}), ones({0, 2})), {0, 0, 0, 0});
    check_values_nan(matmul(ones({0, 2}, f64), ones({0, 2}, f64), true, false), {0, 0, 0, 0});
    // NaN and inf reach exactly the outputs that read them.
    const Tensor a = tensor({kNaN, 0, 1, 2}, {2, 2}, f64);
    check_values_nan(matmul(a, tensor({1, 0, 0, 1}, {2, 2}, f64)), {kNaN, kNaN, 1, 2});
    check_values_nan(matmul(tensor({kInf, 1}, {1, 2}, f64), tensor({0, 1}, {2, 1}, f64)), {kNaN});
  }}};
}

}  // namespace

std::vector<BadInputCase> elementwise_cases() {
  std::vector<BadInputCase> all;
  for (auto* part : {&unary_cases, &binary_cases, &reduction_cases, &matmul_cases}) {
    for (BadInputCase& c : (*part)()) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace tg::test
