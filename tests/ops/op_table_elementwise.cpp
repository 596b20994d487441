// The op table's elementwise rows: unary ops, binary ops with broadcasting,
// their scalar forms, where, the comparisons and the operators.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

using Unary = std::function<Tensor(const Tensor&)>;
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;

// A unary op's samples: a matrix, a 0-d tensor, a vector and an empty one,
// with values in [lo, hi) (a domain where the op is smooth enough to check).
SampleGenerator unary_samples(double lo, double hi) {
  return [=](Dtype dtype) {
    Generator gen(kSampleSeed);
    return std::vector<Sample>{
        sample({values({2, 3}, dtype, gen, lo, hi)}, "(2, 3)"),
        sample({values({}, dtype, gen, lo, hi)}, "0-d"),
        sample({values({5}, dtype, gen, lo, hi)}, "(5,)"),
        sample({values({0, 3}, dtype, gen, lo, hi)}, "empty (0, 3)"),
    };
  };
}

OpInfo unary(std::string name, std::string torch_name, Unary f, double lo = -2.0, double hi = 2.0,
             std::string variant = "") {
  OpInfo row;
  row.name = name;
  row.variant = std::move(variant);
  row.torch_name = std::move(torch_name);
  row.error_name = std::move(name);
  row.arity = 1;
  row.dtypes = kFloating;
  row.differentiable = {true};
  row.samples = unary_samples(lo, hi);
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs&) { return f(x[0]); };
  return row;
}

// A binary op's samples: equal shapes, the NumPy broadcasts (a row, a column
// against a row, a 0-d operand on either side) and an empty batch. `b_lo`
// keeps the second operand away from zero where the op needs it (div, pow).
SampleGenerator binary_samples(double a_lo, double a_hi, double b_lo, double b_hi) {
  return [=](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto a = [&](const Shape& s) { return values(s, dtype, gen, a_lo, a_hi); };
    auto b = [&](const Shape& s) { return values(s, dtype, gen, b_lo, b_hi); };
    return std::vector<Sample>{
        sample({a({2, 3}), b({2, 3})}, "(2, 3) and (2, 3)"),
        sample({a({2, 3}), b({3})}, "broadcast (2, 3) and (3,)"),
        sample({a({2, 1}), b({1, 3})}, "broadcast (2, 1) and (1, 3)"),
        sample({a({}), b({2, 2})}, "broadcast 0-d and (2, 2)"),
        sample({a({3, 1, 2}), b({})}, "broadcast (3, 1, 2) and 0-d"),
        sample({a({0, 3}), b({3})}, "empty (0, 3) and (3,)"),
    };
  };
}

OpInfo binary(std::string name, std::string torch_name, std::string error_name, Binary f, double a_lo = -2.0,
              double a_hi = 2.0, double b_lo = -2.0, double b_hi = 2.0) {
  OpInfo row;
  row.name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.error_name = std::move(error_name);
  row.arity = 2;
  row.dtypes = kFloating;
  row.differentiable = {true, true};
  row.samples = binary_samples(a_lo, a_hi, b_lo, b_hi);
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs&) { return f(x[0], x[1]); };
  return row;
}

// A tensor-and-constant op: the unary samples, the constant in `scalar`.
OpInfo with_scalar(std::string name, std::string variant, std::string torch_name, std::string error_name, Unary f,
                   double lo = -2.0, double hi = 2.0) {
  OpInfo row = unary(std::move(name), std::move(torch_name), std::move(f), lo, hi, std::move(variant));
  row.error_name = std::move(error_name);
  return row;
}

// Comparisons: 1 or 0 in a's dtype, no gradient. Ties are part of the
// samples (a tensor compared with itself).
OpInfo comparison(std::string name, std::string torch_name, Binary f) {
  OpInfo row = binary(name, std::move(torch_name), name, std::move(f));
  row.differentiable = {false, false};
  row.second_order = false;
  SampleGenerator broadcast = row.samples;
  row.samples = [broadcast](Dtype dtype) {
    std::vector<Sample> s = broadcast(dtype);
    Generator gen(kSampleSeed + 1);
    const Tensor x = values({2, 2}, dtype, gen);
    s.push_back(sample({x, x}, "ties (a tensor and itself)"));
    return s;
  };
  return row;
}

}  // namespace

