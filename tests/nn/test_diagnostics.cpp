// Diagnostics: vanishing and exploding gradients, dead ReLUs, saturated
// sigmoid/tanh units, output activations that do not fit the loss, and the
// Diagnostics object with its fit callback.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// 20 Linear(16, 16) layers with `activation` between them. Naive: weights
// drawn from N(0, 1), whatever the fan-in; otherwise He normal. (At this
// width the sigmoid net's first/last gradient ratio is 1e-6 to 1e-4 over 40
// seeds, the ReLU net's 0.4 to 2.1.)
nn::Sequential deep_mlp(const char* activation, bool naive, Generator& gen) {
  nn::Sequential net;
  for (int i = 0; i < 20; ++i) {
    auto layer = std::make_shared<nn::Linear>(16, 16, nn::LinearOptions{.init = "he_normal", .generator = &gen});
    if (naive) nn::init::normal_(layer->weight, 0.0, 1.0, gen);
    net.push_back(layer);
    if (i < 19) net.push_back(nn::activation(activation));
  }
  return net;
}

nn::GradientReport report_after_backward(nn::Sequential& net, Generator& gen) {
  const Tensor x = randn({64, 16}, gen);
  nn::mse_loss(net(x), randn({64, 16}, gen)).backward();
  return nn::gradient_report(net);
}

std::shared_ptr<nn::Linear> linear_at(const nn::Sequential& net, std::size_t i) {
  return std::static_pointer_cast<nn::Linear>(net[i]);
}

bool any_contains(const std::vector<std::string>& texts, const std::string& part) {
  for (const std::string& t : texts)
    if (contains(t, part)) return true;
  return false;
}

}  // namespace

TEST_CASE("a narrow 20-layer sigmoid MLP with N(0, 1) weights is flagged; ReLU with He initialisation is not") {
  Generator gen(7);
  nn::Sequential sigmoid_net = deep_mlp("sigmoid", true, gen);
  const nn::GradientReport bad = report_after_backward(sigmoid_net, gen);
  INFO(bad.str());
  CHECK(bad.layers.size() == 20);
  CHECK(bad.layers.front().name == "0");
  CHECK(bad.layers.back().name == "38");
  CHECK((bad.vanishing || bad.exploding));
  CHECK_FALSE(bad.ok());
  CHECK(any_contains(bad.warnings, bad.vanishing ? "vanishing gradients" : "exploding gradients"));
  check_contains(bad.str(), {"Layer", "Grad norm", "Linear", "warning: "});

  nn::Sequential relu_net = deep_mlp("relu", false, gen);
  const nn::GradientReport good = report_after_backward(relu_net, gen);
  INFO(good.str());
  CHECK_FALSE(good.vanishing);
  CHECK_FALSE(good.exploding);
  CHECK(good.ok());
  CHECK(good.first_last_ratio > 1e-2);
  CHECK(good.first_last_ratio < 1e2);
  for (const nn::LayerGradient& layer : good.layers) {
    CHECK(layer.has_grad);
    CHECK(layer.parameters == 16 * 16 + 16);
    CHECK(layer.weight_norm > 0);
  }
}

TEST_CASE("gradient norms: values, thresholds, no gradient yet, non-finite") {
  nn::Sequential net(nn::Linear(2, 2), nn::Linear(2, 1));
  auto first = linear_at(net, 0), last = linear_at(net, 1);
  tg::test::assign(first->weight, tensor({3, 4, 0, 0}, {2, 2}));
  tg::test::assign(first->bias, tensor({0, 0}));
  CHECK(any_contains(nn::gradient_report(net).warnings, "call backward()"));
  first->weight.set_grad(tensor({6e-4, 0, 0, 8e-4}, {2, 2}));
  first->bias.set_grad(zeros({2}));
  last->weight.set_grad(tensor({0.5, 0}, {1, 2}));
  last->bias.set_grad(tensor({0.0}));
  nn::GradientReport report = nn::gradient_report(net);
  CHECK(report.layers[0].weight_norm == doctest::Approx(5.0));
  CHECK(report.layers[0].grad_norm == doctest::Approx(1e-3));
  CHECK(report.first_last_ratio == doctest::Approx(2e-3));
  CHECK_FALSE(report.vanishing);  // not below the default 1e-3
  report = nn::gradient_report(net, {.vanishing_below = 1e-2});
  CHECK(report.vanishing);
  report = nn::gradient_report(net, {.vanishing_below = 1e-5, .exploding_above = 1e-4});
  CHECK(report.exploding);
  CHECK(any_contains(report.warnings, "exploding gradients"));

  last->weight.set_grad(tensor({std::nan(""), 0}, {1, 2}));
  report = nn::gradient_report(net);
  CHECK(report.non_finite);
  CHECK(report.exploding);
  CHECK(any_contains(report.warnings, "non-finite gradient in layer '1' (Linear)"));
  CHECK(any_contains(report.warnings, "DetectAnomaly"));
}

