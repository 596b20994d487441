// RNN, LSTM and GRU: parameter names, layouts and counts against PyTorch's,
// output and state shapes, values against the equations written out per
// unit, stacked layers as a composition of single layers, float64
// gradchecks through time (initial states included), summary(), dropout
// between layers, and every error path.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <type_traits>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;
using tg::test::check_values;
using tg::test::thrown;

namespace {

using Vec = std::vector<double>;

double sigmoid_of(double v) { return 1 / (1 + std::exp(-v)); }

// Sets every parameter of `m` to small, distinct, known values.
void set_known_weights(nn::Module& m) {
  int seed = 1;
  for (Tensor& p : m.parameters()) {
    std::vector<double> v(static_cast<std::size_t>(p.numel()));
    for (double& e : v) e = static_cast<double>((seed++ * 37) % 23 - 11) / 20;  // in [−0.55, 0.55]
    tg::test::assign(p, from_vector(v, p.shape(), f64));
  }
}

// Row r of a (rows, cols) matrix times v, plus b[r].
double affine(const Tensor& w, const Tensor& b, std::int64_t r, const Vec& v) {
  const Vec wv = w.to_vector<double>();
  double s = b.defined() ? b.to_vector<double>()[static_cast<std::size_t>(r)] : 0.0;
  for (std::size_t j = 0; j < v.size(); ++j) s += wv[static_cast<std::size_t>(r) * v.size() + j] * v[j];
  return s;
}

// One step of layer 0 of each cell, the equations unit by unit in doubles.
// x is one sample's input (in,), h and c its state (H,).
Vec rnn_step(const nn::RNN& m, const Vec& x, const Vec& h, bool relu) {
  Vec out(h.size());
  for (std::size_t u = 0; u < h.size(); ++u) {
    const auto r = static_cast<std::int64_t>(u);
    const double a = affine(m.weight_ih[0], m.bias_ih[0], r, x) + affine(m.weight_hh[0], m.bias_hh[0], r, h);
    out[u] = relu ? std::max(a, 0.0) : std::tanh(a);
  }
  return out;
}

void lstm_step(const nn::LSTM& m, const Vec& x, Vec& h, Vec& c) {
  const auto H = static_cast<std::int64_t>(h.size());
  auto pre = [&](std::int64_t gate, std::int64_t u) {  // gates i, f, g, o = 0..3
    return affine(m.weight_ih[0], m.bias_ih[0], gate * H + u, x) + affine(m.weight_hh[0], m.bias_hh[0], gate * H + u, h);
  };
  Vec h_new(h.size()), c_new(c.size());
  for (std::int64_t u = 0; u < H; ++u) {
    const double i = sigmoid_of(pre(0, u)), f = sigmoid_of(pre(1, u)), g = std::tanh(pre(2, u)), o = sigmoid_of(pre(3, u));
    const auto k = static_cast<std::size_t>(u);
    c_new[k] = f * c[k] + i * g;
    h_new[k] = o * std::tanh(c_new[k]);
  }
  h = h_new;
  c = c_new;
}

Vec gru_step(const nn::GRU& m, const Vec& x, const Vec& h) {
  const auto H = static_cast<std::int64_t>(h.size());
  auto in = [&](std::int64_t gate, std::int64_t u) { return affine(m.weight_ih[0], m.bias_ih[0], gate * H + u, x); };
  auto hid = [&](std::int64_t gate, std::int64_t u) { return affine(m.weight_hh[0], m.bias_hh[0], gate * H + u, h); };
  Vec out(h.size());
  for (std::int64_t u = 0; u < H; ++u) {  // gates r, z, n = 0..2
    const double r = sigmoid_of(in(0, u) + hid(0, u)), z = sigmoid_of(in(1, u) + hid(1, u));
    const double n = std::tanh(in(2, u) + r * hid(2, u));
    const auto k = static_cast<std::size_t>(u);
    out[k] = (1 - z) * n + z * h[k];
  }
  return out;
}

// Sample n, step t of a (N, T, F) tensor; row n of a (N, F) one.
Vec at(const Tensor& x, std::int64_t n, std::int64_t t) {
  const Vec v = x.to_vector<double>();
  const auto f = static_cast<std::size_t>(x.size(2));
  const auto start = (static_cast<std::size_t>(n) * static_cast<std::size_t>(x.size(1)) + static_cast<std::size_t>(t)) * f;
  return Vec(v.begin() + static_cast<std::ptrdiff_t>(start), v.begin() + static_cast<std::ptrdiff_t>(start + f));
}
Vec row(const Tensor& x, std::int64_t n) { return at(reshape(x, {x.size(0), 1, x.size(1)}), n, 0); }

// The reference output sequence of a one-layer model, flattened (N, T, H),
// from per-sample initial states h0 (and c0), rows of (N, H).
template <class Step>
Vec reference_sequence(const Tensor& x, std::int64_t hidden, const Tensor& h0, const Tensor& c0, Step step) {
  Vec out;
  for (std::int64_t n = 0; n < x.size(0); ++n) {
    Vec h = h0.defined() ? row(h0, n) : Vec(static_cast<std::size_t>(hidden));
    Vec c = c0.defined() ? row(c0, n) : Vec(static_cast<std::size_t>(hidden));
    for (std::int64_t t = 0; t < x.size(1); ++t) {
      step(at(x, n, t), h, c);
      out.insert(out.end(), h.begin(), h.end());
    }
  }
  return out;
}

// Step T − 1 of an (N, T, H) output and layer L − 1 of an (L, N, H) state: both (N, H).
Tensor last_step(const Tensor& output) { return reshape(slice(output, 1, -1, output.size(1)), {output.size(0), output.size(2)}); }
Tensor last_layer(const Tensor& state) { return reshape(slice(state, 0, -1, state.size(0)), {state.size(1), state.size(2)}); }

// A recurrent layer whose initial state is learned, so nn::gradcheck checks
// the initial state's gradient through forward_with_state with the weights'.
template <class Layer>
struct LearnedState : nn::Module {
  std::shared_ptr<Layer> rnn;
  Tensor h0, c0;
  LearnedState(Layer layer, std::int64_t batch, Generator& gen) : Module("LearnedState") {
    rnn = register_module("rnn", std::move(layer));
    const Shape shape{rnn->num_layers, batch, rnn->hidden_size};
    h0 = register_parameter("h0", uniform(shape, -0.5, 0.5, gen, rnn->dtype()));
    if constexpr (std::is_same_v<Layer, nn::LSTM>) c0 = register_parameter("c0", uniform(shape, -0.5, 0.5, gen, rnn->dtype()));
  }
  Tensor forward(const Tensor& x) override { return x; }  // not used: the loss calls forward_with_state
};

}  // namespace

