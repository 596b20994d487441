// BatchNorm1d, BatchNorm2d and LayerNorm: values against hand computation,
// the running statistics against PyTorch's update rule, the train/eval
// switch, float64 gradchecks through the batch statistics (training mode)
// and through upstream layers, buffers and dtype, and every error.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;
using tg::test::check_values;
using tg::test::contains;
using tg::test::thrown;

namespace {

constexpr double kEps = 1e-5;  // the layers' default eps
constexpr double kTol = 1e-12;  // float64 results of a few dozen roundings

// x (N, C, ...) grouped by channel: values[c] holds every value of channel c.
std::vector<std::vector<double>> by_channel(const Tensor& x) {
  const std::vector<double> v = x.to_vector<double>();
  const std::int64_t n = x.size(0), c = x.size(1), inner = x.numel() / (n * c);
  std::vector<std::vector<double>> out(static_cast<std::size_t>(c));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < inner; ++j) out[ch].push_back(v[static_cast<std::size_t>((i * c + ch) * inner + j)]);
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Σ(v − mean)² / (n − ddof).
double var_of(const std::vector<double>& v, int ddof) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(static_cast<std::int64_t>(v.size()) - ddof);
}

// y = (x − mean[c]) / sqrt(var[c] + eps) · w[c] + b[c], element by element
// for x (N, C, ...).
std::vector<double> normalized(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& var,
                               const std::vector<double>& w, const std::vector<double>& b) {
  const std::vector<double> v = x.to_vector<double>();
  const std::int64_t c = x.size(1), inner = x.numel() / (x.size(0) * c);
  std::vector<double> y(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto ch = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % c);
    y[i] = (v[i] - mean[ch]) / std::sqrt(var[ch] + kEps) * w[ch] + b[ch];
  }
  return y;
}

// A conv2d with its own weight and bias, then BatchNorm2d and tanh: the
// upstream parameters of a BatchNorm2d for gradcheck.
struct ConvBlock : nn::Module {
  Tensor weight, bias;
  std::shared_ptr<nn::BatchNorm2d> bn;
  explicit ConvBlock(Generator& gen) : Module("ConvBlock") {
    weight = register_parameter("weight", randn({3, 2, 3, 3}, gen) * 0.3);
    bias = register_parameter("bias", randn({3}, gen));
    bn = register_module("bn", nn::BatchNorm2d(3));
  }
  Tensor forward(const Tensor& x) override { return tanh((*bn)(conv2d(x, weight, bias, {.padding = 1}))); }
};

}  // namespace

TEST_CASE("BatchNorm1d in training: (x − batch mean) / sqrt(biased batch var + eps), then weight and bias") {
  nn::BatchNorm1d bn(2, {.dtype = f64});
  const Tensor x = tensor({1, 2, 3, 6, 5, 10}, {3, 2}, f64);
  // Channel 0: mean 3, biased var 8/3; channel 1: mean 6, var 32/3.
  check_values(bn(x), normalized(x, {3, 6}, {8.0 / 3, 32.0 / 3}, {1, 1}, {0, 0}), 0, kTol);
  tg::test::assign(bn.weight, tensor({2, -1}, f64));
  tg::test::assign(bn.bias, tensor({0.5, 1}, f64));
  const Tensor y = bn(x);
  CHECK(y.shape() == x.shape());
  check_values(y, normalized(x, {3, 6}, {8.0 / 3, 32.0 / 3}, {2, -1}, {0.5, 1}), 0, kTol);
}