TEST_CASE("dead units: a ReLU behind a very negative bias is reported dead") {
  CHECK(nn::dead_unit_fraction(tensor({0, 1, 0, 0, 0, 2, 0, 0}, {2, 4})) == doctest::Approx(0.75));
  CHECK(nn::dead_unit_fraction(tensor({0, 0, 3})) == doctest::Approx(2.0 / 3.0));

  Generator gen(3);
  nn::Sequential net(nn::Linear(4, 8, {.generator = &gen}), nn::ReLU(), nn::Linear(8, 1, {.generator = &gen}));
  tg::test::assign(linear_at(net, 0)->bias, full({8}, -100.0));
  nn::Diagnostics diag(net);
  net(randn({16, 4}, gen));
  const auto acts = diag.activations();
  REQUIRE(acts.size() == 1);
  CHECK(acts[0].name == "1");
  CHECK(acts[0].type == "ReLU");
  CHECK(acts[0].units == 8);
  CHECK(acts[0].dead_batch == 1.0);
  CHECK(acts[0].dead_epoch == 1.0);
  CHECK(std::isnan(acts[0].saturated_batch));
  CHECK(diag.dead_relu_fraction() == 1.0);
  CHECK(any_contains(diag.warnings(), "dead units: more than 50.0% of the units of ReLU '1' (100.0% of 8) were 0"));
  check_contains(diag.report(), {"Activations", "ReLU", "100.0%"});

  // Half the units dead: the other half has a large positive bias.
  tg::test::assign(linear_at(net, 0)->bias, tensor({-100, 100, -100, 100, -100, 100, -100, 100}));
  diag.begin_epoch();
  net(randn({16, 4}, gen));
  CHECK(diag.activations()[0].dead_batch == 0.5);
  CHECK(diag.dead_relu_fraction() == 0.5);
  CHECK_FALSE(any_contains(diag.warnings(), "dead units"));  // 50% is not above 50%
}

TEST_CASE("dead over an epoch means dead in every batch; evaluation passes are not counted") {
  nn::Sequential net(nn::Linear(1, 2), nn::ReLU());
  tg::test::assign(linear_at(net, 0)->weight, tensor({1, -1}, {2, 1}));
  tg::test::assign(linear_at(net, 0)->bias, zeros({2}));
  nn::Diagnostics diag(net);
  net(ones({4, 1}));   // unit 0 alive, unit 1 dead
  CHECK(diag.activations()[0].dead_batch == 0.5);
  CHECK(diag.dead_relu_fraction() == 0.5);
  net(-ones({4, 1}));  // unit 1 alive, unit 0 dead
  CHECK(diag.activations()[0].dead_batch == 0.5);
  CHECK(diag.activations()[0].batches == 2);
  CHECK(diag.dead_relu_fraction() == 0.0);  // each was alive in some batch
  diag.begin_epoch();
  net.eval();
  net(ones({4, 1}));
  CHECK(diag.activations()[0].batches == 0);
  CHECK(std::isnan(diag.dead_relu_fraction()));
}