TEST_CASE("parameters have PyTorch's names, shapes and counts") {
  const nn::LSTM lstm(28, 128);
  CHECK(lstm.parameter_count() == 4 * 128 * (28 + 128) + 2 * 4 * 128);
  const std::vector<nn::NamedTensor> named = lstm.named_parameters();
  REQUIRE(named.size() == 4);
  CHECK(named[0].name == "weight_ih_l0");
  CHECK(named[0].tensor.shape() == Shape{512, 28});
  CHECK(named[1].name == "weight_hh_l0");
  CHECK(named[1].tensor.shape() == Shape{512, 128});
  CHECK(named[2].name == "bias_ih_l0");
  CHECK(named[2].tensor.shape() == Shape{512});
  CHECK(named[3].name == "bias_hh_l0");

  // The second layer reads the first one's H features.
  const nn::LSTM lstm2(28, 128, {.num_layers = 2});
  CHECK(lstm2.parameter_count() == 4 * 128 * (28 + 128) + 4 * 128 * (128 + 128) + 4 * 4 * 128);
  CHECK(lstm2.find("weight_ih_l1").shape() == Shape{512, 128});
  CHECK(lstm2.find("bias_hh_l1").shape() == Shape{512});
  CHECK(nn::LSTM(28, 128, {.bias = false}).parameter_count() == 4 * 128 * (28 + 128));

  CHECK(nn::GRU(10, 20).parameter_count() == 3 * 20 * 30 + 2 * 3 * 20);
  CHECK(nn::GRU(10, 20, {.num_layers = 2}).parameter_count() == 3 * 20 * 30 + 3 * 20 * 40 + 4 * 3 * 20);
  CHECK(nn::GRU(10, 20).find("weight_hh_l0").shape() == Shape{60, 20});
  CHECK(nn::RNN(10, 20).parameter_count() == 20 * 30 + 2 * 20);
  CHECK(nn::RNN(10, 20, {.num_layers = 2}).parameter_count() == 20 * 30 + 20 * 40 + 4 * 20);
  CHECK(nn::RNN(10, 20, {.bias = false}).named_parameters().size() == 2);
}

