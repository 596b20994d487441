// Optimizers: the first three updates of every rule and variant against
// numbers worked out from torch.optim's published algorithms (in float64, by
// a separate script, never by this code), convergence on a quadratic and on
// Rosenbrock's function, parameter groups, state()/load_state, no
// allocation per step, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../support.hpp"
#include "count_allocations.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

using Steps = std::vector<std::vector<double>>;
using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <class Opt, class Options>
Make make(Options options) {
  return [options](std::vector<Tensor> params) { return std::make_unique<Opt>(std::move(params), options); };
}

// The fixed problem of the first-steps tests: θ₀ = (1, −2, 0.5) and this
// sequence of gradients g₁, g₂, g₃ (set directly, so that every expected
// number is a short hand computation from the rule).
const Steps kGrads = {{0.1, -0.2, 0.3}, {0.4, 0.0, -0.5}, {-0.3, 0.6, 0.2}};

// θ after each of three steps of the optimizer `make` builds over θ₀.
void check_first_steps(const Make& make_opt, const Steps& expected, Dtype dtype = f64, double f32_eps = 1e-5) {
  Tensor w = tensor({1.0, -2.0, 0.5}, dtype).requires_grad_();
  auto opt = make_opt({w});
  for (std::size_t t = 0; t < 3; ++t) {
    w.set_grad(from_vector(kGrads[t], {3}, dtype));
    opt->step();
    INFO(opt->name() << ", step " << t + 1);
    check_values(w, expected[t], f32_eps);
  }
  CHECK(opt->step_count() == 3);
}

}  // namespace

TEST_CASE("SGD: three steps of plain, momentum, dampening, Nesterov and weight decay, by hand") {
  // θ ← θ − γ·g, γ = 0.1: θ₁ = (1 − 0.01, −2 + 0.02, 0.5 − 0.03).
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1}),
                    {{0.99, -1.98, 0.47}, {0.95, -1.98, 0.52}, {0.98, -2.04, 0.5}});
  // b₁ = g₁, b ← 0.9·b + g; θ ← θ − 0.1·b: b₂ = (0.49, −0.18, −0.23), θ₂ = (0.941, −1.962, 0.493).
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9}),
                    {{0.99, -1.98, 0.47}, {0.941, -1.962, 0.493}, {0.9269, -2.0058, 0.4937}});
  // Dampening τ = 0.5 is not applied at the first step (b₁ = g₁); b₂ = 0.9·b₁ + 0.5·g₂ = (0.29, −0.18, 0.02).
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.5}),
                    {{0.99, -1.98, 0.47}, {0.961, -1.962, 0.468}, {0.9499, -1.9758, 0.4562}});
  // Nesterov: θ ← θ − γ·(g + μ·b): θ₁ = θ₀ − 0.1·1.9·g₁ = (0.981, −1.962, 0.443).
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
                    {{0.981, -1.962, 0.443}, {0.8969, -1.9458, 0.5137}, {0.91421, -2.04522, 0.49433}});
  // Weight decay λ = 0.1: g ← g + λ·θ before the momentum: g₁ = (0.2, −0.4, 0.35).
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1}),
                    {{0.98, -1.96, 0.465}, {0.9122, -1.9044, 0.47885}, {0.872058, -1.895316, 0.4665265}});
}