std::vector<OpInfo> elementwise_rows() {
  std::vector<OpInfo> rows = {
      unary("neg", "torch.neg", [](const Tensor& x) { return neg(x); }),
      unary("exp", "torch.exp", [](const Tensor& x) { return exp(x); }),
      unary("log", "torch.log", [](const Tensor& x) { return log(x); }, 0.5, 2.0),
      unary("sqrt", "torch.sqrt", [](const Tensor& x) { return sqrt(x); }, 0.5, 2.0),
      unary("abs", "torch.abs", [](const Tensor& x) { return abs(x); }),
      unary("sin", "torch.sin", [](const Tensor& x) { return sin(x); }),
      unary("cos", "torch.cos", [](const Tensor& x) { return cos(x); }),
      unary("tanh", "torch.tanh", [](const Tensor& x) { return tanh(x); }),
      unary("erf", "torch.erf", [](const Tensor& x) { return erf(x); }),
      unary("sigmoid", "torch.sigmoid", [](const Tensor& x) { return sigmoid(x); }),
      unary("relu", "torch.relu", [](const Tensor& x) { return relu(x); }),
      unary("leaky_relu", "torch.nn.functional.leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }),
      unary("elu", "torch.nn.functional.elu", [](const Tensor& x) { return elu(x, 0.7); }),
      unary("selu", "torch.selu", [](const Tensor& x) { return selu(x); }),
      unary("softplus", "torch.nn.functional.softplus", [](const Tensor& x) { return softplus(x, 2.0, 3.0); }),
      unary("gelu", "torch.nn.functional.gelu", [](const Tensor& x) { return gelu(x); }),
      unary("clamp", "torch.clamp", [](const Tensor& x) { return clamp(x, -0.5, 1.0); }),
      unary("pow", "torch.pow", [](const Tensor& x) { return pow(x, 2.5); }, 0.5, 2.0, "scalar exponent"),
      // Zero gradients: the gradcheck sweep checks that they are zero.
      unary("heaviside", "torch.heaviside", [](const Tensor& x) { return heaviside(x, 0.5); }),
      unary("sign", "torch.sign", [](const Tensor& x) { return sign(x); }),

      binary("add", "torch.add", "add", [](const Tensor& a, const Tensor& b) { return add(a, b); }),
      binary("sub", "torch.sub", "sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }),
      binary("mul", "torch.mul", "mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }),
      binary("div", "torch.div", "div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, -2, 2, 0.5, 2),
      binary("pow", "torch.pow", "pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2, -2, 2),
      binary("maximum", "torch.maximum", "maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }),
      binary("minimum", "torch.minimum", "minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }),
      with_scalar("add", "scalar", "torch.add", "add", [](const Tensor& x) { return add(x, 1.5); }),
      with_scalar("mul", "scalar", "torch.mul", "mul", [](const Tensor& x) { return mul(x, -1.5); }),
      with_scalar("div", "scalar", "torch.div", "div", [](const Tensor& x) { return div(x, 0.75); }),

      comparison("gt", "torch.gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }),
      comparison("ge", "torch.ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }),
      comparison("lt", "torch.lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }),
      comparison("le", "torch.le", [](const Tensor& a, const Tensor& b) { return le(a, b); }),
      comparison("eq", "torch.eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }),
      comparison("ne", "torch.ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }),

      // The operators name the op they run in their errors.
      with_scalar("operator-", "unary", "torch.Tensor.__neg__", "neg", [](const Tensor& x) { return -x; }),
      binary("operator+", "torch.Tensor.__add__", "add", [](const Tensor& a, const Tensor& b) { return a + b; }),
      binary("operator-", "torch.Tensor.__sub__", "sub", [](const Tensor& a, const Tensor& b) { return a - b; }),
      binary("operator*", "torch.Tensor.__mul__", "mul", [](const Tensor& a, const Tensor& b) { return a * b; }),
      binary("operator/", "torch.Tensor.__truediv__", "div", [](const Tensor& a, const Tensor& b) { return a / b; },
             -2, 2, 0.5, 2),
      with_scalar("operator+", "tensor + scalar", "torch.Tensor.__add__", "add", [](const Tensor& x) { return x + 2.0; }),
      // x - b runs as add(x, -b), and its errors name add.
      with_scalar("operator-", "tensor - scalar", "torch.Tensor.__sub__", "add", [](const Tensor& x) { return x - 2.0; }),
      with_scalar("operator*", "tensor * scalar", "torch.Tensor.__mul__", "mul", [](const Tensor& x) { return x * 3.0; }),
      with_scalar("operator/", "tensor / scalar", "torch.Tensor.__truediv__", "div",
                  [](const Tensor& x) { return x / 4.0; }),
      with_scalar("operator+", "scalar + tensor", "torch.Tensor.__radd__", "add", [](const Tensor& x) { return 2.0 + x; }),
      with_scalar("operator-", "scalar - tensor", "torch.Tensor.__rsub__", "sub", [](const Tensor& x) { return 2.0 - x; }),
      with_scalar("operator*", "scalar * tensor", "torch.Tensor.__rmul__", "mul", [](const Tensor& x) { return 3.0 * x; }),
      with_scalar("operator/", "scalar / tensor", "torch.Tensor.__rtruediv__", "div",
                  [](const Tensor& x) { return 4.0 / x; }, 0.5, 2.0),
  };
  // where(cond, a, b): cond is a mask in the branches' dtype, no gradient for it.
  OpInfo where_row;
  where_row.name = where_row.error_name = "where";
  where_row.torch_name = "torch.where";
  where_row.arity = 3;
  where_row.dtypes = kFloating;
  where_row.differentiable = {false, true, true};
  where_row.samples = [](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto mask = [&](const Shape& s) { return gt(values(s, dtype, gen), zeros({}, dtype)); };
    return std::vector<Sample>{
        sample({mask({2, 3}), values({2, 3}, dtype, gen), values({2, 3}, dtype, gen)}, "(2, 3) everywhere"),
        sample({mask({2, 1}), values({1, 3}, dtype, gen), values({}, dtype, gen)}, "broadcast (2, 1), (1, 3), 0-d"),
        sample({mask({3}), values({2, 3}, dtype, gen), values({2, 1}, dtype, gen)}, "broadcast (3,), (2, 3), (2, 1)"),
        sample({mask({0, 3}), values({0, 3}, dtype, gen), values({3}, dtype, gen)}, "empty (0, 3)"),
    };
  };
  where_row.call = [](const std::vector<Tensor>& x, const SampleArgs&) { return where(x[0], x[1], x[2]); };
  rows.push_back(std::move(where_row));
  return rows;
}

}  // namespace tg::test