TEST_CASE("initialisation is PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every tensor, reproducible from a seed") {
  Generator a(7), b(7);
  const nn::GRU g1(5, 16, {.num_layers = 2, .generator = &a}), g2(5, 16, {.num_layers = 2, .generator = &b});
  const auto p1 = g1.parameters(), p2 = g2.parameters();
  REQUIRE(p1.size() == 8);
  for (std::size_t i = 0; i < p1.size(); ++i) {
    CHECK(p1[i].to_vector<float>() == p2[i].to_vector<float>());
    double lo = 1, hi = -1;
    for (float v : p1[i].to_vector<float>()) lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
    CHECK(lo >= -0.25);
    CHECK(hi < 0.25);
    CHECK(hi - lo > 0.3);  // spread over the range, not a constant
  }
  CHECK(nn::LSTM(3, 4, {.dtype = f64}).dtype() == f64);
  // to() converts in place: the per-layer handles see the new dtype.
  nn::LSTM converted(3, 4, {.num_layers = 2});
  converted.to(f64);
  CHECK(converted.weight_hh[1].dtype() == f64);
  CHECK(converted(zeros({1, 2, 3}, f64)).dtype() == f64);
}

TEST_CASE("forward and forward_with_state give (N, T, H) outputs and (num_layers, N, H) states") {
  const Tensor x = zeros({5, 7, 3});
  for (std::int64_t layers : {1, 2}) {
    CAPTURE(layers);
    nn::RNN rnn(3, 4, {.num_layers = layers});
    nn::LSTM lstm(3, 4, {.num_layers = layers});
    nn::GRU gru(3, 4, {.num_layers = layers});
    CHECK(rnn(x).shape() == Shape{5, 7, 4});
    CHECK(lstm(x).shape() == Shape{5, 7, 4});
    CHECK(gru(x).shape() == Shape{5, 7, 4});
    const nn::RNNOutput r = rnn.forward_with_state(x);
    CHECK(r.output.shape() == Shape{5, 7, 4});
    CHECK(r.state.shape() == Shape{layers, 5, 4});
    const nn::LSTMOutput l = lstm.forward_with_state(x);
    CHECK(l.state.h.shape() == Shape{layers, 5, 4});
    CHECK(l.state.c.shape() == Shape{layers, 5, 4});
    CHECK(gru.forward_with_state(x).state.shape() == Shape{layers, 5, 4});
  }
}

