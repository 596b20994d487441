// Ops with a backward of your own: tg::Function<T> (libtorch's shape) and the
// lambda form tg::custom_op. Four of them, each checked:
// - a straight-through estimator (sign forward, clipped identity backward);
// - a gradient-reversal layer (identity forward, −λ·gradient backward);
// - softsign with a backward in plain loops over the data (once
//   differentiable: a second derivative is refused);
// - log-cosh with a backward in taped ops, whose second derivative is
//   checked against the closed form 1/cosh²(x).
//
//   ./build/examples/custom_function            # full run
//   ./build/examples/custom_function --quick    # what make test runs
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <tapegrad/tapegrad.hpp>

using tg::FunctionCtx;
using tg::Tensor;

namespace {

// The straight-through estimator (Bengio et al. 2013): forward sign(x), a
// step whose derivative is 0 almost everywhere; backward passes the gradient
// through where |x| <= 1, as if the forward were clamp(x, −1, 1).
struct StraightThrough : tg::Function<StraightThrough> {
  static Tensor forward(FunctionCtx& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return tg::sign(x);
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    const Tensor x = ctx.saved()[0];
    return {grads[0] * tg::le(tg::abs(x), tg::scalar(1.0, x.dtype()))};
  }
};

// The gradient-reversal layer (Ganin & Lempitsky 2015): identity forward,
// the gradient times −λ backward. λ is a non-tensor argument kept on the ctx.
struct GradientReversal : tg::Function<GradientReversal> {
  static Tensor forward(FunctionCtx& ctx, const Tensor& x, double lambda) {
    ctx.saved_data["lambda"] = lambda;
    return x;
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    return {grads[0] * -std::any_cast<double>(ctx.saved_data["lambda"])};
  }
};

// softsign(x) = x / (1 + |x|), d/dx = 1 / (1 + |x|)², the backward a plain
// loop over float64 values: not taped, so marked once differentiable.
struct LoopSoftsign : tg::Function<LoopSoftsign> {
  static constexpr bool once_differentiable = true;
  static Tensor forward(FunctionCtx& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x / (tg::abs(x) + 1.0);
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, std::vector<Tensor> grads) {
    const Tensor x = ctx.saved()[0];
    const std::vector<double> xs = x.to_vector<double>();
    std::vector<double> g = grads[0].to_vector<double>();
    for (std::size_t i = 0; i < g.size(); ++i) g[i] /= (1 + std::abs(xs[i])) * (1 + std::abs(xs[i]));
    return {tg::from_vector(g, x.shape(), x.dtype())};
  }
};

// log cosh(x) with backward g·tanh(x) in taped ops: differentiable again.
std::vector<Tensor> log_cosh(const Tensor& x) {
  return tg::custom_op(
      "log_cosh", {x},
      [](FunctionCtx& ctx, const std::vector<Tensor>& in) {
        ctx.save_for_backward({in[0]});
        return std::vector<Tensor>{tg::log((tg::exp(in[0]) + tg::exp(-in[0])) * 0.5)};
      },
      [](FunctionCtx& ctx, std::vector<Tensor> grads) {
        return std::vector<Tensor>{grads[0] * tg::tanh(ctx.saved()[0])};
      });
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto u = a.to_vector<double>(), v = b.to_vector<double>();
  double worst = 0;
  for (std::size_t i = 0; i < u.size(); ++i) worst = std::max(worst, std::abs(u[i] - v[i]));
  return worst;
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

bool report(const char* what, bool ok, const std::string& detail) {
  std::printf("%-62s %s  %s\n", what, ok ? "ok  " : "FAIL", detail.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::uint64_t seed = 1;
  CLI::App app("Custom autograd functions: four ops with their own backward, each checked.");
  app.add_flag("--quick", quick, "smaller inputs");
  app.add_option("--seed", seed, "seed of the inputs");
  CLI11_PARSE(app, argc, argv);
  tg::Generator gen(seed);
  const std::int64_t n = quick ? 6 : 64;
  // Points away from the kinks (0 for sign and |x|, ±1 for the clip), where
  // central differences are exact enough.
  Tensor x = tg::randn({n}, gen, tg::f64) * 2.0;
  x = x + tg::sign(x) * 0.05;
  const Tensor w = tg::randn({n}, gen, tg::f64);
  bool all = true;

  // 1. STE: its gradient is, by design, not its forward's (0); it is the
  //    gradient of the function it stands in for, clamp(x, −1, 1), which
  //    gradcheck verifies against central differences.
  {
    Tensor a = x.detach();
    a.requires_grad_();
    const Tensor through = tg::grad(tg::sum(StraightThrough::apply(a) * w), a);
    const Tensor stand_in = tg::grad(tg::sum(tg::clamp(a, -1, 1) * w), a);
    const auto check = tg::gradcheck([&](Tensor& v) { return tg::sum(tg::clamp(v, -1, 1) * w); }, {x});
    all &= report("straight-through: gradient == clamp's, clamp gradchecked", check.ok() && max_abs_diff(through, stand_in) == 0,
                  "max |difference| " + sci(max_abs_diff(through, stand_in)));
  }
  // 2. Gradient reversal: −λ times the gradient of the identity it is in
  //    value; the rest of the model around it is gradchecked.
  {
    const double lambda = 0.7;
    Tensor a = x.detach();
    a.requires_grad_();
    auto model = [&](const Tensor& v, bool reversed) {
      const Tensor h = tg::tanh(v * 0.5);
      return tg::sum(tg::sin(reversed ? GradientReversal::apply(h, lambda) : h) * w);
    };
    const Tensor reversed = tg::grad(model(a, true), a);
    const Tensor plain = tg::grad(model(a, false), a);
    const auto check = tg::gradcheck([&](Tensor& v) { return model(v, false); }, {x});
    const double diff = max_abs_diff(reversed, plain * -lambda);
    all &= report("gradient reversal: gradient == -0.7 x the plain model's", check.ok() && diff < 1e-15,
                  "max |difference| " + sci(diff));
  }
  // 3. A backward in plain loops, gradchecked; its second derivative refused.
  {
    const auto check = tg::gradcheck([&](Tensor& v) { return tg::sum(LoopSoftsign::apply(v) * w); }, {x});
    all &= report("softsign, backward in plain loops: gradcheck", check.ok(), "");
    Tensor a = x.detach();
    a.requires_grad_();
    const Tensor d1 = tg::grad(tg::sum(LoopSoftsign::apply(a)), a, {.create_graph = true});
    std::string refusal;
    try {
      (void)tg::grad(tg::sum(d1), a);
    } catch (const tg::GraphError& e) {
      refusal = e.what();
    }
    all &= report("softsign: a second derivative is refused", refusal.find("once_differentiable") != std::string::npos, "");
    if (!quick) std::cout << "  " << refusal << "\n";
  }
  // 4. A backward in taped ops: gradcheck, and d²/dx² log cosh x = 1/cosh²x.
  {
    const auto check = tg::gradcheck([&](Tensor& v) { return tg::sum(log_cosh(v)[0] * w); }, {x});
    Tensor a = x.detach();
    a.requires_grad_();
    const Tensor d1 = tg::grad(tg::sum(log_cosh(a)[0]), a, {.create_graph = true});
    const Tensor d2 = tg::grad(tg::sum(d1), a);
    const Tensor cosh = (tg::exp(x) + tg::exp(-x)) * 0.5;
    const Tensor closed = 1.0 / (cosh * cosh);
    const double diff = max_abs_diff(d2, closed);
    all &= report("log_cosh: gradcheck, second derivative == 1/cosh^2", check.ok() && diff < 1e-12,
                  "max |difference| " + sci(diff));
  }
  std::printf("%s\n", all ? "all checks passed" : "some checks FAILED");
  return all ? 0 : 1;
}