TEST_CASE("BatchNorm1d on (N, C, L) and BatchNorm2d on (N, C, H, W): mean 0 and variance ~1 per channel") {
  Generator gen(3);
  nn::BatchNorm1d bn1(3, {.dtype = f64});
  nn::BatchNorm2d bn2(3, {.dtype = f64});
  const Tensor x1 = randn({4, 3, 5}, gen, f64) * 3.0 + 2.0;
  const Tensor x2 = randn({2, 3, 4, 5}, gen, f64) * 0.5 - 7.0;
  for (auto [bn, x] : {std::pair<nn::BatchNorm*, Tensor>{&bn1, x1}, {&bn2, x2}}) {
    const Tensor y = (*bn)(x);
    CHECK(y.shape() == x.shape());
    const auto xs = by_channel(x), ys = by_channel(y);
    for (std::size_t c = 0; c < ys.size(); ++c) {
      CHECK(mean_of(ys[c]) == doctest::Approx(0).epsilon(1e-12).scale(1));
      // var(y) = var(x) / (var(x) + eps): 1 up to eps.
      const double vx = var_of(xs[c], 0);
      CHECK(var_of(ys[c], 0) == doctest::Approx(vx / (vx + kEps)).epsilon(1e-12));
    }
    check_values(y, normalized(x, {mean_of(xs[0]), mean_of(xs[1]), mean_of(xs[2])},
                               {var_of(xs[0], 0), var_of(xs[1], 0), var_of(xs[2], 0)}, {1, 1, 1}, {0, 0, 0}),
                 0, kTol);
  }
  // float32 too.
  nn::BatchNorm2d bn32(3);
  const Tensor y32 = bn32(to_dtype(x2, f32));
  CHECK(y32.dtype() == f32);
  for (const auto& channel : by_channel(y32)) CHECK(std::abs(mean_of(channel)) < 1e-5);
}

TEST_CASE("running statistics after k steps: running = (1 − m)·running + m·batch, unbiased variance") {
  Generator gen(5);
  for (const bool three_d : {false, true}) {
    CAPTURE(three_d);
    nn::BatchNorm1d bn(2, {.momentum = 0.25, .dtype = f64});
    std::vector<double> mean{0, 0}, var{1, 1};
    for (int step = 0; step < 4; ++step) {
      const Tensor x = three_d ? randn({3, 2, 4}, gen, f64) * 2.0 + 1.0 : randn({5, 2}, gen, f64) * 2.0 + 1.0;
      (void)bn(x);
      const auto xs = by_channel(x);
      for (std::size_t c = 0; c < 2; ++c) {
        mean[c] = 0.75 * mean[c] + 0.25 * mean_of(xs[c]);
        var[c] = 0.75 * var[c] + 0.25 * var_of(xs[c], 1);
      }
    }
    check_values(bn.running_mean, mean, 0, kTol);
    check_values(bn.running_var, var, 0, kTol);
    CHECK(bn.num_batches_tracked.dtype() == i64);
    CHECK(bn.num_batches_tracked.item() == 4);
    CHECK_FALSE(bn.running_mean.requires_grad());
  }
  // Default momentum 0.1, from the initial (0, 1): one step moves a tenth.
  nn::BatchNorm2d bn2(1, {.dtype = f64});
  const Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {2, 1, 2, 2}, f64);
  (void)bn2(x);
  check_values(bn2.running_mean, {0.1 * 4.5}, 0, kTol);
  check_values(bn2.running_var, {0.9 + 0.1 * 6.0}, 0, kTol);  // unbiased var of 1..8 = 6
}

TEST_CASE("momentum unset: the running statistics are the plain average over every batch") {
  Generator gen(6);
  nn::BatchNorm1d bn(2, {.momentum = std::nullopt, .dtype = f64});
  std::vector<double> mean{0, 0}, var{0, 0};
  for (int step = 0; step < 3; ++step) {
    const Tensor x = randn({4, 2}, gen, f64);
    (void)bn(x);
    const auto xs = by_channel(x);
    for (std::size_t c = 0; c < 2; ++c) {
      mean[c] += mean_of(xs[c]) / 3;
      var[c] += var_of(xs[c], 1) / 3;
    }
  }
  check_values(bn.running_mean, mean, 0, kTol);
  check_values(bn.running_var, var, 0, kTol);
  CHECK(contains(bn.describe(), "momentum = cumulative"));
}