TEST_CASE("RMSprop: three steps of plain, momentum, centered, and all options together, by hand") {
  // v ← α·v + (1 − α)·g², θ ← θ − γ·g/(√v + ε), α = 0.99, γ = 0.01, ε = 1e-8:
  // θ₁ = θ₀ − 0.01·g₁/(0.1·|g₁| + 1e-8) = (0.9000000999999, ...).
  check_first_steps(make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01}),
                    {{0.9000000999999, -1.900000049999975, 0.40000003333332224},
                     {0.8029573273311483, -1.900000049999975, 0.485863028683019},
                     {0.8619967645868081, -1.994962899880341, 0.45323400151544135}});
  // b ← μ·b + g/(√v + ε), θ ← θ − γ·b, μ = 0.9.
  check_first_steps(make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01, .momentum = 0.9}),
                    {{0.9000000999999, -1.900000049999975, 0.40000003333332224},
                     {0.7129574173310583, -1.8100000949999524, 0.3958630586830091},
                     {0.6036584401847606, -1.8239629853802983, 0.3595107543301496}});
  // Centered: ḡ ← α·ḡ + (1 − α)·g, θ ← θ − γ·g/(√(v − ḡ²) + ε).
  check_first_steps(make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01, .centered = true}),
                    {{0.8994963194840784, -1.899496268979104, 0.3994962521441012},
                     {0.8017345170731733, -1.899496268979104, 0.4854114674258421},
                     {0.8608170345163063, -1.9946538263285807, 0.452782439849695}});
  // α = 0.9, λ = 0.1 (g ← g + λ·θ), μ = 0.5, centered.
  check_first_steps(make<optim::RMSprop>(optim::RMSpropOptions{
                        .lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.5, .centered = true}),
                    {{0.9666666722222212, -1.9666666694444441, 0.46666666984126953},
                     {0.9177305540091607, -1.9340319408323199, 0.4755892980683964},
                     {0.9056686847593285, -1.940136443581852, 0.46670227766058237}});
}

TEST_CASE("Adam and AdamW: three steps, L2 against decoupled weight decay, AMSGrad, by hand") {
  // m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², θ ← θ − γ·m̂/(√v̂ + ε), m̂ = m/(1 − β1ᵗ),
  // v̂ = v/(1 − β2ᵗ); at t = 1, m̂ = g and √v̂ = |g|: θ₁ = θ₀ − 0.1·g₁/(|g₁| + 1e-8).
  check_first_steps(make<optim::Adam>(optim::AdamOptions{.lr = 0.1}),
                    {{0.900000009999999, -1.9000000049999997, 0.4000000033333332},
                     {0.811562363975117, -1.8329941843255584, 0.42935612309812815},
                     {0.7938915337896525, -1.8772389264366045, 0.43008193851623117}});
  // Adam's weight decay is L2, coupled: g ← g + λ·θ enters m and v (λ = 0.1).
  check_first_steps(make<optim::Adam>(optim::AdamOptions{.lr = 0.1, .weight_decay = 0.1}),
                    {{0.9000000049999998, -1.9000000025, 0.40000000285714277},
                     {0.8057889114417277, -1.8075399959294836, 0.41867077084825755},
                     {0.7629990181909688, -1.7996004856842136, 0.4073099786458025}});
  // AdamW decouples it: θ ← θ − γ·λ·θ, then Adam's step with the plain g: θ₁ = 0.99·θ₀ − 0.1·g₁/|g₁|.
  check_first_steps(make<optim::AdamW>(optim::AdamWOptions{.lr = 0.1, .weight_decay = 0.1}),
                    {{0.890000009999999, -1.8800000049999996, 0.3950000033333332},
                     {0.792662363875117, -1.7941941842755584, 0.4204061230647948},
                     {0.7670649100509013, -1.820496984543849, 0.4169278772522499}});
  // AMSGrad divides by max(v) so far; β2 = 0.5 makes v fall (v₂ < v₁ for θ[1], v₃ < v₂ for θ[2]).
  check_first_steps(make<optim::Adam>(optim::AdamOptions{.lr = 0.1, .betas = {0.9, 0.5}, .amsgrad = true}),
                    {{0.900000009999999, -1.9000000049999997, 0.4000000033333332},
                     {0.8222418234797049, -1.841985777802503, 0.427296621629493},
                     {0.805669847978914, -1.8771355870483932, 0.42792574635644526}});
  // AdamW's default weight decay, 1e-2, with AMSGrad.
  check_first_steps(make<optim::AdamW>(optim::AdamWOptions{.lr = 0.1, .betas = {0.9, 0.5}, .amsgrad = true}),
                    {{0.899000009999999, -1.8980000049999997, 0.39950000333333324},
                     {0.8203428234697049, -1.838087777797503, 0.4263971216261597},
                     {0.8029505051454444, -1.8713994992655958, 0.4265998492314858}});
}

