// Custom autograd functions: tg::Function<T> and tg::custom_op (Note [Custom
// functions] in autodiff/function.cpp).
#include "../support.hpp"

#include <any>
#include <cmath>
#include <vector>

using namespace tg;
using tg::test::check_contains;
using tg::test::contains;
using tg::test::thrown;

namespace {

// y = x³ in taped ops: its backward differentiates again.
struct Cube : Function<Cube> {
  static Tensor forward(FunctionCtx& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x * x;
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    const Tensor x = ctx.saved()[0];
    return {grads[0] * 3.0 * x * x};
  }
};

// Several tensor inputs, a non-tensor argument, state on the ctx, two outputs.
struct ScaledPair : Function<ScaledPair> {
  static constexpr const char* name = "ScaledPair";
  static std::vector<Tensor> forward(FunctionCtx& ctx, const Tensor& a, double k, const Tensor& b) {
    ctx.save_for_backward({a, b});
    ctx.saved_data["k"] = k;
    ctx.saved_data["needs"] = std::vector<bool>{ctx.needs_input_grad(0), ctx.needs_input_grad(1)};
    return {a * b * k, a + b};
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    const auto saved = ctx.saved();
    const double k = std::any_cast<double>(ctx.saved_data["k"]);
    Tensor ga, gb;
    if (ctx.needs_input_grad(0)) ga = grads[0] * saved[1] * k + grads[1];
    if (ctx.needs_input_grad(1)) gb = grads[0] * saved[0] * k + grads[1];
    return {ga, gb};
  }
};

// An integer output marked non-differentiable next to a float one.
struct MaxWithIndex : Function<MaxWithIndex> {
  static std::vector<Tensor> forward(FunctionCtx& ctx, const Tensor& x) {
    const auto v = x.to_vector<double>();
    std::int64_t at = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i] > v[static_cast<std::size_t>(at)]) at = static_cast<std::int64_t>(i);
    Tensor index = from_vector(std::vector<std::int64_t>{at}, {1});
    Tensor mask = zeros(x.shape(), x.dtype());
    mask.mutable_data<double>()[at] = 1.0;
    ctx.mark_non_differentiable({mask});
    ctx.save_for_backward({mask});
    return {scalar(v[static_cast<std::size_t>(at)], x.dtype()), index, mask};
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    CHECK_FALSE(grads[1].defined());
    CHECK_FALSE(grads[2].defined());
    return {grads[0] * ctx.saved()[0]};
  }
};

// A backward in plain loops: once differentiable.
struct Square : Function<Square> {
  static constexpr bool once_differentiable = true;
  static Tensor forward(FunctionCtx& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x;
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    const Tensor x = ctx.saved()[0];
    std::vector<double> g = grads[0].to_vector<double>();
    const std::vector<double> xs = x.to_vector<double>();
    for (std::size_t i = 0; i < g.size(); ++i) g[i] *= 2 * xs[i];
    return {from_vector(g, x.shape(), x.dtype())};
  }
};

struct WrongCount : Function<WrongCount> {
  static Tensor forward(FunctionCtx&, const Tensor& x) { return x * 2.0; }
  static std::vector<Tensor> backward(FunctionCtx&, std::vector<Tensor> grads) { return {grads[0], grads[0]}; }
};

}  // namespace

TEST_CASE("Function<T>: forward records one op; backward gives the gradient and gradchecks") {
  Tensor x = tensor({0.5, -1.5, 2.0}, f64).requires_grad_();
  Tensor y = Cube::apply(x);
  CHECK(y.op_name() == "Cube");
  sum(y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.75, 6.75, 12.0});
  CHECK_GRADCHECK(gradcheck([](Tensor& a) { return sum(Cube::apply(a)); }, {tensor({0.3, -0.7}, f64)}));
}

TEST_CASE("a backward in taped ops differentiates again: d²(x³)/dx² = 6x") {
  Tensor x = tensor({0.5, -1.5}, f64).requires_grad_();
  const Tensor d1 = grad(sum(Cube::apply(x)), x, {.create_graph = true});
  const Tensor d2 = grad(sum(d1), x);
  CHECK(d2.to_vector<double>() == std::vector<double>{3.0, -9.0});
}