TEST_CASE("h_n is the last layer's last output step; forward equals forward_with_state's output") {
  Generator gen(3);
  const Tensor x = randn({2, 5, 3}, gen);
  nn::RNN rnn(3, 4, {.num_layers = 2});
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  nn::GRU gru(3, 4, {.num_layers = 2});
  const nn::RNNOutput r = rnn.forward_with_state(x);
  check_values(last_layer(r.state), last_step(r.output).to_vector<double>());
  check_values(rnn(x), r.output.to_vector<double>());
  const nn::LSTMOutput l = lstm.forward_with_state(x);
  check_values(last_layer(l.state.h), last_step(l.output).to_vector<double>());
  check_values(lstm(x), l.output.to_vector<double>());
  const nn::RNNOutput g = gru.forward_with_state(x);
  check_values(last_layer(g.state), last_step(g.output).to_vector<double>());
  check_values(gru(x), g.output.to_vector<double>());
}

TEST_CASE("RNN: one step by hand, h = tanh(w x + b_ih + u h0 + b_hh)") {
  nn::RNN rnn(1, 1, {.dtype = f64});
  tg::test::assign(rnn.weight_ih[0], tensor({0.5}, {1, 1}, f64));
  tg::test::assign(rnn.weight_hh[0], tensor({-2.0}, {1, 1}, f64));
  tg::test::assign(rnn.bias_ih[0], tensor({0.1}, {1}, f64));
  tg::test::assign(rnn.bias_hh[0], tensor({0.2}, {1}, f64));
  const Tensor x = tensor({3.0}, {1, 1, 1}, f64), h0 = tensor({0.25}, {1, 1, 1}, f64);
  check_values(rnn(x), {std::tanh(0.5 * 3 + 0.1 + 0.2)});
  check_values(rnn.forward_with_state(x, h0).output, {std::tanh(0.5 * 3 + 0.1 - 2 * 0.25 + 0.2)});
  nn::RNN relu(1, 1, {.nonlinearity = nn::RNNNonlinearity::relu, .dtype = f64});
  for (std::size_t i = 0; i < 4; ++i) tg::test::assign(relu.parameters()[i], rnn.parameters()[i]);
  check_values(relu.forward_with_state(x, h0).output, {1.3});
  check_values(relu.forward_with_state(neg(x), h0).output, {0.0});
}

TEST_CASE("RNN, LSTM and GRU follow their equations unit by unit, from zeros and from a given state") {
  Generator gen(11);
  const Tensor x = uniform({2, 3, 3}, -1, 1, gen, f64);  // N = 2, T = 3, in = 3; H = 2
  const Tensor h0 = uniform({1, 2, 2}, -1, 1, gen, f64), c0 = uniform({1, 2, 2}, -1, 1, gen, f64);
  const Tensor h0_rows = reshape(h0, {2, 2}), c0_rows = reshape(c0, {2, 2});

  SUBCASE("RNN, tanh and relu") {
    for (auto act : {nn::RNNNonlinearity::tanh, nn::RNNNonlinearity::relu}) {
      nn::RNN m(3, 2, {.nonlinearity = act, .dtype = f64});
      set_known_weights(m);
      const bool relu = act == nn::RNNNonlinearity::relu;
      auto step = [&](const Vec& xt, Vec& h, Vec&) { h = rnn_step(m, xt, h, relu); };
      check_values(m(x), reference_sequence(x, 2, {}, {}, step));
      check_values(m.forward_with_state(x, h0).output, reference_sequence(x, 2, h0_rows, {}, step));
    }
  }
  SUBCASE("LSTM") {
    nn::LSTM m(3, 2, {.dtype = f64});
    set_known_weights(m);
    auto step = [&](const Vec& xt, Vec& h, Vec& c) { lstm_step(m, xt, h, c); };
    check_values(m(x), reference_sequence(x, 2, {}, {}, step));
    const nn::LSTMOutput out = m.forward_with_state(x, {h0, c0});
    check_values(out.output, reference_sequence(x, 2, h0_rows, c0_rows, step));
    // c_n by hand too: rerun the reference and keep c.
    Vec c_n;
    for (std::int64_t n = 0; n < 2; ++n) {
      Vec h = row(h0_rows, n), c = row(c0_rows, n);
      for (std::int64_t t = 0; t < 3; ++t) lstm_step(m, at(x, n, t), h, c);
      c_n.insert(c_n.end(), c.begin(), c.end());
    }
    check_values(out.state.c, c_n);
    // Only h given: c starts at zeros.
    check_values(m.forward_with_state(x, {.h = h0}).output, reference_sequence(x, 2, h0_rows, zeros({2, 2}, f64), step));
  }
  SUBCASE("GRU") {
    nn::GRU m(3, 2, {.dtype = f64});
    set_known_weights(m);
    auto step = [&](const Vec& xt, Vec& h, Vec&) { h = gru_step(m, xt, h); };
    check_values(m(x), reference_sequence(x, 2, {}, {}, step));
    check_values(m.forward_with_state(x, h0).output, reference_sequence(x, 2, h0_rows, {}, step));
  }
}