TEST_CASE("evaluation mode normalises with the running statistics and leaves them alone; train() switches back") {
  nn::BatchNorm1d bn(2, {.dtype = f64});
  tg::test::assign(bn.running_mean, tensor({1, -2}, f64));
  tg::test::assign(bn.running_var, tensor({4, 0.25}, f64));
  tg::test::assign(bn.weight, tensor({3, 1}, f64));
  tg::test::assign(bn.bias, tensor({0, -1}, f64));
  const Tensor x = tensor({1, 2, 3, 6, 5, 10}, {3, 2}, f64);
  bn.eval();
  CHECK_FALSE(bn.is_training());
  const Tensor y = bn(x);
  check_values(y, normalized(x, {1, -2}, {4, 0.25}, {3, 1}, {0, -1}), 0, kTol);
  check_values(bn.running_mean, {1, -2});
  check_values(bn.running_var, {4, 0.25});
  CHECK(bn.num_batches_tracked.item() == 0);
  // One sample is fine in evaluation mode.
  check_values(bn(tensor({1, -2}, {1, 2}, f64)), {0, -1}, 0, kTol);
  // Gradients still reach weight and bias.
  sum(y).backward();
  check_values(bn.bias.grad(), {3, 3});
  bn.train();
  check_values(bn(x), normalized(x, {3, 6}, {8.0 / 3, 32.0 / 3}, {3, 1}, {0, -1}), 0, kTol);
  CHECK(bn.num_batches_tracked.item() == 1);
  // eval() on a parent reaches the layer.
  auto shared = std::make_shared<nn::BatchNorm1d>(2);
  nn::Sequential model(nn::Linear(3, 2), shared);
  model.eval();
  CHECK_FALSE(shared->is_training());
}

TEST_CASE("without running statistics evaluation uses the batch's; without affine there are no parameters") {
  nn::BatchNorm1d bn(2, {.affine = false, .track_running_stats = false, .dtype = f64});
  CHECK(bn.parameter_count() == 0);
  CHECK(bn.named_buffers().empty());
  CHECK_FALSE(bn.weight.defined());
  CHECK_FALSE(bn.running_mean.defined());
  const Tensor x = tensor({1, 2, 3, 6, 5, 10}, {3, 2}, f64);
  bn.eval();
  check_values(bn(x), normalized(x, {3, 6}, {8.0 / 3, 32.0 / 3}, {1, 1}, {0, 0}), 0, kTol);
  CHECK(contains(bn.describe(), "no affine"));
  CHECK(contains(bn.describe(), "no running stats"));
}

TEST_CASE("parameters, buffers by name, to(f64) and the printout") {
  nn::BatchNorm2d bn(4);
  CHECK(bn.parameter_count() == 8);
  const auto params = bn.named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "weight");
  CHECK(params[1].name == "bias");
  check_values(bn.weight, {1, 1, 1, 1});
  check_values(bn.bias, {0, 0, 0, 0});
  nn::Sequential model(nn::Linear(3, 4), nn::BatchNorm1d(4));
  const auto buffers = model.named_buffers();
  REQUIRE(buffers.size() == 3);
  CHECK(buffers[0].name == "1.running_mean");
  CHECK(buffers[1].name == "1.running_var");
  CHECK(buffers[2].name == "1.num_batches_tracked");
  CHECK(model.parameter_count() == 3 * 4 + 4 + 8);
  // summary() runs one sample in evaluation mode: fine for BatchNorm, and
  // neither the mode nor the running statistics change.
  CHECK(contains(model.summary({1, 3}), "BatchNorm1d"));
  CHECK(model.is_training());
  CHECK(model.find("1.num_batches_tracked").item() == 0);

  const Tensor running_var = bn.running_var;  // a handle held elsewhere sees the conversion
  bn.to(f64);
  CHECK(bn.weight.dtype() == f64);
  CHECK(bn.running_mean.dtype() == f64);
  CHECK(running_var.dtype() == f64);
  check_values(running_var, {1, 1, 1, 1});
  CHECK(bn.num_batches_tracked.dtype() == i64);
  Generator gen(1);
  CHECK(bn(randn({2, 4, 3, 3}, gen, f64)).dtype() == f64);
  CHECK(bn.num_batches_tracked.item() == 1);

  std::ostringstream out;
  out << nn::BatchNorm1d(3);
  CHECK(out.str() == "BatchNorm1d(3, eps = 1e-05, momentum = 0.1)\n");
}