TEST_CASE("Adagrad: three steps, plain and with lr decay, weight decay and an initial accumulator, by hand") {
  // s ← s + g², θ ← θ − γ·g/(√s + ε): θ₁ = θ₀ − 0.1·g₁/(|g₁| + 1e-10).
  check_first_steps(make<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1}),
                    {{0.9000000000999999, -1.90000000005, 0.40000000003333336},
                     {0.8029857501089961, -1.90000000005, 0.4857492925898819},
                     {0.8618205906389128, -1.9948683298400514, 0.45330500836899257}});
  // γ̃ = γ/(1 + (t − 1)·0.5), g ← g + 0.1·θ, s₀ = 0.2: θ₁[0] = 1 − 0.1·0.2/√(0.2 + 0.04).
  check_first_steps(make<optim::Adagrad>(optim::AdagradOptions{
                        .lr = 0.1, .lr_decay = 0.5, .weight_decay = 0.1, .initial_accumulator_value = 0.2}),
                    {{0.959175170961947, -1.9333333333444445, 0.43836843656805907},
                     {0.9117477548832575, -1.9128870821840234, 0.4801179610583595},
                     {0.9260961289627788, -1.9400880530707982, 0.4640023505066458}});
}

TEST_CASE("float32 parameters take the same steps, within float32 rounding") {
  check_first_steps(make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
                    {{0.981, -1.962, 0.443}, {0.8969, -1.9458, 0.5137}, {0.91421, -2.04522, 0.49433}}, f32);
  check_first_steps(make<optim::AdamW>(optim::AdamWOptions{.lr = 0.1, .weight_decay = 0.1}),
                    {{0.890000009999999, -1.8800000049999996, 0.3950000033333332},
                     {0.792662363875117, -1.7941941842755584, 0.4204061230647948},
                     {0.7670649100509013, -1.820496984543849, 0.4169278772522499}},
                    f32);
  check_first_steps(make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01, .centered = true}),
                    {{0.8994963194840784, -1.899496268979104, 0.3994962521441012},
                     {0.8017345170731733, -1.899496268979104, 0.4854114674258421},
                     {0.8608170345163063, -1.9946538263285807, 0.452782439849695}},
                    f32);
  check_first_steps(make<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1}),
                    {{0.9000000000999999, -1.90000000005, 0.40000000003333336},
                     {0.8029857501089961, -1.90000000005, 0.4857492925898819},
                     {0.8618205906389128, -1.9948683298400514, 0.45330500836899257}},
                    f32);
}

namespace {

// Minimises `loss` (a function of the parameters, through the tape) for
// `steps` steps of the optimizer `make_opt` builds, and checks that every
// parameter ends within `tolerance` of `minimum`.
void check_minimises(const Make& make_opt, std::vector<Tensor> params,
                     const std::function<Tensor(const std::vector<Tensor>&)>& loss, int steps,
                     const std::vector<double>& minimum, double tolerance) {
  auto opt = make_opt(params);
  for (int t = 0; t < steps; ++t) {
    opt->zero_grad();
    loss(params).backward();
    opt->step();
  }
  std::vector<double> got;
  for (const Tensor& p : params) {
    for (double v : p.to_vector<double>()) got.push_back(v);
  }
  REQUIRE(got.size() == minimum.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(opt->name() << " (" << opt->state().size() << " state entries), " << steps << " steps, element " << i
                     << ": " << got[i] << ", expected " << minimum[i] << " ± " << tolerance);
    CHECK(std::abs(got[i] - minimum[i]) <= tolerance);
  }
}

}  // namespace

TEST_CASE("every optimizer drives a convex quadratic to its minimum") {
  // f(θ) = ½·Σ aᵢ·(θᵢ − cᵢ)², a = (1, 3, 10), minimum at c.
  const Tensor a = tensor({1.0, 3.0, 10.0}, f64), c = tensor({1.0, -2.0, 0.5}, f64);
  const auto quadratic = [&](const std::vector<Tensor>& p) { return 0.5 * sum(a * (p[0] - c) * (p[0] - c)); };
  const std::vector<std::pair<Make, int>> runs = {
      {make<optim::SGD>(optim::SGDOptions{.lr = 0.1}), 300},
      {make<optim::SGD>(optim::SGDOptions{.lr = 0.05, .momentum = 0.9}), 300},
      {make<optim::SGD>(optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true}), 300},
      {make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01}), 500},
      {make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true}), 500},
      {make<optim::Adam>(optim::AdamOptions{.lr = 0.1}), 500},
      {make<optim::Adam>(optim::AdamOptions{.lr = 0.1, .amsgrad = true}), 500},
      {make<optim::AdamW>(optim::AdamWOptions{.lr = 0.1, .weight_decay = 1e-5}), 500},
      {make<optim::Adagrad>(optim::AdagradOptions{.lr = 0.5}), 500},
  };
  for (const auto& [make_opt, steps] : runs) {
    check_minimises(make_opt, {zeros({3}, f64).requires_grad_()}, quadratic, steps, {1.0, -2.0, 0.5}, 1e-4);
  }
}

