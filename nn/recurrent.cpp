// RNN, LSTM and GRU: one loop over layers and steps, the cells written as
// their equations in taped ops; the LSTM's elementwise step is the fused
// primitive lstm_cell (autodiff/nn_ops.hpp).
#include "tapegrad/nn/recurrent.hpp"

#include <cmath>
#include <sstream>

#include "layer_support.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

// Note [one input gemm per layer]
// The input projection x_t W_ihᵀ + b of every step runs as one addmm per
// layer over all N·T rows (x reshaped (N·T, in), both biases folded in);
// each step slices its (N, G·H) rows out and adds the recurrent part with
// addmm(pre_t, h, W_hh), so h W_hhᵀ accumulates onto them in the gemm (beta
// = 1) instead of in an add of its own. In the backward pass every step's
// slice adds its window into the one gradient of the projection in place
// (Note [Accumulating in place] in autodiff/node.hpp): one zero fill of (N,
// T, G·H) and T window additions, O(T·N·G·H) like the rest of the step,
// and then one gemm for dW_ih and one row sum for the bias. (Slice's VJP
// used to write each window into zeros of the whole projection, O(T²·N·G·H),
// which is why this layer once projected each step on its own.) A layer's
// output sequence is stacked (N, T, H) once, as the next layer's input.
//
// Work a zero initial state does not need is skipped: at the first step
// h W_hhᵀ, f ⊙ c and the GRU's z ⊙ h are left out rather than computed on
// zeros.

namespace {

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
  const std::int64_t batch = x.size(0), steps = x.size(1), hidden = hidden_size;
  check_state(h0, "h", batch);
  check_state(c0, "c", batch);
  const std::int64_t gates = weight_ih.front().size(0) / hidden;  // W_ih is (gates·H, in)
  const bool has_bias = !bias_ih.empty();

  Tensor sequence = x;  // (N, T, F): the input, then each layer's output
  std::vector<Tensor> h_n, c_n, outputs;
  outputs.reserve(static_cast<std::size_t>(steps));
  for (std::int64_t k = 0; k < num_layers; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    if (k > 0 && dropout > 0 && is_training()) {
      sequence = tg::dropout(sequence, dropout, generator_ ? *generator_ : default_generator(), true);
    }
    const Tensor& w_ih = weight_ih[ku];
    const Tensor& w_hh = weight_hh[ku];
    // RNN and LSTM add both biases to the same sum: both go into the
    // projection. The GRU keeps b_hh inside r ⊙ (W_hn h + b_hn).
    Tensor input_bias;
    if (has_bias) input_bias = cell_ == Cell::gru ? bias_ih[ku] : bias_ih[ku] + bias_hh[ku];
    const Tensor rows = reshape(sequence, {batch * steps, sequence.size(2)});
    const Tensor projected = reshape(
        input_bias.defined() ? addmm(input_bias, rows, w_ih, false, true) : matmul(rows, w_ih, false, true),
        {batch, steps, gates * hidden});  // see Note [one input gemm per layer]
    auto projected_step = [&](std::int64_t t) {
      return reshape(slice(projected, 1, t, t + 1), {batch, gates * hidden});
    };
    Tensor h = layer_state(h0, k), c = layer_state(c0, k);  // undefined: zeros
    outputs.clear();

    if (cell_ == Cell::gru) {
      const Tensor b_hh = has_bias ? bias_hh[ku] : Tensor();
      for (std::int64_t t = 0; t < steps; ++t) {
        const Tensor gi = projected_step(t);  // (N, 3H): [r z n] input parts with b_ih
        // The recurrent parts; with a zero state just the bias (3H,), or nothing.
        Tensor gh;
        if (h.defined()) gh = has_bias ? addmm(b_hh, h, w_hh, false, true) : matmul(h, w_hh, false, true);
        else if (has_bias) gh = b_hh;
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
        outputs.push_back(h);
      }
    } else {
      for (std::int64_t t = 0; t < steps; ++t) {
        Tensor pre = projected_step(t);  // (N, G·H)
        if (h.defined()) pre = addmm(std::move(pre), h, w_hh, false, true);  // pre's buffer becomes the sum's
        if (cell_ == Cell::lstm) {
          const Tensor hc = lstm_cell(pre, c);  // [h | c]; c undefined is a zero state
          h = slice(hc, -1, 0, hidden);
          c = slice(hc, -1, hidden, 2 * hidden);
        } else {
          h = cell_ == Cell::rnn_relu ? relu(pre) : tanh(pre);
        }
        outputs.push_back(h);
      }
    }
    // A zero state stays undefined only for a sequence of no steps, which check_input refuses.
    h_n.push_back(h);
    if (cell_ == Cell::lstm) c_n.push_back(c);
    sequence = stack(outputs, 1);  // T x (N, H) -> (N, T, H)
  }
  Run result;
  result.output = sequence;
  result.h = stack(h_n, 0);  // L x (N, H) -> (L, N, H)
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
