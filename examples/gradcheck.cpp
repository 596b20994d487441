// Verifying gradients numerically: of a function you wrote (tg::gradcheck),
// of every parameter of a model (nn::gradcheck), and what a failure looks
// like when an op's hand-written derivative is wrong.
//
//   ./build/examples/gradcheck            # full run
//   ./build/examples/gradcheck --quick    # what make test runs
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <iostream>
#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
using tg::Tensor;

namespace {

// A user function of two tensors: the log-cosh loss, smooth like MSE near 0
// and like MAE far from it. cosh(d) = (eᵈ + e⁻ᵈ)/2.
Tensor log_cosh_loss(const Tensor& pred, const Tensor& target) {
  const Tensor d = pred - target;
  return tg::mean(tg::log((tg::exp(d) + tg::exp(-d)) * 0.5));
}

// An elementwise op with a hand-written derivative: the value is f(x), the
// gradient the tape propagates is dfdx(x) · (incoming gradient), whatever
// dfdx says. tapegrad has no public API for user-defined primitives (its
// ops are compositions of taped primitives, differentiated for you), so this
// builds one with detach(): in  y = f(x)ᵈ + x·sᵈ − (x·sᵈ)ᵈ  (ᵈ: detached,
// s = dfdx(x)) the last two terms cancel in value, and only x·sᵈ is on the
// tape, with derivative s. To gradcheck, it is exactly a custom op with its
// own VJP, right or wrong.
Tensor elementwise_op(const Tensor& x, const std::function<Tensor(const Tensor&)>& f,
                      const std::function<Tensor(const Tensor&)>& dfdx) {
  const Tensor slope = dfdx(x).detach();
  const Tensor linear = x * slope;
  return f(x).detach() + (linear - linear.detach());
}

// Softsign, x / (1 + |x|), with its derivative 1 / (1 + |x|)² ...
Tensor softsign(const Tensor& x) { return x / (tg::abs(x) + 1.0); }
Tensor softsign_right(const Tensor& x) {
  return elementwise_op(x, softsign, [](const Tensor& v) { return 1.0 / tg::pow(tg::abs(v) + 1.0, 2); });
}
// ... and with a classic slip: the square forgotten.
Tensor softsign_wrong(const Tensor& x) {
  return elementwise_op(x, softsign, [](const Tensor& v) { return 1.0 / (tg::abs(v) + 1.0); });
}

// A model whose hidden activation is `activation`: Linear -> activation -> Linear.
nn::Sequential make_model(std::int64_t in, std::int64_t hidden, std::int64_t out, nn::Lambda::Function activation,
                          tg::Generator& gen) {
  return nn::Sequential(nn::Linear(in, hidden, {.generator = &gen}), nn::Lambda("Softsign", std::move(activation)),
                        nn::Linear(hidden, out, {.generator = &gen}));
}

double worst_rel_error(const tg::GradcheckReport& report) {
  double worst = 0;
  for (const tg::GradcheckEntry& e : report.entries) worst = std::max(worst, e.rel_error);
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::uint64_t seed = 0;
  CLI::App app("Checks gradients against central differences, and shows what a wrong one looks like.");
  app.add_flag("--quick", quick, "a smaller model and batch");
  app.add_option("--seed", seed, "seed of the inputs and the initialisation");
  CLI11_PARSE(app, argc, argv);

  tg::Generator gen(seed);
  const std::int64_t batch = quick ? 4 : 16, in = 3, hidden = quick ? 4 : 16, out = 2;
  struct Row {
    std::string check;
    tg::GradcheckReport report;
    bool should_pass;
  };
  std::vector<Row> rows;
  auto show = [&](std::string title, tg::GradcheckReport report, bool should_pass) {
    std::cout << "\n" << title << (should_pass ? "" : "  (wrong on purpose)") << ":\n" << report;
    rows.push_back({std::move(title), std::move(report), should_pass});
  };

  // 1. A function of tensors: gradcheck converts the inputs to float64
  //    leaves and compares the tape's gradient with (f(x+ε) − f(x−ε)) / 2ε.
  const Tensor pred = tg::randn({batch, out}, gen), target = tg::randn({batch, out}, gen);
  show("log-cosh loss, a user function of two tensors",
       tg::gradcheck([](Tensor& p, Tensor& t) { return log_cosh_loss(p, t); }, {pred, target}, {},
                     {"pred", "target"}),
       true);

  // 2. A whole model: every parameter, in float64 (nn::gradcheck converts the
  //    model and back); the loss must feed it float64 inputs.
  const Tensor x64 = tg::randn({batch, in}, gen, tg::f64), y64 = tg::randn({batch, out}, gen, tg::f64);
  nn::Sequential model = make_model(in, hidden, out, softsign, gen);
  show("a " + std::to_string(in) + "-" + std::to_string(hidden) + "-" + std::to_string(out) +
           " softsign model, every parameter",
       nn::gradcheck(model, [&] { return nn::mse_loss(model(x64), y64); }), true);

  // 3. An op with a hand-written derivative, right and wrong.
  const Tensor z = tg::randn({batch, hidden}, gen);
  show("softsign op, derivative 1/(1+|x|)^2",
       tg::gradcheck([](Tensor& v) { return softsign_right(v); }, {z}), true);
  show("softsign op, derivative 1/(1+|x|)",
       tg::gradcheck([](Tensor& v) { return softsign_wrong(v); }, {z}), false);

  // 4. The wrong op inside a model: parameters after it (2.weight, 2.bias)
  //    still pass, those before it (0.weight, 0.bias) fail. That is how a
  //    model-wide check points at the culprit.
  nn::Sequential broken = make_model(in, hidden, out, softsign_wrong, gen);
  show("the same model with the wrong softsign",
       nn::gradcheck(broken, [&] { return nn::mse_loss(broken(x64), y64); }), false);

  bool lesson = true;
  std::printf("\n%-48s %7s %8s %14s\n", "check", "inputs", "result", "worst rel err");
  for (const Row& r : rows) {
    const bool as_expected = r.report.ok() == r.should_pass;
    lesson = lesson && as_expected;
    std::printf("%-48s %7zu %8s %14.2e%s\n", r.check.c_str(), r.report.entries.size(),
                r.report.ok() ? "passed" : "FAILED", worst_rel_error(r.report),
                as_expected ? (r.should_pass ? "" : "  (as intended)") : "  <- UNEXPECTED");
  }
  return lesson ? 0 : 1;
}