TEST_CASE("every optimizer drives Rosenbrock's function to its minimum from (-1.2, 1)") {
  // f(x, y) = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1), down a curved valley.
  const auto rosenbrock = [](const std::vector<Tensor>& p) {
    const Tensor &x = p[0], &y = p[1];
    return (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x);
  };
  struct Run {
    Make make_opt;
    int steps;
    double tolerance;
  };
  const std::vector<Run> runs = {
      {make<optim::SGD>(optim::SGDOptions{.lr = 1e-3, .momentum = 0.9}), 3000, 1e-4},
      {make<optim::SGD>(optim::SGDOptions{.lr = 1e-3, .momentum = 0.9, .dampening = 0.1}), 3000, 1e-4},
      {make<optim::SGD>(optim::SGDOptions{.lr = 1e-3, .momentum = 0.9, .nesterov = true}), 3000, 1e-4},
      {make<optim::RMSprop>(optim::RMSpropOptions{.lr = 3e-4, .momentum = 0.9}), 2000, 1e-3},
      {make<optim::RMSprop>(optim::RMSpropOptions{.lr = 1e-3, .momentum = 0.9, .centered = true}), 3000, 1e-3},
      {make<optim::Adam>(optim::AdamOptions{.lr = 0.05}), 3000, 1e-4},
      {make<optim::Adam>(optim::AdamOptions{.lr = 0.1, .amsgrad = true}), 2000, 1e-3},
      {make<optim::AdamW>(optim::AdamWOptions{.lr = 0.05, .weight_decay = 1e-5}), 3000, 1e-3},
      // Adagrad's steps shrink as squares accumulate: the valley takes it longest.
      {make<optim::Adagrad>(optim::AdagradOptions{.lr = 1.5}), 5000, 1e-2},
  };
  for (const Run& run : runs) {
    const Tensor x = scalar(-1.2, f64).requires_grad_(), y = scalar(1.0, f64).requires_grad_();
    check_minimises(run.make_opt, {x, y}, rosenbrock, run.steps, {1.0, 1.0}, run.tolerance);
  }
}

TEST_CASE("parameter groups: per-group options and learning rates take effect") {
  const auto fresh = [] { return tensor({1.0, -2.0, 0.5}, f64).requires_grad_(); };
  Tensor a = fresh(), b = fresh();
  optim::SGD sgd({{.params = {a}, .lr = 0.1}, {.params = {b}}}, {.lr = 0.01, .momentum = 0.9});
  CHECK(sgd.group_count() == 2);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.01);
  CHECK(sgd.options(0).momentum == 0.9);  // not overridden: from the defaults
  CHECK(sgd.params(1).size() == 1);
  CHECK(sgd.params(1)[0].impl() == b.impl());
  // Each group steps as a one-group SGD with its own options.
  Tensor a_ref = fresh(), b_ref = fresh();
  optim::SGD ref_a({a_ref}, {.lr = 0.1, .momentum = 0.9}), ref_b({b_ref}, {.lr = 0.01, .momentum = 0.9});
  for (std::size_t t = 0; t < 3; ++t) {
    for (Tensor p : {a, b, a_ref, b_ref}) p.set_grad(from_vector(kGrads[t], {3}, f64));
    sgd.step();
    ref_a.step();
    ref_b.step();
  }
  CHECK(a.to_vector<double>() == a_ref.to_vector<double>());
  CHECK(b.to_vector<double>() == b_ref.to_vector<double>());
  CHECK(a.to_vector<double>() != b.to_vector<double>());

  // set_lr(group, ·) changes one group, set_lr(·) every group.
  sgd.set_lr(1, 0.5);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.options(1).lr == 0.5);
  sgd.set_lr(0.2);
  CHECK(sgd.lr(0) == 0.2);
  CHECK(sgd.lr(1) == 0.2);

  // Adam groups override betas and amsgrad; a group added later takes the defaults.
  Tensor c = fresh(), d = fresh(), e = fresh();
  optim::Adam adam({{.params = {c}, .betas = std::pair{0.9, 0.5}, .amsgrad = true}, {.params = {d}}}, {.lr = 0.1});
  adam.add_param_group({.params = {e}, .lr = 0.2});
  CHECK(adam.group_count() == 3);
  CHECK(adam.options(0).betas.second == 0.5);
  CHECK(adam.options(1).betas.second == 0.999);
  CHECK(adam.options(2).lr == 0.2);
  for (std::size_t t = 0; t < 3; ++t) {
    for (Tensor p : {c, d}) p.set_grad(from_vector(kGrads[t], {3}, f64));
    adam.step();
  }
  check_values(c, {0.805669847978914, -1.8771355870483932, 0.42792574635644526});  // AMSGrad, β2 = 0.5, above
  check_values(d, {0.7938915337896525, -1.8772389264366045, 0.43008193851623117});  // plain Adam, above
  check_values(e, {1.0, -2.0, 0.5});                                                // no gradient: untouched
}