TEST_CASE("without biases the cells drop both bias terms") {
  Generator gen(5);
  const Tensor x = uniform({2, 3, 3}, -1, 1, gen, f64);
  nn::GRU with(3, 2, {.dtype = f64}), without(3, 2, {.bias = false, .dtype = f64});
  set_known_weights(without);
  tg::test::assign(with.weight_ih[0], without.weight_ih[0]);
  tg::test::assign(with.weight_hh[0], without.weight_hh[0]);
  tg::test::assign(with.bias_ih[0], zeros({6}, f64));
  tg::test::assign(with.bias_hh[0], zeros({6}, f64));
  check_values(without(x), with(x).to_vector<double>());
  nn::LSTM lstm_with(3, 2, {.dtype = f64}), lstm_without(3, 2, {.bias = false, .dtype = f64});
  tg::test::assign(lstm_with.weight_ih[0], lstm_without.weight_ih[0]);
  tg::test::assign(lstm_with.weight_hh[0], lstm_without.weight_hh[0]);
  tg::test::assign(lstm_with.bias_ih[0], zeros({8}, f64));
  tg::test::assign(lstm_with.bias_hh[0], zeros({8}, f64));
  check_values(lstm_without(x), lstm_with(x).to_vector<double>());
}

TEST_CASE("a stacked layer is the composition of single layers with the same weights") {
  Generator gen(9);
  const Tensor x = randn({2, 4, 3}, gen, f64);
  nn::LSTM stacked(3, 5, {.num_layers = 2, .dtype = f64});
  nn::LSTM first(3, 5, {.dtype = f64}), second(5, 5, {.dtype = f64});
  auto p = stacked.parameters(), p1 = first.parameters(), p2 = second.parameters();
  for (std::size_t i = 0; i < 4; ++i) {
    tg::test::assign(p1[i], p[i]);
    tg::test::assign(p2[i], p[i + 4]);
  }
  const Tensor h0 = randn({2, 2, 5}, gen, f64), c0 = randn({2, 2, 5}, gen, f64);
  const nn::LSTMOutput out = stacked.forward_with_state(x, {h0, c0});
  const nn::LSTMOutput o1 = first.forward_with_state(x, {slice(h0, 0, 0, 1), slice(c0, 0, 0, 1)});
  const nn::LSTMOutput o2 = second.forward_with_state(o1.output, {slice(h0, 0, 1, 2), slice(c0, 0, 1, 2)});
  check_values(out.output, o2.output.to_vector<double>());
  check_values(out.state.h, concat({o1.state.h, o2.state.h}, 0).to_vector<double>());
  check_values(out.state.c, concat({o1.state.c, o2.state.c}, 0).to_vector<double>());
}