TEST_CASE("several inputs and outputs, a non-tensor argument, needs_input_grad, saved_data") {
  Tensor a = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor b = tensor({3.0, 4.0}, f64);  // needs no gradient
  auto out = ScaledPair::apply(a, 2.0, b);
  REQUIRE(out.size() == 2);
  CHECK(out[0].op_name() == "ScaledPair[0]");
  sum(out[0] + out[1] * 10.0).backward();
  // d/da (2ab + 10(a + b)) = 2b + 10
  CHECK(a.grad().to_vector<double>() == std::vector<double>{16.0, 18.0});
  // Only one output used: the other's gradient is zeros.
  Tensor a2 = tensor({1.0, 2.0}, f64).requires_grad_();
  sum(ScaledPair::apply(a2, 3.0, b)[1]).backward();
  CHECK(a2.grad().to_vector<double>() == std::vector<double>{1.0, 1.0});
  CHECK_GRADCHECK(gradcheck([](Tensor& p, Tensor& q) {
    auto o = ScaledPair::apply(p, 0.5, q);
    return sum(o[0] * o[1]);
  }, {tensor({0.3, -0.7}, f64), tensor({1.1, 0.4}, f64)}));
}

TEST_CASE("non-differentiable outputs: no record, an undefined gradient in backward") {
  Tensor x = tensor({1.0, 5.0, 3.0}, f64).requires_grad_();
  auto out = MaxWithIndex::apply(x);
  CHECK(out[0].requires_grad());
  CHECK_FALSE(out[1].requires_grad());
  CHECK_FALSE(out[2].requires_grad());
  CHECK(out[1].item() == 1.0);
  out[0].backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 1.0, 0.0});
}

TEST_CASE("nothing requires grad: forward runs, nothing is recorded") {
  const Tensor y = Cube::apply(tensor({2.0}, f64));
  CHECK(y.item() == 8.0);
  CHECK_FALSE(y.requires_grad());
}

TEST_CASE("once_differentiable: first derivatives work, a second is refused clearly") {
  Tensor x = tensor({1.0, -2.0}, f64).requires_grad_();
  sum(Square::apply(x)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, -4.0});
  const Tensor d1 = grad(sum(Square::apply(x)), x, {.create_graph = true});
  CHECK(d1.to_vector<double>() == std::vector<double>{2.0, -4.0});
  const std::string m = thrown<GraphError>([&] { (void)grad(sum(d1), x); });
  check_contains(m, {"'Square'", "once_differentiable", "cannot be differentiated again", "test_function.cpp"});
}

TEST_CASE("a saved tensor changed after forward: the error names the function and the line") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = sum(Cube::apply(x)); const int line = __LINE__;
  x.mutable_data<double>()[0] = 3.0;
  const std::string m = thrown<GraphError>([&] { y.backward(); });
  check_contains(m, {"'Cube'", "modified in place", "test_function.cpp:" + std::to_string(line)});
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor z = sum(Cube::apply(w));
  w.set_data(tensor({5.0, 6.0}, f64));
  check_contains(thrown<GraphError>([&] { z.backward(); }), {"'Cube'", "set_data()"});
}

TEST_CASE("a backward returning the wrong number of gradients") {
  Tensor x = tensor({1.0}, f64).requires_grad_();
  Tensor y = WrongCount::apply(x);
  check_contains(thrown<GraphError>([&] { y.backward(); }),
                 {"'WrongCount'", "returned 2 gradients for its 1 tensor inputs", "test_function.cpp"});
}

TEST_CASE("custom functions in to_dot, tape_report and DetectAnomaly") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = sum(Cube::apply(x));
  CHECK(contains(to_dot(y), "Cube"));
  const TapeReport report = tape_report(y);
  CHECK(report.saved_tensors == 1);
  bool listed = false;
  for (const auto& op : report.ops) listed = listed || op.op == "Cube";
  CHECK(listed);
  DetectAnomaly on;
  Tensor z = tensor({-1.0}, f64).requires_grad_();
  auto nan_backward = custom_op("NanGrad", {z}, [](FunctionCtx&, const std::vector<Tensor>& in) {
    return std::vector<Tensor>{in[0] * 1.0};
  }, [](FunctionCtx&, std::vector<Tensor> g) { return std::vector<Tensor>{log(g[0] * -1.0)}; });
  const std::string m = thrown<AnomalyError>([&] { nan_backward[0].backward(ones({1}, f64)); });
  check_contains(m, {"NanGrad"});
}

TEST_CASE("custom_op: the lambda form, a straight-through estimator") {
  Tensor x = tensor({0.4, -1.6, 2.2}, f64).requires_grad_();
  auto y = custom_op("ste_sign", {x},
      [](FunctionCtx&, const std::vector<Tensor>& in) { return std::vector<Tensor>{sign(in[0])}; },
      [](FunctionCtx&, std::vector<Tensor> g) { return g; });
  CHECK(y[0].to_vector<double>() == std::vector<double>{1.0, -1.0, 1.0});
  CHECK(y[0].op_name() == "ste_sign");
  sum(y[0] * tensor({1.0, 2.0, 3.0}, f64)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1.0, 2.0, 3.0});
  CHECK_THROWS_WITH_AS(custom_op("empty", {Tensor()}, {}, {}), doctest::Contains("custom function 'empty': tensor input 0 is undefined"), InvalidArgument);
}