TEST_CASE("a parameter without a gradient is skipped; zero_grad drops every gradient; step_count counts") {
  Tensor used = tensor({1.0, 2.0}, f64).requires_grad_(), unused = tensor({3.0}, f64).requires_grad_();
  optim::Adam opt({used, unused}, {.lr = 0.1});
  CHECK(opt.step_count() == 0);
  sum(used * used).backward();
  opt.step();
  CHECK(opt.step_count() == 1);
  check_values(unused, {3.0});
  CHECK(used.to_vector<double>() != std::vector<double>{1.0, 2.0});
  // Only the parameter that stepped has state.
  std::vector<std::string> names;
  for (const auto& [name, tensor] : opt.state()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"step", "group0.lr", "group0.param0.step", "group0.param0.exp_avg",
                                          "group0.param0.exp_avg_sq"});
  opt.zero_grad();
  CHECK_FALSE(used.grad().defined());
  CHECK_FALSE(unused.grad().defined());
  opt.step();  // nothing has a gradient: nothing moves, the step still counts
  CHECK(opt.step_count() == 2);
}

TEST_CASE("Adam trains a Linear layer through model.parameters()") {
  Generator gen(5);
  nn::Linear model(3, 1, {.dtype = f64, .generator = &gen});
  optim::Adam opt(model.parameters(), {.lr = 0.05});
  const Tensor x = randn({64, 3}, gen, f64);
  const Tensor y = matmul(x, tensor({1.5, -2.0, 0.5}, {3, 1}, f64)) + 0.25;
  double first = 0, last = 0;
  for (int t = 0; t < 400; ++t) {
    opt.zero_grad();
    const Tensor loss = mean((model(x) - y) * (model(x) - y));
    loss.backward();
    opt.step();
    (t == 0 ? first : last) = loss.item();
  }
  CHECK(last < 1e-4 * first);
  check_values(model.bias, {0.25}, 1e-6, 1e-3);
}

namespace {

// Every optimizer with every kind of state it keeps.
std::vector<Make> all_optimizers() {
  return {
      make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}),
      make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
      make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01, .weight_decay = 0.1, .momentum = 0.5, .centered = true}),
      make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01}),
      make<optim::Adam>(optim::AdamOptions{.lr = 0.1, .weight_decay = 0.1, .amsgrad = true}),
      make<optim::AdamW>(optim::AdamWOptions{.lr = 0.1}),
      make<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.1, .initial_accumulator_value = 0.1}),
  };
}

// Gradient number t of a parameter with n elements: a fixed, varied pattern.
Tensor gradient(std::int64_t n, int t, Dtype dtype = f64) {
  std::vector<double> g(static_cast<std::size_t>(n));
  for (std::size_t j = 0; j < g.size(); ++j) g[j] = std::sin(0.7 * static_cast<double>(j) + 1.3 * t) + 0.1;
  return from_vector(g, {n}, dtype);
}