TEST_CASE("saturation of sigmoid and tanh outputs") {
  CHECK(nn::saturated_fraction(tensor({1e-5, 0.5, 0.999, 0.3}), nn::Squashing::sigmoid) == 0.5);
  CHECK(nn::saturated_fraction(tensor({-0.999, 0.0, 0.995, 0.5}), nn::Squashing::tanh) == 0.5);
  CHECK(nn::saturated_fraction(tensor({0.95, 0.0}), nn::Squashing::tanh, 0.1) == 0.5);
  CHECK_ERROR(InvalidArgument, nn::saturated_fraction(tensor({0.5}), nn::Squashing::tanh, 0.0), "epsilon must be in (0, 0.5)");

  Generator gen(5);
  nn::Sequential net(nn::Linear(8, 16, {.generator = &gen}), nn::Sigmoid(), nn::Linear(16, 16, {.generator = &gen}),
                     nn::Tanh());
  tg::test::assign(linear_at(net, 0)->weight, linear_at(net, 0)->weight.detach() * 1000.0);  // saturates the sigmoid
  tg::test::assign(linear_at(net, 2)->weight, linear_at(net, 2)->weight.detach() * 1e-3);   // keeps tanh near 0
  nn::Diagnostics diag(net);
  net(randn({32, 8}, gen));
  const auto acts = diag.activations();
  REQUIRE(acts.size() == 2);
  CHECK(acts[0].type == "Sigmoid");
  CHECK(acts[0].saturated_batch > 0.9);
  CHECK(acts[1].type == "Tanh");
  CHECK(acts[1].saturated_batch == 0.0);
  CHECK(std::isnan(acts[1].dead_batch));
  CHECK(diag.saturation() > 0.45);
  CHECK(diag.saturation() <= 0.5);
  CHECK(any_contains(diag.warnings(), "saturation: more than 50.0% of the outputs of Sigmoid '1' ("));
  CHECK_FALSE(any_contains(diag.warnings(), "Tanh '3'"));
}

TEST_CASE("each activation/loss mismatch warns and says what to use instead") {
  using nn::LossKind;
  auto check = [](nn::Sequential net, LossKind loss, std::initializer_list<std::string> parts) {
    const std::vector<std::string> warnings = nn::check_output_and_loss(net, loss);
    INFO("loss " << std::string(nn::loss_kind_name(loss)));
    REQUIRE(warnings.size() == 1);
    check_contains(warnings[0], parts);
    check_contains(warnings[0], {"; instead, "});
  };
  check(nn::Sequential(nn::Linear(4, 1), nn::Tanh()), LossKind::mse, {"mse_loss after Tanh (module '1')", "(-1, 1)", "Linear layer"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Sigmoid()), LossKind::mse, {"mse_loss after Sigmoid", "(0, 1)", "binary_cross_entropy_with_logits"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Sigmoid()), LossKind::l1, {"l1_loss after Sigmoid"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Tanh()), LossKind::huber, {"huber_loss after Tanh"});
  check(nn::Sequential(nn::Linear(4, 1), nn::ReLU()), LossKind::mse, {"cannot be negative", "Linear layer"});
  check(nn::Sequential(nn::Linear(4, 3), nn::Softmax()), LossKind::mse, {"class probabilities", "cross_entropy on the logits"});
  check(nn::Sequential(nn::Linear(4, 3), nn::Softmax()), LossKind::cross_entropy, {"double softmax", "drop the Softmax and pass the logits"});
  check(nn::Sequential(nn::Linear(4, 3), nn::LogSoftmax()), LossKind::cross_entropy, {"applied twice", "nll_loss"});
  check(nn::Sequential(nn::Linear(4, 3), nn::ReLU()), LossKind::cross_entropy, {"expects logits", "drop the ReLU"});
  check(nn::Sequential(nn::Linear(4, 3)), LossKind::nll, {"nll_loss after Linear", "LogSoftmax", "cross_entropy"});
  check(nn::Sequential(nn::Linear(4, 3), nn::Softmax()), LossKind::nll, {"gives probabilities", "LogSoftmax"});
  check(nn::Sequential(nn::Linear(4, 1)), LossKind::bce, {"expects probabilities", "binary_cross_entropy_with_logits", "Sigmoid"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Softmax()), LossKind::bce, {"a single output is always 1", "Sigmoid"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Sigmoid()), LossKind::bce_with_logits, {"double sigmoid", "drop the Sigmoid"});
  check(nn::Sequential(nn::Linear(4, 1), nn::Tanh()), LossKind::bce_with_logits, {"bounded to (-1, 1)", "drop the Tanh"});
  // Past Dropout and Flatten, and into a nested Sequential.
  check(nn::Sequential(nn::Linear(4, 1), nn::Sigmoid(), nn::Dropout(0.1)), LossKind::mse, {"after Sigmoid (module '1')"});
  check(nn::Sequential(nn::Linear(4, 8), nn::Sequential(nn::Linear(8, 3), nn::Softmax()), nn::Flatten()),
        LossKind::cross_entropy, {"after Softmax (module '1.1')", "double softmax"});
}

