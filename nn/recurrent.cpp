// RNN, LSTM and GRU: one loop over layers and steps, the cells written as
// their equations in taped ops.
#include "tapegrad/nn/recurrent.hpp"

#include <cmath>
#include <sstream>

#include "layer_support.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

// Note [one input gemm per step]
// The input projection x_t W_ihᵀ could run as one gemm per layer over all
// N·T rows, then be cut into steps with slice. But slice's VJP writes its
// gradient into zeros of the whole sliced tensor: T slices of an (N·T, G·H)
// projection cost T full-size fills and additions in the backward pass,
// O(T²·N·G·H); for LSTM(28 -> 128), T = 28, N = 64 on one thread that made
// forward + backward 15-40% slower (1 and 2 layers) than what follows, and
// it grows with T. So each step projects its own input, (N, in) x
// W_ihᵀ with the transpose flag: the same multiplications, no quadratic
// term. The steps of the first layer are slices of x, which usually needs
// no gradient (then nothing about them is recorded; when it does, the
// quadratic term is O(T²·N·in), on in features rather than G·H); the steps
// of the layers above are the tensors the layer below produced, never
// sliced. A split op whose VJP is a concat would remove both.
//
// Work a zero initial state does not need is skipped: at the first step
// h W_hhᵀ, f ⊙ c and the GRU's z ⊙ h are left out rather than computed on
// zeros.

namespace {

// (N, T, F) -> the T steps (N, F).
std::vector<Tensor> steps_of(const Tensor& x) {
  const std::int64_t n = x.size(0), t_max = x.size(1), f = x.size(2);
  std::vector<Tensor> steps;
  steps.reserve(static_cast<std::size_t>(t_max));
  for (std::int64_t t = 0; t < t_max; ++t) steps.push_back(reshape(slice(x, 1, t, t + 1), {n, f}));
  return steps;
}

// Layer k's (N, H) of a state (num_layers, N, H); undefined (zeros) stays
// undefined.
Tensor layer_state(const Tensor& state, std::int64_t k) {
  if (!state.defined()) return {};
  return reshape(slice(state, 0, k, k + 1), {state.size(1), state.size(2)});
}

// The G·H columns [g·H, (g + 1)·H) of a gate tensor (N, G·H) or bias (G·H,).
Tensor gate(const Tensor& gates, std::int64_t g, std::int64_t hidden) {
  return slice(gates, -1, g * hidden, (g + 1) * hidden);
}

}  // namespace

RecurrentBase::RecurrentBase(std::string type_name, Cell cell, std::int64_t input, std::int64_t hidden,
                             const RecurrentOptions& options)
    : Module(type_name),
      input_size(input),
      hidden_size(hidden),
      num_layers(options.num_layers),
      dropout(options.dropout),
      cell_(cell),
      generator_(options.generator) {
  if (input <= 0 || hidden <= 0 || options.num_layers <= 0) {
    throw InvalidArgument(type_name + ": input_size, hidden_size and num_layers must be positive, got " +
                          std::to_string(input) + ", " + std::to_string(hidden) + " and " +
                          std::to_string(options.num_layers));
  }
  if (!(options.dropout >= 0 && options.dropout < 1)) {
    std::ostringstream got;
    got << options.dropout;
    throw InvalidArgument(type_name + ": dropout must be in [0, 1), got " + got.str());
  }
  const std::int64_t gates = cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;
  if (std::int64_t rows = 0; __builtin_mul_overflow(gates, hidden, &rows)) {
    throw ShapeError(type_name + ": hidden_size " + std::to_string(hidden) + " has too many elements for " +
                     std::to_string(gates) + " gates (their weights' rows overflow int64)");
  }
  // PyTorch's reset_parameters: U(−1/√H, 1/√H) for everything, in registration order.
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  Generator& gen = generator_ ? *generator_ : default_generator();
  auto drawn = [&](const Shape& shape) { return uniform(shape, -bound, bound, gen, options.dtype); };
  for (std::int64_t k = 0; k < num_layers; ++k) {
    const std::string l = "_l" + std::to_string(k);
    const std::int64_t in = k == 0 ? input : hidden;
    weight_ih.push_back(register_parameter("weight_ih" + l, drawn({gates * hidden, in})));
    weight_hh.push_back(register_parameter("weight_hh" + l, drawn({gates * hidden, hidden})));
    if (options.bias) {
      bias_ih.push_back(register_parameter("bias_ih" + l, drawn({gates * hidden})));
      bias_hh.push_back(register_parameter("bias_hh" + l, drawn({gates * hidden})));
    }
  }
}