TEST_CASE("float64 gradcheck through BatchNorm1d in training mode, (N, C) and (N, C, L)") {
  Generator gen(11);
  auto bn = std::make_shared<nn::BatchNorm1d>(4);
  nn::Sequential model(nn::Linear(3, 4, {.generator = &gen}), bn, nn::Tanh(), nn::Linear(4, 2, {.generator = &gen}));
  tg::test::assign(bn->weight, tensor({1.5, -0.5, 0.8, 2}));
  tg::test::assign(bn->bias, tensor({0.1, -0.2, 0.3, 0}));
  REQUIRE(model.is_training());
  const Tensor x = randn({6, 3}, gen, f64);
  const Tensor proj = randn({6, 2}, gen, f64);
  CHECK_GRADCHECK_INPUTS(6, nn::gradcheck(model, [&] { return sum(model(x) * proj); }));
  CHECK(bn->num_batches_tracked.item() > 0);  // the check ran in training mode

  // (N, C, L): Linear over the last axis of (N, L, in), then (N, C, L).
  auto bn3 = std::make_shared<nn::BatchNorm1d>(3);
  nn::Sequential model3(nn::Linear(2, 3, {.generator = &gen}),
                        nn::Lambda("ToNCL", [](const Tensor& t) { return permute(t, {0, 2, 1}); }), bn3,
                        nn::Sigmoid());
  tg::test::assign(bn3->weight, tensor({0.7, -1.2, 1.1}));
  const Tensor x3 = randn({2, 4, 2}, gen, f64);
  const Tensor proj3 = randn({2, 3, 4}, gen, f64);
  CHECK_GRADCHECK_INPUTS(4, nn::gradcheck(model3, [&] { return sum(model3(x3) * proj3); }));
  // And in evaluation mode, through the running statistics.
  model3.eval();
  CHECK_GRADCHECK_INPUTS(4, nn::gradcheck(model3, [&] { return sum(model3(x3) * proj3); }));
}

TEST_CASE("float64 gradcheck through BatchNorm2d in training mode, with a convolution upstream") {
  Generator gen(12);
  ConvBlock block(gen);
  tg::test::assign(block.bn->weight, tensor({1.3, -0.7, 0.9}));
  tg::test::assign(block.bn->bias, tensor({0.2, 0, -0.4}));
  const Tensor x = randn({2, 2, 4, 4}, gen, f64);
  const Tensor proj = randn({2, 3, 4, 4}, gen, f64);
  // weight, bias (upstream, the bias's gradient being ~0: the batch mean
  // removes it), bn.weight, bn.bias.
  CHECK_GRADCHECK_INPUTS(4, nn::gradcheck(block, [&] { return sum(block(x) * proj); }));
  CHECK(block.bn->is_training());
  CHECK(block.dtype() == f32);  // converted back after the check
}