TEST_CASE("gradcheck through time: weights, biases and the initial state, two layers") {
  Generator gen(21);
  const Tensor x = randn({2, 3, 3}, gen, f64);
  const Tensor w_out = randn({2, 3, 4}, gen, f64), w_state = randn({2, 2, 4}, gen, f64), w_cell = randn({2, 2, 4}, gen, f64);
  auto weighted = [](const Tensor& t, const Tensor& w) { return sum(t * w); };

  SUBCASE("RNN (tanh and relu)") {
    for (auto act : {nn::RNNNonlinearity::tanh, nn::RNNNonlinearity::relu}) {
      LearnedState<nn::RNN> model(nn::RNN(3, 4, {.nonlinearity = act, .num_layers = 2, .dtype = f64}), 2, gen);
      CHECK_GRADCHECK_INPUTS(9, nn::gradcheck(model, [&] {
        const nn::RNNOutput r = model.rnn->forward_with_state(x, model.h0);
        return weighted(r.output, w_out) + weighted(r.state, w_state);
      }));
    }
  }
  SUBCASE("LSTM") {
    LearnedState<nn::LSTM> model(nn::LSTM(3, 4, {.num_layers = 2, .dtype = f64}), 2, gen);
    CHECK_GRADCHECK_INPUTS(10, nn::gradcheck(model, [&] {
      const nn::LSTMOutput r = model.rnn->forward_with_state(x, {model.h0, model.c0});
      return weighted(r.output, w_out) + weighted(r.state.h, w_state) + weighted(r.state.c, w_cell);
    }));
  }
  SUBCASE("GRU") {
    LearnedState<nn::GRU> model(nn::GRU(3, 4, {.num_layers = 2, .dtype = f64}), 2, gen);
    CHECK_GRADCHECK_INPUTS(9, nn::gradcheck(model, [&] {
      const nn::RNNOutput r = model.rnn->forward_with_state(x, model.h0);
      return weighted(r.output, w_out) + weighted(r.state, w_state);
    }));
  }
  SUBCASE("from a zero state, without biases, with the input's gradient") {
    nn::GRU gru(3, 4, {.num_layers = 2, .bias = false, .dtype = f64});
    CHECK_GRADCHECK_INPUTS(4, nn::gradcheck(gru, [&] { return weighted(gru(x), w_out); }));
    nn::LSTM lstm(3, 4, {.num_layers = 2, .dtype = f64});
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](const Tensor& xs) { return weighted(lstm(xs), w_out); }, {x}));
  }
}

TEST_CASE("float32 training step: gradients reach every parameter and the tape is released") {
  Generator gen(2);
  nn::LSTM lstm(6, 8, {.num_layers = 2, .generator = &gen});
  const Tensor x = randn({4, 5, 6}, gen);
  const TapeStats before = tape_stats();
  sum(lstm(x)).backward();
  for (const nn::NamedTensor& p : lstm.named_parameters()) {
    INFO(p.name);
    REQUIRE(p.tensor.grad().defined());
    CHECK(p.tensor.grad().shape() == p.tensor.shape());
  }
  CHECK(tape_stats().live_records == before.live_records);
}

TEST_CASE("dropout between layers acts in training mode only, and never after the last layer") {
  Generator a(4), b(4), drops(8);
  nn::LSTM with(3, 6, {.num_layers = 2, .dropout = 0.5, .generator = &a});
  nn::LSTM without(3, 6, {.num_layers = 2, .generator = &b});
  const Tensor x = randn({2, 4, 3}, drops);
  with.eval();
  check_values(with(x), without(x).to_vector<double>());
  with.train();
  CHECK(with(x).to_vector<float>() != without(x).to_vector<float>());
  // One layer: nothing to drop.
  Generator c(4), d(4);
  nn::GRU one(3, 6, {.dropout = 0.5, .generator = &c}), plain(3, 6, {.generator = &d});
  check_values(one(x), plain(x).to_vector<double>());
  CHECK(with.describe() == "3 -> 6, 2 layers, dropout 0.5");
}