// Deep copies of a state, so that later steps do not change them.
std::vector<std::pair<std::string, Tensor>> snapshot(const optim::Optimizer& opt) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, t] : opt.state()) out.emplace_back(name, zeros(t.shape(), t.dtype()).copy_(t));
  return out;
}

}  // namespace

TEST_CASE("state() and load_state: a restored optimizer takes the same steps as the original") {
  for (const Make& make_opt : all_optimizers()) {
    // Parameter 1 has no gradient at step 2, so its own step count lags the optimizer's.
    std::vector<Tensor> p = {zeros({4}, f64).requires_grad_(), ones({3}, f64).requires_grad_()};
    auto original = make_opt(p);
    for (int t = 0; t < 3; ++t) {
      p[0].set_grad(gradient(4, t));
      if (t == 1) p[1].zero_grad();
      else p[1].set_grad(gradient(3, t));
      original->step();
    }
    original->set_lr(0, 0.05);
    const auto saved = snapshot(*original);

    std::vector<Tensor> q = {(p[0].detach() + 0.0).requires_grad_(), (p[1].detach() + 0.0).requires_grad_()};
    auto restored = make_opt(q);
    restored->load_state(saved);
    INFO(restored->name());
    CHECK(restored->step_count() == 3);
    CHECK(restored->lr() == 0.05);
    CHECK(restored->state().size() == saved.size());
    for (int t = 3; t < 6; ++t) {
      for (auto* params : {&p, &q}) {
        (*params)[0].set_grad(gradient(4, t));
        (*params)[1].set_grad(gradient(3, t));
      }
      original->step();
      restored->step();
      CHECK(p[0].to_vector<double>() == q[0].to_vector<double>());
      CHECK(p[1].to_vector<double>() == q[1].to_vector<double>());
    }
    // Loading an optimizer's own state (the same tensors) changes nothing.
    original->load_state(original->state());
    for (auto* params : {&p, &q}) (*params)[0].set_grad(gradient(4, 9));
    original->step();
    restored->step();
    CHECK(p[0].to_vector<double>() == q[0].to_vector<double>());
  }
}

TEST_CASE("state() hands out the optimizer's own tensors, named stably") {
  Tensor w = zeros({2, 2}, f64).requires_grad_(), v = zeros({3}, f64).requires_grad_();
  optim::SGD opt({{.params = {w}}, {.params = {v}, .momentum = 0.0}}, {.lr = 0.1, .momentum = 0.9});
  w.set_grad(ones({2, 2}, f64));
  v.set_grad(ones({3}, f64));
  opt.step();
  auto state = opt.state();
  std::vector<std::string> names;
  for (const auto& [name, t] : state) names.push_back(name);
  // Group 1 has no momentum, so its parameter keeps no state.
  CHECK(names == std::vector<std::string>{"step", "group0.lr", "group0.param0.momentum_buffer", "group1.lr"});
  Tensor buffer = state[2].second;
  CHECK(buffer.shape() == Shape{2, 2});
  opt.step();  // b ← 0.9·1 + 1
  check_values(buffer, {1.9, 1.9, 1.9, 1.9});
  state[1].second.copy_(scalar(0.25, f64));  // writing the handle sets the rate
  CHECK(opt.lr(0) == 0.25);
}