TEST_CASE("LayerNorm: each sample over its last axes, weight and bias of normalized_shape") {
  nn::LayerNorm ln(3, {.dtype = f64});
  const Tensor x = tensor({1, 2, 6, -1, -1, 2}, {2, 3}, f64);
  // Row 0: mean 3, var 14/3; row 1: mean 0, var 2.
  auto expect = [](const std::vector<double>& w, const std::vector<double>& b) {
    std::vector<double> y;
    const double s0 = std::sqrt(14.0 / 3 + kEps), s1 = std::sqrt(2 + kEps);
    const double row0[] = {-2 / s0, -1 / s0, 3 / s0}, row1[] = {-1 / s1, -1 / s1, 2 / s1};
    for (int i = 0; i < 3; ++i) y.push_back(row0[i] * w[i] + b[i]);
    for (int i = 0; i < 3; ++i) y.push_back(row1[i] * w[i] + b[i]);
    return y;
  };
  check_values(ln(x), expect({1, 1, 1}, {0, 0, 0}), 0, kTol);
  tg::test::assign(ln.weight, tensor({2, -1, 0.5}, f64));
  tg::test::assign(ln.bias, tensor({1, 0, -1}, f64));
  check_values(ln(x), expect({2, -1, 0.5}, {1, 0, -1}), 0, kTol);
  // The same in evaluation mode, and one sample is fine.
  ln.eval();
  check_values(ln(x), expect({2, -1, 0.5}, {1, 0, -1}), 0, kTol);
  CHECK(ln(tensor({1, 2, 6}, {1, 3}, f64)).shape() == Shape{1, 3});

  // Two axes: (N, 2, 3) normalised over the last two, per sample.
  Generator gen(2);
  nn::LayerNorm ln2(Shape{2, 3}, {.dtype = f64});
  CHECK(ln2.parameter_count() == 12);
  CHECK(ln2.weight.shape() == Shape{2, 3});
  const Tensor x2 = randn({4, 2, 3}, gen, f64) * 5.0;
  const std::vector<double> y2 = ln2(x2).to_vector<double>();
  for (std::size_t n = 0; n < 4; ++n) {
    const std::vector<double> sample(y2.begin() + static_cast<long>(6 * n), y2.begin() + static_cast<long>(6 * n + 6));
    CHECK(mean_of(sample) == doctest::Approx(0).scale(1).epsilon(1e-12));
    CHECK(var_of(sample, 0) == doctest::Approx(1).epsilon(1e-5));
  }
  // Without affine or without bias.
  CHECK(nn::LayerNorm(4, {.elementwise_affine = false}).parameter_count() == 0);
  CHECK(nn::LayerNorm(4, {.bias = false}).named_parameters().size() == 1);
  CHECK(ln.named_buffers().empty());
  std::ostringstream out;
  out << nn::LayerNorm(Shape{2, 3});
  CHECK(out.str() == "LayerNorm((2, 3), eps = 1e-05)\n");
}

TEST_CASE("float64 gradcheck of LayerNorm: its parameters, an upstream Linear, and its input") {
  Generator gen(13);
  auto ln = std::make_shared<nn::LayerNorm>(4);
  nn::Sequential model(nn::Linear(3, 4, {.generator = &gen}), ln, nn::Tanh());
  tg::test::assign(ln->weight, tensor({1.5, -0.5, 0.8, 2}));
  tg::test::assign(ln->bias, tensor({0.1, -0.2, 0.3, 0}));
  const Tensor x = randn({5, 3}, gen, f64);
  const Tensor proj = randn({5, 4}, gen, f64);
  CHECK_GRADCHECK_INPUTS(4, nn::gradcheck(model, [&] { return sum(model(x) * proj); }));
  nn::LayerNorm ln2(Shape{2, 3}, {.dtype = f64});
  tg::test::assign(ln2.weight, randn({2, 3}, gen, f64));
  CHECK_GRADCHECK_INPUTS(1, gradcheck([&](auto& t) { return ln2(t); }, {randn({2, 2, 3}, gen, f64)}));
}

