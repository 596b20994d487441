// Method forms (x.sum(1), x.exp(), x.reshape(...), x.to(f64), ...): each is
// the function of the same name, with the same values, the same record and
// the gradient flowing the same way; errors quote the caller's line.
#include <doctest/doctest.h>

#include <functional>

#include "../support.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

struct MethodCase {
  const char* name;
  std::function<Tensor(const Tensor&)> method;
  std::function<Tensor(const Tensor&)> function;
};

Tensor other() { return from_vector(std::vector<double>{0.5, 1.5, 2.5, 3.5}, Shape{4}, f64); }

const std::vector<MethodCase>& method_cases() {
  static const std::vector<MethodCase> all = {
      {"sum", [](const Tensor& x) { return x.sum(1); }, [](const Tensor& x) { return sum(x, 1); }},
      {"sum keepdims", [](const Tensor& x) { return x.sum({0, 1}, true); }, [](const Tensor& x) { return sum(x, {0, 1}, true); }},
      {"mean", [](const Tensor& x) { return x.mean(); }, [](const Tensor& x) { return mean(x); }},
      {"max", [](const Tensor& x) { return x.max(-1); }, [](const Tensor& x) { return max(x, -1); }},
      {"min", [](const Tensor& x) { return x.min(0, true); }, [](const Tensor& x) { return min(x, 0, true); }},
      {"logsumexp", [](const Tensor& x) { return x.logsumexp(1); }, [](const Tensor& x) { return logsumexp(x, 1); }},
      {"neg", [](const Tensor& x) { return x.neg(); }, [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return x.exp(); }, [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return x.abs().log(); }, [](const Tensor& x) { return log(abs(x)); }},
      {"sqrt", [](const Tensor& x) { return x.abs().sqrt(); }, [](const Tensor& x) { return sqrt(abs(x)); }},
      {"sin", [](const Tensor& x) { return x.sin(); }, [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return x.cos(); }, [](const Tensor& x) { return cos(x); }},
      {"tanh", [](const Tensor& x) { return x.tanh(); }, [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return x.sigmoid(); }, [](const Tensor& x) { return sigmoid(x); }},
      {"relu", [](const Tensor& x) { return x.relu(); }, [](const Tensor& x) { return relu(x); }},
      {"pow", [](const Tensor& x) { return x.pow(2); }, [](const Tensor& x) { return pow(x, 2.0); }},
      {"pow tensor", [](const Tensor& x) { return x.abs().pow(other()); }, [](const Tensor& x) { return pow(abs(x), other()); }},
      {"clamp", [](const Tensor& x) { return x.clamp(-0.5, 0.5); }, [](const Tensor& x) { return clamp(x, -0.5, 0.5); }},
      {"add", [](const Tensor& x) { return x.add(other()); }, [](const Tensor& x) { return add(x, other()); }},
      {"sub", [](const Tensor& x) { return x.sub(other()); }, [](const Tensor& x) { return sub(x, other()); }},
      {"mul", [](const Tensor& x) { return x.mul(other()); }, [](const Tensor& x) { return mul(x, other()); }},
      {"div", [](const Tensor& x) { return x.div(other()); }, [](const Tensor& x) { return div(x, other()); }},
      {"matmul", [](const Tensor& x) { return x.matmul(other()); }, [](const Tensor& x) { return matmul(x, other()); }},
      {"softmax", [](const Tensor& x) { return x.softmax(); }, [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return x.log_softmax(0); }, [](const Tensor& x) { return log_softmax(x, 0); }},
      {"reshape", [](const Tensor& x) { return x.reshape({4, 3}); }, [](const Tensor& x) { return reshape(x, {4, 3}); }},
      {"view", [](const Tensor& x) { return x.view({2, -1}); }, [](const Tensor& x) { return view(x, {2, -1}); }},
      {"permute", [](const Tensor& x) { return x.permute({1, 0}); }, [](const Tensor& x) { return permute(x, {1, 0}); }},
      {"transpose", [](const Tensor& x) { return x.transpose(); }, [](const Tensor& x) { return transpose(x); }},
      {"t", [](const Tensor& x) { return x.t(); }, [](const Tensor& x) { return t(x); }},
      {"slice", [](const Tensor& x) { return x.slice(1, 0, 4, 2); }, [](const Tensor& x) { return slice(x, 1, 0, 4, 2); }},
      {"narrow", [](const Tensor& x) { return x.narrow(0, 1, 2); }, [](const Tensor& x) { return narrow(x, 0, 1, 2); }},
      {"select", [](const Tensor& x) { return x.select(1, -1); }, [](const Tensor& x) { return select(x, 1, -1); }},
      {"squeeze", [](const Tensor& x) { return x.narrow(0, 0, 1).squeeze(0); }, [](const Tensor& x) { return squeeze(narrow(x, 0, 0, 1), 0); }},
      {"unsqueeze", [](const Tensor& x) { return x.unsqueeze(1); }, [](const Tensor& x) { return unsqueeze(x, 1); }},
      {"flatten", [](const Tensor& x) { return x.flatten(); }, [](const Tensor& x) { return flatten(x); }},
      {"expand", [](const Tensor& x) { return x.unsqueeze(0).expand({2, 3, 4}); }, [](const Tensor& x) { return expand(unsqueeze(x, 0), {2, 3, 4}); }},
      {"broadcast_to", [](const Tensor& x) { return x.broadcast_to({2, 3, 4}); }, [](const Tensor& x) { return broadcast_to(x, {2, 3, 4}); }},
      {"diagonal", [](const Tensor& x) { return x.diagonal(1); }, [](const Tensor& x) { return diagonal(x, 1); }},
      {"to", [](const Tensor& x) { return x.to(f32); }, [](const Tensor& x) { return to_dtype(x, f32); }},
  };
  return all;
}

}  // namespace

TEST_CASE("each method form gives its function's values, record and gradient") {
  Generator gen(2);
  const Tensor base = randn({3, 4}, gen, f64);
  for (const MethodCase& c : method_cases()) {
    INFO(std::string(c.name));
    Tensor a = base.detach().requires_grad_(), b = base.detach().requires_grad_();
    const Tensor by_method = c.method(a), by_function = c.function(b);
    CHECK(by_method.shape() == by_function.shape());
    CHECK(by_method.dtype() == by_function.dtype());
    CHECK(by_method.op_name() == by_function.op_name());
    check_values(by_method, by_function.to_vector<double>());
    sum(to_dtype(by_method, f64) * 1.5).backward();
    sum(to_dtype(by_function, f64) * 1.5).backward();
    check_values(a.grad(), b.grad().to_vector<double>());
  }
}

TEST_CASE("a method's error quotes the caller's line, as the function's does") {
  const Tensor x = zeros({2, 3});
  CHECK_OP_ERROR(ShapeError, x.reshape({4, 2}), "reshape", "(2, 3)", "(4, 2)");
  CHECK_OP_ERROR(ShapeError, x.matmul(zeros({2, 2})), "matmul", "(2, 3)");
  CHECK_OP_ERROR(AxisError, x.sum(2), "sum", "axis 2");
  CHECK_OP_ERROR(ShapeError, x.t().view({6}), "view", "contiguous()");
}