TEST_CASE("load_state checks names, ranges, shapes and completeness before changing anything") {
  Tensor w = zeros({3}, f64).requires_grad_();
  optim::Adam opt({w}, {.lr = 0.1});
  w.set_grad(ones({3}, f64));
  opt.step();
  const auto good = snapshot(opt);
  const auto with = [&](std::vector<std::pair<std::string, Tensor>> extra, const std::string& drop = "") {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& entry : good) {
      if (entry.first != drop) out.push_back(entry);
    }
    for (auto& entry : extra) out.push_back(std::move(entry));
    return out;
  };
  opt.set_lr(0.3);
  CHECK_ERROR(InvalidArgument, opt.load_state({}), "Adam::load_state: 'step' is missing");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({}, "group0.lr")), "Adam::load_state: 'group0.lr' is missing");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"group0.param0.momentum_buffer", zeros({3}, f64)}})),
              "unexpected entry 'group0.param0.momentum_buffer'", "Adam keeps step, exp_avg, exp_avg_sq");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"group2.lr", scalar(0.1, f64)}})),
              "'group2.lr' names group 2, but Adam has 1 group(s)");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"group0.param4.exp_avg", zeros({3}, f64)}})),
              "'group0.param4.exp_avg' names parameter 4, but group 0 has 1 parameter(s)");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"momentum", zeros({3}, f64)}})), "unknown entry 'momentum'");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"step", scalar(1, i64)}})), "'step' appears twice");
  CHECK_ERROR(ShapeError, opt.load_state(with({{"group0.param0.exp_avg", zeros({4}, f64)}}, "group0.param0.exp_avg")),
              "'group0.param0.exp_avg' has shape (4,), but its parameter has shape (3,)");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({}, "group0.param0.exp_avg_sq")),
              "'group0.param0.exp_avg_sq' is missing; the parameter's state must be complete");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"group0.lr", scalar(-1, f64)}}, "group0.lr")),
              "'group0.lr' must be one finite learning rate >= 0");
  CHECK_ERROR(InvalidArgument, opt.load_state(with({{"step", scalar(1.5, f64)}}, "step")), "'step' must be one count >= 0");
  CHECK(opt.lr() == 0.3);  // nothing was loaded
  // A state without a parameter's entries resets that parameter: it steps as if for the first time.
  std::vector<std::pair<std::string, Tensor>> bare = {{"step", scalar(0, i64)}, {"group0.lr", scalar(0.1, f64)}};
  opt.load_state(bare);
  CHECK(opt.state().size() == 2);
  const std::vector<double> before = w.to_vector<double>();
  opt.step();  // Adam's first step moves each element by lr·g/|g| = 0.1
  check_values(w, {before[0] - 0.1, before[1] - 0.1, before[2] - 0.1}, 1e-6, 1e-6);
}

TEST_CASE("no allocation per step after the first, for every optimizer and both dtypes") {
  for (const Dtype dtype : {f32, f64}) {
    for (const Make& make_opt : all_optimizers()) {
      std::vector<Tensor> p = {zeros({16, 8}, dtype).requires_grad_(), zeros({8}, dtype).requires_grad_()};
      auto opt = make_opt(p);
      const Tensor g0 = reshape(gradient(128, 0, dtype), {16, 8}), g1 = gradient(8, 1, dtype);
      long first = 0, allocations = 0;
      for (int t = 1; t <= 100; ++t) {
        p[0].set_grad(g0.detach() + 0.0);  // fresh gradients, allocated outside the counted step
        p[1].set_grad(g1.detach() + 0.0);
        const long n = tg::test::allocations_during([&] { opt->step(); });
        (t == 1 ? first : allocations) += n;
      }
      INFO(opt->name() << ", " << dtype_name(dtype));
      CHECK(first > 0);  // the state, made at the first step (and the counter counts)
      CHECK(allocations == 0);
      CHECK(opt->step_count() == 100);
    }
  }
}