std::string RecurrentBase::describe() const {
  std::ostringstream out;
  out << input_size << " -> " << hidden_size;
  if (num_layers > 1) out << ", " << num_layers << " layers";
  if (cell_ == Cell::rnn_relu) out << ", relu";
  if (bias_ih.empty()) out << ", no bias";
  if (dropout > 0) out << ", dropout " << dropout;
  return out.str();
}

std::string RecurrentBase::name() const { return detail::layer_name(*this); }

void RecurrentBase::check_input(const Tensor& x) const {
  const std::string expected = "an input (N, T, " + std::to_string(input_size) + ") batch-first";
  detail::check_rank(x, 3, false, *this, [&] { return expected; });
  if (x.size(2) != input_size) {
    throw ShapeError(name() + ": expected " + expected + " with " + std::to_string(input_size) +
                     " features on the last axis, got " + x.shape().str());
  }
  if (x.size(1) == 0) throw ShapeError(name() + ": expected " + expected + " with at least one step, got " + x.shape().str());
  if (x.dtype() != weight_ih.front().dtype()) {
    throw DtypeError(name() + ": the input is " + dtype_name(x.dtype()) + " but the parameters are " +
                     dtype_name(weight_ih.front().dtype()) + " (convert the input, or the layer with to())");
  }
}

void RecurrentBase::check_state(const Tensor& state, const char* what, std::int64_t batch) const {
  if (!state.defined()) return;
  const Shape expected{num_layers, batch, hidden_size};
  if (state.shape() != expected) {
    throw ShapeError(name() + ": expected an initial state " + what + " of shape " + expected.str() +
                     " (num_layers, N, hidden_size), got " + state.shape().str());
  }
  if (state.dtype() != weight_ih.front().dtype()) {
    throw DtypeError(name() + ": the initial state " + what + " is " + dtype_name(state.dtype()) +
                     " but the parameters are " + dtype_name(weight_ih.front().dtype()));
  }
}