TEST_CASE("fitting activation/loss pairs give no warning") {
  using nn::LossKind;
  auto none = [](nn::Sequential net, LossKind loss) {
    INFO("loss " << std::string(nn::loss_kind_name(loss)));
    CHECK(nn::check_output_and_loss(net, loss).empty());
  };
  none(nn::Sequential(nn::Linear(4, 1)), LossKind::mse);
  none(nn::Sequential(nn::Linear(4, 1)), LossKind::l1);
  none(nn::Sequential(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 1)), LossKind::huber);
  none(nn::Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3)), LossKind::cross_entropy);
  none(nn::Sequential(nn::Linear(4, 3), nn::LogSoftmax()), LossKind::nll);
  none(nn::Sequential(nn::Linear(4, 1), nn::Sigmoid()), LossKind::bce);
  none(nn::Sequential(nn::Linear(4, 1)), LossKind::bce_with_logits);
  // A custom module's forward cannot be seen: no guess, no warning.
  none(nn::Sequential(nn::Linear(4, 1), nn::Lambda("Square", [](const Tensor& x) { return x * x; })), LossKind::bce);
}

TEST_CASE("Diagnostics in fit: per-epoch columns in the history, a report, hooks gone with the object") {
  Generator gen(11);
  const Tensor x = randn({64, 2}, gen);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < 64; ++i) labels.push_back(i % 3);
  data::DataLoader train(data::Dataset(x, from_vector(labels, {64})), {.batch_size = 16});
  data::DataLoader validation(data::Dataset(x, from_vector(labels, {64})), {.batch_size = 32});
  nn::Sequential net(nn::Linear(2, 16, {.init = "he_normal", .generator = &gen}), nn::ReLU(),
                     nn::Linear(16, 16, {.generator = &gen}), nn::Tanh(), nn::Linear(16, 3, {.generator = &gen}));
  optim::SGD opt(net.parameters(), {.lr = 0.1});
  auto diag = std::make_unique<nn::Diagnostics>(net);
  const optim::LossFunction loss = [](const Tensor& out, const Tensor& y) { return nn::cross_entropy(out, y); };
  const optim::FitResult result =
      optim::fit(net, loss, opt, train, {.epochs = 2, .validation = &validation, .callbacks = {optim::callback(*diag)}, .verbose = false});

  const optim::History& h = result.history;
  for (const char* metric : {"grad_norm_first", "grad_norm_last", "dead_relu_fraction", "saturation"}) {
    INFO(metric);
    REQUIRE(h.has(metric));
    CHECK(h.values(metric).size() == 2);
    CHECK(std::isfinite(h.last(metric)));
  }
  CHECK(h.last("grad_norm_first") > 0);
  check_contains(h.csv(), {"grad_norm_first", "dead_relu_fraction"});
  CHECK(diag->activations()[0].batches == 4);  // training batches only, not validation
  CHECK(diag->gradients().layers.size() == 3);
  CHECK(diag->grad_norm_first() == doctest::Approx(h.last("grad_norm_first")));
  check_contains(diag->report(), {"Diagnostics of Sequential", "Layers, last batch recorded", "Grad norm",
                                  "Activations", "Dead (epoch)", "Saturated (epoch)", "This epoch: grad_norm_first"});

  // Moved, it keeps watching; destroyed, its hooks are gone.
  nn::Diagnostics moved = std::move(*diag);
  diag.reset();
  net(x);
  CHECK(moved.activations()[0].batches == 5);
  { nn::Diagnostics gone = std::move(moved); }
  CHECK_NOTHROW(net(x));
}