TEST_CASE("invalid options name the optimizer and the option") {
  Tensor w = zeros({3}).requires_grad_(), v = zeros({2}).requires_grad_();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.lr = -0.1}), "SGD: lr must be finite and >= 0, got -0.1");
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.lr = inf}), "SGD: lr must be finite and >= 0, got inf");
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.momentum = -0.9}), "SGD: momentum must be finite and >= 0, got -0.9");
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.weight_decay = -1}), "SGD: weight_decay must be finite and >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.nesterov = true}),
              "SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0");
  CHECK_ERROR(InvalidArgument, optim::SGD({w}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
              "SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0.9 and dampening 0.1");
  CHECK_ERROR(InvalidArgument, optim::SGD({{.params = {w}}, {.params = {v}, .momentum = -1}}),
              "SGD: momentum must be finite and >= 0, got -1 (group 1)");
  CHECK_ERROR(InvalidArgument, optim::RMSprop({w}, {.alpha = 1.5}), "RMSprop: alpha must be in [0, 1], got 1.5");
  CHECK_ERROR(InvalidArgument, optim::RMSprop({w}, {.eps = -1e-8}), "RMSprop: eps must be finite and >= 0, got -1e-08");
  CHECK_ERROR(InvalidArgument, optim::RMSprop({w}, {.momentum = -0.5}), "RMSprop: momentum must be finite and >= 0");
  CHECK_ERROR(InvalidArgument, optim::Adam({w}, {.betas = {1.0, 0.999}}), "Adam: betas[0] must be in [0, 1), got 1");
  CHECK_ERROR(InvalidArgument, optim::Adam({w}, {.betas = {0.9, -0.1}}), "Adam: betas[1] must be in [0, 1), got -0.1");
  CHECK_ERROR(InvalidArgument, optim::AdamW({w}, {.weight_decay = -0.01}), "AdamW: weight_decay must be finite and >= 0");
  CHECK_ERROR(InvalidArgument, optim::AdamW({{.params = {w}, .betas = std::pair{0.9, 1.0}}}),
              "AdamW: betas[1] must be in [0, 1), got 1 (group 0)");
  CHECK_ERROR(InvalidArgument, optim::Adagrad({w}, {.lr_decay = -1}), "Adagrad: lr_decay must be finite and >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::Adagrad({w}, {.initial_accumulator_value = -0.1}),
              "Adagrad: initial_accumulator_value must be finite and >= 0, got -0.1");
  optim::Adam opt({w});
  CHECK_ERROR(InvalidArgument, opt.set_lr(-1e-3), "Adam::set_lr: the learning rate must be finite and >= 0, got -0.001");
  CHECK_ERROR(InvalidArgument, opt.set_lr(1, 0.1), "Adam::set_lr: no group 1; the optimizer has 1 group(s)");
  CHECK_ERROR(InvalidArgument, opt.lr(3), "Adam::lr: no group 3");
  CHECK_ERROR(InvalidArgument, opt.params(2), "Adam::params: no group 2");
}

TEST_CASE("parameters an optimizer cannot update are refused by name") {
  Tensor w = zeros({3}).requires_grad_();
  CHECK_ERROR(InvalidArgument, optim::Adam({w * 2.0}),
              "Adam: parameter 0 of group 0 (3,) is the result of 'mul', not a leaf", "model.parameters()");
  CHECK_ERROR(InvalidArgument, optim::SGD({w, zeros({2})}),
              "SGD: parameter 1 of group 0 (2,) does not require grad", "requires_grad_()");
  CHECK_ERROR(InvalidArgument, optim::RMSprop({Tensor()}), "RMSprop: parameter 0 of group 0 is an undefined tensor");
  CHECK_ERROR(InvalidArgument, optim::Adagrad({{.params = {w}}, {.params = {w}}}),
              "Adagrad: parameter 0 of group 1 is the same tensor as parameter 0 of group 0",
              "one group only, once");
  CHECK_ERROR(InvalidArgument, optim::AdamW(std::vector<Tensor>{}), "AdamW: no parameters to optimize");
  // A parameter converted after its state was made (a new shape here) is refused, before anything moves.
  Tensor a = zeros({3}, f64).requires_grad_(), b = zeros({2}, f64).requires_grad_();
  optim::Adam opt({a, b});
  a.set_grad(ones({3}, f64));
  b.set_grad(ones({2}, f64));
  opt.step();
  b.set_data(zeros({4}, f64));
  b.set_grad(ones({4}, f64));
  a.set_grad(ones({3}, f64));
  const std::vector<double> a_before = a.to_vector<double>();
  CHECK_ERROR(ShapeError, opt.step(), "Adam: parameter 1 of group 0 is now (4,) float64 but its state was made for (2,) float64");
  CHECK(a.to_vector<double>() == a_before);
  b.set_data(zeros({2}, f32));
  b.set_grad(ones({2}));
  CHECK_ERROR(DtypeError, opt.step(), "is now (2,) float32 but its state was made for (2,) float64");
  // A gradient that is the parameter's own memory would change under the update.
  Tensor c = ones({3}, f64).requires_grad_();
  optim::SGD sgd({c});
  c.set_grad(c.detach());
  CHECK_ERROR(InvalidArgument, sgd.step(), "SGD: the gradient of parameter 0 of group 0 shares its memory with the parameter");
}