TEST_CASE("errors name the layer, what it expected and the shape it got") {
  nn::BatchNorm1d bn1(3);
  nn::BatchNorm2d bn2(3);
  Generator gen(0);
  check_contains(thrown<ShapeError>([&] { bn1(zeros({2, 3, 4, 5})); }),
                 {"BatchNorm1d(3)", "expected an input (N, 3) or (N, 3, L)", "got (2, 3, 4, 5)"});
  check_contains(thrown<ShapeError>([&] { bn1(zeros({3})); }), {"BatchNorm1d(3)", "got (3,)"});
  check_contains(thrown<ShapeError>([&] { bn1(zeros({2, 4})); }),
                 {"BatchNorm1d(3)", "expected 3 channels on axis 1", "got (2, 4)"});
  check_contains(thrown<ShapeError>([&] { bn2(zeros({2, 3, 4})); }),
                 {"BatchNorm2d(3)", "expected an input (N, 3, H, W)", "got (2, 3, 4)"});
  check_contains(thrown<ShapeError>([&] { bn2(zeros({2, 4, 5, 5})); }),
                 {"BatchNorm2d(3)", "expected 3 channels on axis 1 of an input (N, 3, H, W)", "got (2, 4, 5, 5)"});
  // One value per channel in training: PyTorch's message.
  check_contains(thrown<InvalidArgument>([&] { bn1(zeros({1, 3})); }),
                 {"BatchNorm1d(3)", "Expected more than 1 value per channel when training", "got input size (1, 3)"});
  check_contains(thrown<InvalidArgument>([&] { bn1(zeros({1, 3, 1})); }), {"more than 1 value per channel"});
  check_contains(thrown<InvalidArgument>([&] { bn2(zeros({1, 3, 1, 1})); }),
                 {"BatchNorm2d(3)", "more than 1 value per channel", "(1, 3, 1, 1)"});
  CHECK(bn1(randn({1, 3, 2}, gen)).shape() == Shape{1, 3, 2});  // two values per channel: fine
  CHECK(bn1.num_batches_tracked.item() == 1);                     // the failed calls changed nothing
  check_contains(thrown<DtypeError>([&] { bn1(zeros({2, 3}, f64)); }),
                 {"BatchNorm1d(3)", "the input is float64 but the layer holds float32"});
  check_contains(thrown<DtypeError>([&] { bn1(zeros({2, 3}, i64)); }), {"BatchNorm1d(3)", "int64"});
  check_contains(thrown<InvalidArgument>([&] { bn1(Tensor()); }), {"BatchNorm1d(3)", "undefined"});
  check_contains(thrown<InvalidArgument>([] { nn::BatchNorm1d(0); }), {"BatchNorm1d", "num_features", "got 0"});
  check_contains(thrown<InvalidArgument>([] { nn::BatchNorm2d(2, {.momentum = 1.5}); }),
                 {"BatchNorm2d(2)", "momentum must be in [0, 1], got 1.5"});
  check_contains(thrown<InvalidArgument>([] { nn::BatchNorm2d(2, {.eps = -1}); }), {"BatchNorm2d(2)", "eps"});
  check_contains(thrown<DtypeError>([] { nn::BatchNorm1d(2, {.dtype = i64}); }), {"BatchNorm1d(2)", "int64"});

  nn::LayerNorm ln(Shape{4, 5});
  check_contains(thrown<ShapeError>([&] { ln(zeros({2, 5, 4})); }),
                 {"LayerNorm((4, 5))", "expected an input (..., 4, 5)", "got (2, 5, 4)"});
  check_contains(thrown<ShapeError>([&] { ln(zeros({5})); }), {"LayerNorm((4, 5))", "got (5,)"});
  check_contains(thrown<DtypeError>([&] { ln(zeros({4, 5}, f64)); }), {"LayerNorm((4, 5))", "float64", "float32"});
  check_contains(thrown<InvalidArgument>([] { nn::LayerNorm(Shape{}); }), {"LayerNorm", "normalized_shape", "()"});
  check_contains(thrown<InvalidArgument>([] { nn::LayerNorm(Shape{3, 0}); }), {"LayerNorm", "(3, 0)"});
}