TEST_CASE("summary and printout list the layer, its output shape and its parameters") {
  nn::Sequential model(nn::LSTM(28, 128), nn::Lambda("LastStep", [](const Tensor& y) { return last_step(y); }),
                       nn::Linear(128, 10));
  const std::string table = model.summary({1, 28, 28});
  check_contains(table, {"0 (LSTM)", "(1, 28, 128)", "80,896", "2 (Linear)", "(1, 10)"});
  std::ostringstream printed;
  printed << nn::GRU(28, 64, {.num_layers = 2, .bias = false});
  check_contains(printed.str(), {"GRU", "28 -> 64, 2 layers, no bias"});
  CHECK(nn::RNN(4, 8, {.nonlinearity = nn::RNNNonlinearity::relu}).describe() == "4 -> 8, relu");
}

TEST_CASE("errors name the layer, what it expected and what came") {
  nn::LSTM lstm(28, 128, {.num_layers = 2});
  check_contains(thrown<ShapeError>([&] { lstm(zeros({28, 64})); }),
                 {"LSTM(28 -> 128, 2 layers): expected an input (N, T, 28) batch-first, got (28, 64)"});
  check_contains(thrown<ShapeError>([&] { lstm(zeros({64, 28, 10})); }),
                 {"LSTM(28 -> 128, 2 layers): expected an input (N, T, 28) batch-first with 28 features on the last axis, got (64, 28, 10)"});
  check_contains(thrown<ShapeError>([&] { lstm(zeros({64, 0, 28})); }), {"at least one step", "(64, 0, 28)"});
  check_contains(thrown<DtypeError>([&] { lstm(zeros({2, 3, 28}, f64)); }), {"LSTM(28 -> 128, 2 layers)", "float64", "float32"});
  check_contains(thrown<InvalidArgument>([&] { lstm(Tensor()); }), {"LSTM(28 -> 128, 2 layers): the input is undefined"});

  const Tensor x = zeros({4, 3, 28});
  check_contains(thrown<ShapeError>([&] { lstm.forward_with_state(x, {zeros({1, 4, 128}), zeros({2, 4, 128})}); }),
                 {"LSTM(28 -> 128, 2 layers): expected an initial state h of shape (2, 4, 128) (num_layers, N, hidden_size), got (1, 4, 128)"});
  check_contains(thrown<ShapeError>([&] { lstm.forward_with_state(x, {zeros({2, 4, 128}), zeros({2, 5, 128})}); }),
                 {"initial state c of shape (2, 4, 128)", "got (2, 5, 128)"});
  check_contains(thrown<DtypeError>([&] { lstm.forward_with_state(x, {.c = zeros({2, 4, 128}, f64)}); }),
                 {"initial state c is float64"});
  nn::GRU gru(3, 5);
  check_contains(thrown<ShapeError>([&] { gru.forward_with_state(zeros({2, 4, 3}), zeros({2, 5})); }),
                 {"GRU(3 -> 5): expected an initial state h of shape (1, 2, 5)", "got (2, 5)"});
  nn::RNN rnn(3, 5, {.nonlinearity = nn::RNNNonlinearity::relu});
  check_contains(thrown<ShapeError>([&] { rnn(zeros({2, 4, 4})); }), {"RNN(3 -> 5, relu): expected an input (N, T, 3)"});

  check_contains(thrown<InvalidArgument>([] { nn::LSTM(0, 4); }),
                 {"LSTM: input_size, hidden_size and num_layers must be positive, got 0, 4 and 1"});
  check_contains(thrown<InvalidArgument>([] { nn::GRU(3, -1); }), {"GRU: ", "got 3, -1 and 1"});
  check_contains(thrown<InvalidArgument>([] { nn::RNN(3, 4, {.num_layers = 0}); }), {"RNN: ", "got 3, 4 and 0"});
  check_contains(thrown<InvalidArgument>([] { nn::LSTM(3, 4, {.dropout = 1.0}); }), {"LSTM: dropout must be in [0, 1), got 1"});
  check_contains(thrown<InvalidArgument>([] { nn::GRU(3, 4, {.dropout = -0.1}); }), {"GRU: dropout must be in [0, 1), got -0.1"});
}