RecurrentBase::Run RecurrentBase::run(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  check_input(x);
  const std::int64_t batch = x.size(0), hidden = hidden_size;
  check_state(h0, "h", batch);
  check_state(c0, "c", batch);

  std::vector<Tensor> steps = steps_of(x);  // (N, in) each; the layer's output replaces them
  std::vector<Tensor> h_n, c_n;
  for (std::int64_t k = 0; k < num_layers; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    if (k > 0 && dropout > 0 && is_training()) {
      Generator& gen = generator_ ? *generator_ : default_generator();
      for (Tensor& s : steps) s = tg::dropout(s, dropout, gen, true);
    }
    const Tensor& w_ih = weight_ih[ku];
    const Tensor& w_hh = weight_hh[ku];
    const bool has_bias = !bias_ih.empty();
    Tensor h = layer_state(h0, k), c = layer_state(c0, k);  // undefined: zeros

    if (cell_ == Cell::gru) {
      const Tensor b_ih = has_bias ? bias_ih[ku] : Tensor(), b_hh = has_bias ? bias_hh[ku] : Tensor();
      for (Tensor& x_t : steps) {
        Tensor gi = matmul(x_t, w_ih, false, true);  // (N, 3H): [r z n] input parts
        if (has_bias) gi = gi + b_ih;
        // The recurrent parts; with a zero state just the bias (3H,), or nothing.
        Tensor gh = h.defined() ? matmul(h, w_hh, false, true) : Tensor();
        if (has_bias) gh = gh.defined() ? gh + b_hh : b_hh;
        Tensor n_pre = gate(gi, 2, hidden);
        Tensor z;
        if (gh.defined()) {
          const Tensor rz = sigmoid(slice(gi, 1, 0, 2 * hidden) + slice(gh, -1, 0, 2 * hidden));  // (N, 2H)
          z = gate(rz, 1, hidden);
          n_pre = n_pre + gate(rz, 0, hidden) * gate(gh, 2, hidden);
        } else {
          z = sigmoid(gate(gi, 1, hidden));
        }
        const Tensor n = tanh(n_pre);
        // (1 − z) ⊙ n + z ⊙ h, as n + z ⊙ (h − n): one op fewer.
        h = h.defined() ? n + z * (h - n) : n - z * n;
        x_t = h;
      }
    } else {
      // RNN and LSTM add both biases to the same sum: add them once.
      const Tensor bias = has_bias ? bias_ih[ku] + bias_hh[ku] : Tensor();
      for (Tensor& x_t : steps) {
        Tensor pre = matmul(x_t, w_ih, false, true);  // (N, G·H)
        if (has_bias) pre = pre + bias;
        if (h.defined()) pre = pre + matmul(h, w_hh, false, true);
        if (cell_ == Cell::lstm) {
          const Tensor i = sigmoid(gate(pre, 0, hidden));
          const Tensor g = tanh(gate(pre, 2, hidden));
          const Tensor o = sigmoid(gate(pre, 3, hidden));
          c = c.defined() ? sigmoid(gate(pre, 1, hidden)) * c + i * g : i * g;
          h = o * tanh(c);
        } else {
          h = cell_ == Cell::rnn_relu ? relu(pre) : tanh(pre);
        }
        x_t = h;
      }
    }
    // A zero state stays undefined only for a sequence of no steps, which check_input refuses.
    h_n.push_back(h);
    if (cell_ == Cell::lstm) c_n.push_back(c);
  }
  Run result;
  result.output = stack(steps, 1);  // T x (N, H) -> (N, T, H)
  result.h = stack(h_n, 0);         // L x (N, H) -> (L, N, H)
  if (cell_ == Cell::lstm) result.c = stack(c_n, 0);
  return result;
}

Tensor RecurrentBase::forward(const Tensor& x) { return run(x, {}, {}).output; }

RNN::RNN(std::int64_t input, std::int64_t hidden, const RNNOptions& o)
    : RecurrentBase("RNN", o.nonlinearity == RNNNonlinearity::relu ? Cell::rnn_relu : Cell::rnn_tanh, input, hidden,
                    {.num_layers = o.num_layers, .bias = o.bias, .dropout = o.dropout, .dtype = o.dtype,
                     .generator = o.generator}),
      nonlinearity(o.nonlinearity) {}

RNNOutput RNN::forward_with_state(const Tensor& x, const Tensor& initial_state) {
  Run r = run(x, initial_state, {});
  return {std::move(r.output), std::move(r.h)};
}

LSTM::LSTM(std::int64_t input, std::int64_t hidden, const LSTMOptions& options)
    : RecurrentBase("LSTM", Cell::lstm, input, hidden, options) {}

LSTMOutput LSTM::forward_with_state(const Tensor& x, const LSTMState& initial_state) {
  Run r = run(x, initial_state.h, initial_state.c);
  return {std::move(r.output), {std::move(r.h), std::move(r.c)}};
}

GRU::GRU(std::int64_t input, std::int64_t hidden, const GRUOptions& options)
    : RecurrentBase("GRU", Cell::gru, input, hidden, options) {}

RNNOutput GRU::forward_with_state(const Tensor& x, const Tensor& initial_state) {
  Run r = run(x, initial_state, {});
  return {std::move(r.output), std::move(r.h)};
}

}  // namespace tg::nn
