// The bad-input cases of the layers (constructors and forward passes), the
// losses and the initializers.
#include <cstdint>
#include <limits>
#include <new>

#include "bad_input.hpp"

namespace tg::test {

namespace {

namespace nn = tg::nn;

constexpr std::int64_t kHuge = std::int64_t{1} << 40;
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

// A constructor given sizes no machine can hold throws at once, whichever
// error says so (ShapeError when the count overflows, bad_alloc past memory).
template <class F>
void check_too_big(F&& make) {
  bool threw = false;
  try {
    make();
  } catch (const ShapeError& e) {
    threw = true;
    CHECK(contains(e.what(), "too many elements"));
  } catch (const std::bad_alloc& e) {
    threw = true;
    CHECK(contains(e.what(), "cannot allocate"));
  }
  CHECK(threw);
}

// A zero-size batch goes forward to a zero-size output of `shape` and
// backward to gradients of zeros, one per parameter, shaped like it.
void check_zero_batch(nn::Module& layer, const Tensor& input, const Shape& shape) {
  const Tensor y = layer(input);
  check_shape(y, shape, y.dtype());
  layer.zero_grad();
  sum(y).backward();
  for (const Tensor& p : layer.parameters()) {
    if (!p.requires_grad()) continue;
    REQUIRE(p.grad().defined());
    CHECK(p.grad().shape() == p.shape());
    for (double g : p.grad().to_vector<double>()) CHECK(g == 0);
  }
  layer.zero_grad();
}

// What every forward pass does with no input or an int64 one.
void check_undefined_and_int(nn::Module& layer, const Tensor& int_input, const std::string& name) {
  CHECK_ERROR(InvalidArgument, layer(Tensor()), name, "undefined");
  CHECK_ERROR(DtypeError, layer(int_input), "int64");
}

std::vector<BadInputCase> dense_cases() {
  std::vector<BadInputCase> cases;
  cases.push_back({"Linear", [] {
    CHECK_ERROR(InvalidArgument, nn::Linear(0, 3), "Linear", "positive", "0 and 3");
    CHECK_ERROR(InvalidArgument, nn::Linear(3, -1), "Linear", "positive", "3 and -1");
    CHECK_ERROR(InvalidArgument, nn::Linear(3, 2, {.init = "nope"}), "unknown initializer", "nope");
    check_too_big([] { (void)nn::Linear(kMaxI64, 2); });
    check_too_big([] { (void)nn::Linear(kHuge, 1024); });
    nn::Linear layer(3, 2);
    check_undefined_and_int(layer, from_vector(std::vector<std::int64_t>{1, 2, 3}, {1, 3}), "Linear(3 -> 2)");
    CHECK_ERROR(ShapeError, layer(scalar(1.0)), "Linear(3 -> 2)", "(..., 3)", "()");
    CHECK_ERROR(ShapeError, layer(ones({4, 2})), "Linear(3 -> 2)", "3 features", "(4, 2)");
    CHECK_ERROR(DtypeError, layer(ones({4, 3}, f64)), "float64", "float32");
    check_zero_batch(layer, zeros({0, 3}), {0, 2});
    check_zero_batch(layer, zeros({2, 0, 3}), {2, 0, 2});
    check_shape(layer(zeros({3})), {2});
    // A NaN feature makes its row NaN, and only its row.
    const std::vector<double> y = layer(tensor({kNaN, 0, 0, 1, 1, 1}, {2, 3})).to_vector<double>();
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
    CHECK(!std::isnan(y[2]));
  }});
  cases.push_back({"Flatten", [] {
    nn::Flatten layer;
    CHECK_ERROR(InvalidArgument, layer(Tensor()), "flatten", "undefined");
    CHECK_ERROR(AxisError, layer(ones({3})), "flatten", "axis 1", "(3,)");
    CHECK_ERROR(AxisError, nn::Flatten(5)(ones({2, 3})), "flatten", "axis 5");
    check_shape(layer(zeros({0, 2, 3})), {0, 6});
    check_shape(layer(i64_tensor({1, 2}, {1, 2})), {1, 2}, i64);
    check_all_nan(layer(full({1, 2, 2}, kNaN)));
  }});
  cases.push_back({"Dropout", [] {
    CHECK_ERROR(InvalidArgument, nn::Dropout(-0.5), "Dropout", "[0, 1]", "-0.5");
    CHECK_ERROR(InvalidArgument, nn::Dropout(kNaN), "Dropout", "nan");
    nn::Dropout layer(0.5);
    check_undefined_and_int(layer, i64_tensor({1}, {1}), "dropout");
    check_shape(layer(zeros({0, 4})), {0, 4});
    check_all_nan(layer(full({16}, kNaN)));
    layer.eval();
    check_values_nan(layer(tensor({kNaN, kInf})), {kNaN, kInf});
  }});
  cases.push_back({"Perceptron", [] {
    CHECK_ERROR(InvalidArgument, nn::Perceptron(0), "Perceptron", "positive", "0");
    CHECK_ERROR(DtypeError, nn::Perceptron(3, nn::Step::heaviside, i64), "Perceptron", "int64");
    check_too_big([] { (void)nn::Perceptron(kMaxI64); });
    nn::Perceptron p(2);
    CHECK_ERROR(InvalidArgument, p(Tensor()), "Perceptron", "undefined");
    CHECK_ERROR(ShapeError, p(ones({2, 3})), "Perceptron", "(N, 2)", "(2, 3)");
    CHECK_ERROR(ShapeError, p(ones({1, 2, 2})), "Perceptron", "(1, 2, 2)");
    CHECK_ERROR(ShapeError, p(scalar(1.0)), "Perceptron", "()");
    check_shape(p(zeros({0, 2})), {0});
    // A NaN input is neither side of the threshold.
    tg::test::assign(p.weight, tensor({1, 1}));
    check_values_nan(p(tensor({kNaN, 1, 1, 1}, {2, 2})), {kNaN, 1});
    CHECK_ERROR(ShapeError, p.train_epoch(ones({3, 2}), ones({2})), "train_epoch", "(3,)", "(2,)");
    CHECK_ERROR(ShapeError, p.train_epoch(ones({3}), ones({3})), "train_epoch", "(3,)");
    CHECK_ERROR(InvalidArgument, p.train_epoch(ones({1, 2}), tensor({kNaN})), "train_epoch", "target 0", "nan");
    CHECK(p.train_epoch(zeros({0, 2}), zeros({0})) == 0);
    CHECK(p.fit(zeros({0, 2}), zeros({0})).converged);
  }});
  cases.push_back({"Embedding", [] {
    CHECK_ERROR(InvalidArgument, nn::Embedding(0, 4), "Embedding", "positive", "0 and 4");
    CHECK_ERROR(InvalidArgument, nn::Embedding(5, 4, {.padding_idx = 5}), "Embedding", "padding_idx", "5");
    CHECK_ERROR(DtypeError, nn::Embedding(5, 4, {.dtype = i64}), "Embedding", "int64");
    check_too_big([] { (void)nn::Embedding(kMaxI64, 2); });
    nn::Embedding layer(5, 4);
    CHECK_ERROR(InvalidArgument, layer(Tensor()), "Embedding(5, 4)", "undefined");
    CHECK_ERROR(DtypeError, layer(ones({2})), "Embedding(5, 4)", "int64", "float32");
    CHECK_ERROR(AxisError, layer(i64_tensor({0, 5}, {2})), "Embedding(5, 4)", "index 5", "0 to 4");
    CHECK_ERROR(AxisError, layer(i64_tensor({-1}, {1})), "Embedding(5, 4)", "index -1");
    CHECK_ERROR(ShapeError, layer(i64_tensor({0}, {1, 1, 1, 1, 1, 1, 1, 1})), "Embedding(5, 4)", "rank");
    check_zero_batch(layer, i64_tensor({}, {0}), {0, 4});
    check_shape(layer(i64_tensor({}, {2, 0})), {2, 0, 4});
    check_shape(layer(i64_tensor({3}, {})), {4});
  }});
  return cases;
}

std::vector<BadInputCase> conv_cases() {
  std::vector<BadInputCase> cases;
  cases.push_back({"Conv2d", [] {
    CHECK_ERROR(InvalidArgument, nn::Conv2d(0, 2, 3), "Conv2d", "positive", "in_channels 0");
    CHECK_ERROR(InvalidArgument, nn::Conv2d(1, 2, {3, 0}), "Conv2d", "kernel (3, 0)");
    check_too_big([] { (void)nn::Conv2d(kHuge, kHuge, 3); });
    check_too_big([] { (void)nn::Conv2d(kHuge, 1024, 1); });
    nn::Conv2d layer(3, 4, 2);
    check_undefined_and_int(layer, i64_tensor(std::vector<std::int64_t>(12, 1), {1, 3, 2, 2}), "Conv2d(3 -> 4, kernel (2, 2))");
    CHECK_ERROR(ShapeError, layer(ones({3, 4, 4})), "Conv2d(3 -> 4, kernel (2, 2))", "(N, C, H, W)", "(3, 4, 4)");
    CHECK_ERROR(ShapeError, layer(ones({1, 2, 4, 4})), "Conv2d", "3 input channels", "(1, 2, 4, 4)");
    CHECK_ERROR(ShapeError, layer(ones({1, 3, 1, 1})), "conv2d", "larger than the padded input");
    check_zero_batch(layer, zeros({0, 3, 4, 4}), {0, 4, 3, 3});
    check_all_nan(layer(full({1, 3, 2, 2}, kNaN)));
    nn::Conv2d strided(3, 4, 2, {.stride = 0});
    CHECK_ERROR(InvalidArgument, strided(ones({1, 3, 4, 4})), "conv2d", "stride");
  }});
  cases.push_back({"Conv1d", [] {
    CHECK_ERROR(InvalidArgument, nn::Conv1d(1, 2, 0), "Conv1d", "kernel 0");
    CHECK_ERROR(InvalidArgument, nn::Conv1d(1, -2, 3), "Conv1d", "out_channels -2");
    check_too_big([] { (void)nn::Conv1d(kMaxI64, 2, 2); });
    nn::Conv1d layer(3, 4, 2);
    check_undefined_and_int(layer, i64_tensor({1, 1, 1, 1, 1, 1}, {1, 3, 2}), "Conv1d(3 -> 4, kernel 2)");
    CHECK_ERROR(ShapeError, layer(ones({3, 4})), "Conv1d(3 -> 4, kernel 2)", "(N, C, L)", "(3, 4)");
    CHECK_ERROR(ShapeError, layer(ones({1, 2, 4})), "Conv1d", "3 input channels");
    check_zero_batch(layer, zeros({0, 3, 5}), {0, 4, 4});
    check_all_nan(layer(full({1, 3, 2}, kNaN)));
  }});
  using Pool = std::function<nn::ModulePtr(Extent2)>;
  const std::vector<std::pair<std::string, Pool>> pools = {
      {"MaxPool2d", [](Extent2 k) -> nn::ModulePtr { return std::make_shared<nn::MaxPool2d>(k); }},
      {"AvgPool2d", [](Extent2 k) -> nn::ModulePtr { return std::make_shared<nn::AvgPool2d>(k); }},
  };
  for (const auto& [name, make] : pools) {
    cases.push_back({name, [name = name, make = make] {
      CHECK_ERROR(InvalidArgument, make(0), name, "kernel size", "(0, 0)");
      CHECK_ERROR(InvalidArgument, make({2, -1}), name, "(2, -1)");
      const nn::ModulePtr held = make(2);
      nn::Module& layer = *held;
      check_undefined_and_int(layer, i64_tensor({1}, {1, 1, 1, 1}), "pool2d");
      CHECK_ERROR(ShapeError, layer(ones({4, 4})), "pool2d", "(N, C, H, W)", "(4, 4)");
      CHECK_ERROR(ShapeError, layer(ones({1, 1, 1, 4})), "pool2d", "larger than the padded input");
      check_zero_batch(layer, zeros({0, 3, 4, 4}).requires_grad_(), {0, 3, 2, 2});
      check_all_nan(layer(full({1, 1, 2, 2}, kNaN)));
    }});
  }
  return cases;
}

std::vector<BadInputCase> normalization_cases() {
  std::vector<BadInputCase> cases;
  using Make = std::function<std::shared_ptr<nn::BatchNorm>(std::int64_t, const nn::BatchNormOptions&)>;
  const std::vector<std::tuple<std::string, Make, Shape>> batch_norms = {
      {"BatchNorm1d", [](std::int64_t c, const nn::BatchNormOptions& o) { return std::make_shared<nn::BatchNorm1d>(c, o); },
       Shape{4, 2}},
      {"BatchNorm2d", [](std::int64_t c, const nn::BatchNormOptions& o) { return std::make_shared<nn::BatchNorm2d>(c, o); },
       Shape{4, 2, 3, 3}},
  };
  for (const auto& [name, make, good] : batch_norms) {
    cases.push_back({name, [name = name, make = make, good = good] {
      CHECK_ERROR(InvalidArgument, make(0, {}), name, "num_features", "0");
      CHECK_ERROR(InvalidArgument, make(2, {.eps = -1}), name, "eps");
      CHECK_ERROR(InvalidArgument, make(2, {.eps = kNaN}), name, "eps");
      CHECK_ERROR(InvalidArgument, make(2, {.momentum = 2.0}), name, "momentum");
      CHECK_ERROR(DtypeError, make(2, {.dtype = i64}), name, "int64");
      check_too_big([&] { make(kMaxI64, {}); });
      std::shared_ptr<nn::BatchNorm> layer = make(2, {});
      const std::string shown = name + "(2)";
      CHECK_ERROR(InvalidArgument, (*layer)(Tensor()), shown, "undefined");
      CHECK_ERROR(DtypeError, (*layer)(i64_tensor({1, 2}, {1, 2})), shown, "int64");
      CHECK_ERROR(DtypeError, (*layer)(ones(good, f64)), shown, "float64", "float32");
      CHECK_ERROR(ShapeError, (*layer)(ones({4})), shown, "(4,)");
      CHECK_ERROR(ShapeError, (*layer)(ones({4, 3, 3, 3, 3})), shown, "(4, 3, 3, 3, 3)");
      Shape three = good;
      three[1] = 3;
      CHECK_ERROR(ShapeError, (*layer)(ones(three)), shown, "2 channels");
      // No batch: training has no statistics to take (an error), evaluation maps nothing to nothing.
      Shape empty = good;
      empty[0] = 0;
      CHECK_ERROR(InvalidArgument, (*layer)(zeros(empty)), shown, "more than 1 value");
      // A NaN spoils its channel's batch statistics, and no other channel's; the running stats likewise.
      Tensor x = randn(good, default_generator());
      x.mutable_data<float>()[0] = static_cast<float>(kNaN);
      const Tensor y = (*layer)(x);
      const std::vector<double> out = y.to_vector<double>();
      const std::int64_t per_sample = good.numel() / good[0], per_channel = per_sample / 2;
      CHECK(std::isnan(out[0]));
      CHECK(std::isnan(out[static_cast<std::size_t>(per_channel - 1)]));
      CHECK(!std::isnan(out[static_cast<std::size_t>(per_channel)]));
      check_values_nan(layer->running_mean, {kNaN, layer->running_mean.to_vector<double>()[1]});
      std::shared_ptr<nn::BatchNorm> fresh = make(2, {});
      fresh->eval();
      check_zero_batch(*fresh, zeros(empty), empty);
    }});
  }
  cases.push_back({"LayerNorm", [] {
    CHECK_ERROR(InvalidArgument, nn::LayerNorm(Shape{}), "LayerNorm", "at least one axis", "()");
    CHECK_ERROR(InvalidArgument, nn::LayerNorm(Shape{3, 0}), "LayerNorm", "(3, 0)");
    CHECK_ERROR(InvalidArgument, nn::LayerNorm(-3), "LayerNorm", "(-3,)");
    CHECK_ERROR(InvalidArgument, nn::LayerNorm(3, {.eps = -1e-5}), "LayerNorm", "eps");
    CHECK_ERROR(DtypeError, nn::LayerNorm(3, {.dtype = i64}), "LayerNorm", "int64");
    check_too_big([] { (void)nn::LayerNorm(Shape{kHuge, kHuge}); });
    nn::LayerNorm layer(3);
    CHECK_ERROR(InvalidArgument, layer(Tensor()), "LayerNorm((3,))", "undefined");
    CHECK_ERROR(DtypeError, layer(i64_tensor({1, 2, 3}, {3})), "LayerNorm((3,))", "int64");
    CHECK_ERROR(ShapeError, layer(ones({2, 4})), "LayerNorm((3,))", "(..., 3)", "(2, 4)");
    CHECK_ERROR(ShapeError, layer(scalar(1.0)), "LayerNorm((3,))", "()");
    check_zero_batch(layer, zeros({0, 3}), {0, 3});
    const std::vector<double> y = layer(tensor({kNaN, 1, 2, 3, 4, 5}, {2, 3})).to_vector<double>();
    for (std::size_t i = 0; i < 3; ++i) CHECK(std::isnan(y[i]));
    for (std::size_t i = 3; i < 6; ++i) CHECK(!std::isnan(y[i]));
  }});
  return cases;
}

std::vector<BadInputCase> recurrent_cases() {
  std::vector<BadInputCase> cases;
  using Make = std::function<std::shared_ptr<nn::RecurrentBase>(std::int64_t, std::int64_t, std::int64_t, double)>;
  const std::vector<std::pair<std::string, Make>> family = {
      {"RNN", [](std::int64_t in, std::int64_t h, std::int64_t layers, double p) {
         return std::make_shared<nn::RNN>(in, h, nn::RNNOptions{.num_layers = layers, .dropout = p});
       }},
      {"LSTM", [](std::int64_t in, std::int64_t h, std::int64_t layers, double p) {
         return std::make_shared<nn::LSTM>(in, h, nn::LSTMOptions{.num_layers = layers, .dropout = p});
       }},
      {"GRU", [](std::int64_t in, std::int64_t h, std::int64_t layers, double p) {
         return std::make_shared<nn::GRU>(in, h, nn::GRUOptions{.num_layers = layers, .dropout = p});
       }},
  };
  for (const auto& [name, make] : family) {
    cases.push_back({name, [name = name, make = make] {
      CHECK_ERROR(InvalidArgument, make(0, 4, 1, 0), name, "positive", "0, 4 and 1");
      CHECK_ERROR(InvalidArgument, make(3, -4, 1, 0), name, "positive");
      CHECK_ERROR(InvalidArgument, make(3, 4, 0, 0), name, "num_layers");
      CHECK_ERROR(InvalidArgument, make(3, 4, 2, 1.0), name, "dropout", "[0, 1)");
      CHECK_ERROR(InvalidArgument, make(3, 4, 2, kNaN), name, "dropout");
      check_too_big([&] { make(3, kMaxI64 / 2, 1, 0); });
      check_too_big([&] { make(kHuge, 1024, 1, 0); });
      std::shared_ptr<nn::RecurrentBase> layer = make(3, 4, 2, 0);
      const std::string shown = name + "(3 -> 4, 2 layers)";
      check_undefined_and_int(*layer, i64_tensor({1, 2, 3}, {1, 1, 3}), shown);
      CHECK_ERROR(ShapeError, (*layer)(ones({2, 3})), shown, "(N, T, 3)", "(2, 3)");
      CHECK_ERROR(ShapeError, (*layer)(ones({2, 5, 4})), shown, "3 features", "(2, 5, 4)");
      CHECK_ERROR(ShapeError, (*layer)(ones({2, 0, 3})), shown, "at least one step", "(2, 0, 3)");
      CHECK_ERROR(DtypeError, (*layer)(ones({2, 5, 3}, f64)), shown, "float64", "float32");
      check_zero_batch(*layer, zeros({0, 5, 3}), {0, 5, 4});
      // A NaN at step 1 of sample 0 spoils that sample from step 1 on, and nothing before or elsewhere.
      Tensor x = zeros({2, 3, 3});
      x.mutable_data<float>()[3] = static_cast<float>(kNaN);
      const std::vector<double> y = (*layer)(x).to_vector<double>();  // (2, 3, 4)
      CHECK(!std::isnan(y[0]));
      CHECK(std::isnan(y[4]));
      CHECK(std::isnan(y[8]));
      CHECK(!std::isnan(y[12]));
    }});
  }
  cases.push_back({"RNN", [] {
    nn::RNN rnn(3, 4, {.num_layers = 2});
    CHECK_ERROR(ShapeError, rnn.forward_with_state(ones({2, 5, 3}), ones({1, 2, 4})), "RNN", "(2, 2, 4)", "(1, 2, 4)");
    CHECK_ERROR(DtypeError, rnn.forward_with_state(ones({2, 5, 3}), ones({2, 2, 4}, f64)), "RNN", "float64");
    check_shape(rnn.forward_with_state(zeros({0, 5, 3}), zeros({2, 0, 4})).state, {2, 0, 4});
  }});
  cases.push_back({"LSTM", [] {
    nn::LSTM lstm(3, 4);
    CHECK_ERROR(ShapeError, lstm.forward_with_state(ones({2, 5, 3}), {.c = ones({1, 3, 4})}), "LSTM", "c", "(1, 3, 4)");
    check_all_nan(lstm.forward_with_state(ones({1, 1, 3}), {.h = full({1, 1, 4}, kNaN)}).output);
  }});
  cases.push_back({"GRU", [] {
    nn::GRU gru(3, 4);
    CHECK_ERROR(ShapeError, gru.forward_with_state(ones({2, 5, 3}), ones({2, 4})), "GRU", "(1, 2, 4)", "(2, 4)");
  }});
  return cases;
}

std::vector<BadInputCase> container_cases() {
  std::vector<BadInputCase> cases;
  cases.push_back({"Lambda", [] {
    CHECK_ERROR(InvalidArgument, nn::Lambda("Empty", nullptr), "Empty", "empty");
    nn::Lambda square("Square", [](const Tensor& x) { return x * x; });
    CHECK_ERROR(InvalidArgument, square(Tensor()), "mul", "undefined");
    check_all_nan(square(tensor({kNaN})));
  }});
  cases.push_back({"Sequential", [] {
    nn::Sequential empty;
    check_values_nan(empty(tensor({kNaN})), {kNaN});
    nn::Sequential model(nn::Linear(3, 2), nn::ReLU());
    CHECK_ERROR(AxisError, model[2], "Sequential", "index 2", "2 modules");
    CHECK_ERROR(ShapeError, model(ones({1, 4})), "Linear(3 -> 2)", "(1, 4)");
    check_shape(model(zeros({0, 3})), {0, 2});
    check_all_nan(model(full({1, 3}, kNaN)));
  }});
  cases.push_back({"Residual", [] {
    nn::Residual widen(nn::Linear(3, 4));
    CHECK_ERROR(ShapeError, widen(ones({2, 3})), "Residual", "(2, 3)", "(2, 4)", "projection");
    nn::Residual projected(nn::Linear(3, 4), nn::Linear(3, 5));
    CHECK_ERROR(ShapeError, projected(ones({2, 3})), "Residual", "(2, 5)");
    nn::Residual same(nn::Linear(3, 3));
    CHECK_ERROR(InvalidArgument, same(Tensor()), "Linear(3 -> 3)", "undefined");
    check_shape(same(zeros({0, 3})), {0, 3});
    check_all_nan(same(full({1, 3}, kNaN)));
  }});
  // Activations: each runs its op, whose name the error carries.
  const std::vector<std::tuple<std::string, std::function<nn::ModulePtr()>, std::string>> activations = {
      {"Identity", [] { return std::make_shared<nn::Identity>(); }, ""},
      {"Sigmoid", [] { return std::make_shared<nn::Sigmoid>(); }, "sigmoid"},
      {"Tanh", [] { return std::make_shared<nn::Tanh>(); }, "tanh"},
      {"ReLU", [] { return std::make_shared<nn::ReLU>(); }, "relu"},
      {"LeakyReLU", [] { return std::make_shared<nn::LeakyReLU>(); }, "leaky_relu"},
      {"ELU", [] { return std::make_shared<nn::ELU>(); }, "elu"},
      {"SELU", [] { return std::make_shared<nn::SELU>(); }, "selu"},
      {"GELU", [] { return std::make_shared<nn::GELU>(); }, "gelu"},
      {"Softplus", [] { return std::make_shared<nn::Softplus>(); }, "softplus"},
      {"Softmax", [] { return std::make_shared<nn::Softmax>(); }, "softmax"},
      {"LogSoftmax", [] { return std::make_shared<nn::LogSoftmax>(); }, "log_softmax"},
  };
  for (const auto& [name, make, op] : activations) {
    cases.push_back({name, [make = make, op = op] {
      const nn::ModulePtr held = make();
      nn::Module& layer = *held;
      if (!op.empty()) {
        CHECK_ERROR(InvalidArgument, layer(Tensor()), op, "undefined");
        CHECK_ERROR(DtypeError, layer(i64_tensor({1}, {1})), op, "int64");
      }
      check_shape(layer(zeros({0, 3})), {0, 3});
      check_all_nan(layer(full({1, 1}, kNaN)));
    }});
  }
  // Parameters a forward pass refuses.
  cases.push_back({"Softplus", [] { CHECK_ERROR(InvalidArgument, nn::Softplus(-1)(ones({2})), "softplus", "beta"); }});
  cases.push_back({"Softmax", [] {
    CHECK_ERROR(InvalidArgument, nn::Softmax(-1, 0)(ones({2})), "softmax", "temperature");
    CHECK_ERROR(AxisError, nn::Softmax(3)(ones({2})), "softmax", "axis 3");
  }});
  cases.push_back({"LogSoftmax", [] { CHECK_ERROR(AxisError, nn::LogSoftmax(1)(ones({2})), "log_softmax", "axis 1"); }});
  return cases;
}

}  // namespace

std::vector<BadInputCase> layer_cases() {
  std::vector<BadInputCase> all;
  for (auto* part : {&dense_cases, &conv_cases, &normalization_cases, &recurrent_cases, &container_cases}) {
    for (BadInputCase& c : (*part)()) all.push_back(std::move(c));
  }
  return all;
}

std::map<std::string, std::string> layer_exemptions() {
  return {
      {"BatchNorm", "abstract base with a protected constructor: its checks run through BatchNorm1d and BatchNorm2d"},
      {"RecurrentBase", "abstract base with a protected constructor: its checks run through RNN, LSTM and GRU"},
  };
}

}  // namespace tg::test
