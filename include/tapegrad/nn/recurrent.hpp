// Recurrent layers: RNN, LSTM and GRU with PyTorch's equations, parameter
// names and layouts, so a checkpoint maps to torch.nn.RNN/LSTM/GRU one to
// one. Batch-first: inputs are (N, T, features). The tape does
// backpropagation through time; no layer here writes a gradient.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../autodiff/creation.hpp"
#include "module.hpp"

namespace tg::nn {

/// The options of LSTM and GRU: `nn::LSTM(28, 128, {.num_layers = 2})`.
struct RecurrentOptions {
  /// Stacked layers: layer k > 0 reads the output sequence of layer k − 1.
  std::int64_t num_layers = 1;
  /// bias_ih_l{k} and bias_hh_l{k} (both, as in PyTorch), or neither.
  bool bias = true;
  /// Dropout on the outputs of every layer but the last, in training mode
  /// only (PyTorch's `dropout`); in [0, 1).
  double dropout = 0.0;
  Dtype dtype = f32;
  /// Draws the initial weights and the dropout masks; the calling thread's
  /// default_generator() when null. It must outlive the layer.
  Generator* generator = nullptr;
};
using LSTMOptions = RecurrentOptions;
using GRUOptions = RecurrentOptions;

/// The nonlinearity of the plain RNN cell.
enum class RNNNonlinearity { tanh, relu };

/// The options of RNN: RecurrentOptions and the nonlinearity,
/// `nn::RNN(10, 20, {.nonlinearity = nn::RNNNonlinearity::relu})`.
struct RNNOptions {
  RNNNonlinearity nonlinearity = RNNNonlinearity::tanh;
  std::int64_t num_layers = 1;
  bool bias = true;
  double dropout = 0.0;
  Dtype dtype = f32;
  Generator* generator = nullptr;
};

/// What RNN::forward_with_state and GRU::forward_with_state return.
struct RNNOutput {
  Tensor output;  ///< (N, T, H): the last layer's h_t at every step
  Tensor state;   ///< h_n (num_layers, N, H): every layer's h at the last step
};

/// The state of an LSTM: hidden state and cell state, each
/// (num_layers, N, H). An undefined member means zeros.
struct LSTMState {
  Tensor h = {};  // initialised, so `{.c = c0}` leaves h out without a warning
  Tensor c = {};
};

/// What LSTM::forward_with_state returns.
struct LSTMOutput {
  Tensor output;    ///< (N, T, H): the last layer's h_t at every step
  LSTMState state;  ///< h_n and c_n, each (num_layers, N, H)
};

/// What RNN, LSTM and GRU share: the sizes, the parameters of every layer,
/// the input checks and the loop over layers and steps.
///
/// Layer k has weight_ih_l{k} (G·H, in_k), weight_hh_l{k} (G·H, H) and, with
/// a bias, bias_ih_l{k} and bias_hh_l{k} (G·H,), where G is the number of
/// gates (1 for RNN, 4 for LSTM, 3 for GRU), H = hidden_size, in_0 =
/// input_size and in_k = H above. A layer has G·H·(in_k + H) + 2·G·H
/// parameters with biases, as in PyTorch.
///
/// Initialisation is PyTorch's: every weight and bias uniform in
/// (−1/√H, 1/√H), drawn in registration order (weight_ih_l0, weight_hh_l0,
/// bias_ih_l0, bias_hh_l0, weight_ih_l1, ...). It is the choice that keeps
/// a model trained here comparable with one trained in PyTorch; for Keras's
/// (glorot_uniform input weights, orthogonal recurrent weights, LSTM forget
/// bias 1) overwrite the tensors after construction, e.g. with nn::init.
class RecurrentBase : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  /// "28 -> 128, 2 layers, relu, no bias, dropout 0.2" (only what differs
  /// from one layer, tanh, biases and no dropout).
  std::string describe() const override;

  std::int64_t input_size, hidden_size, num_layers;
  double dropout;
  /// Index k holds the tensor registered as weight_ih_l{k} (bias_hh_l{k}, ...);
  /// the biases are empty without a bias.
  std::vector<Tensor> weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  enum class Cell { rnn_tanh, rnn_relu, lstm, gru };
  RecurrentBase(std::string type_name, Cell cell, std::int64_t input_size, std::int64_t hidden_size,
                const RecurrentOptions& options);

  /// The output sequence, h_n and (for the LSTM) c_n, from the initial
  /// states h0 and c0 (num_layers, N, H), zeros when undefined.
  struct Run {
    Tensor output, h, c;
  };
  Run run(const Tensor& x, const Tensor& h0, const Tensor& c0);

 private:
  std::string name() const;
  void check_input(const Tensor& x) const;
  void check_state(const Tensor& state, const char* what, std::int64_t batch) const;

  Cell cell_;
  Generator* generator_;
};

/// Elman RNN, for each layer and step:
///   h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),  act = tanh or relu.
/// x (N, T, input_size) -> (N, T, hidden_size).
class RNN : public RecurrentBase {
 public:
  RNN(std::int64_t input_size, std::int64_t hidden_size, const RNNOptions& options = {});
  /// The output sequence and h_n, from `initial_state` h_0 (num_layers, N, H)
  /// or zeros when it is undefined.
  RNNOutput forward_with_state(const Tensor& x, const Tensor& initial_state = {});

  RNNNonlinearity nonlinearity;
};

/// Long short-term memory (Hochreiter & Schmidhuber, 1997; PyTorch's form
/// with a forget gate), gates in PyTorch's order i, f, g, o:
///   [i f g o] = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh   (N, 4H), split in four
///   i, f, o = σ(·),  g = tanh(·)
///   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t).
/// x (N, T, input_size) -> (N, T, hidden_size).
class LSTM : public RecurrentBase {
 public:
  LSTM(std::int64_t input_size, std::int64_t hidden_size, const LSTMOptions& options = {});
  /// The output sequence and (h_n, c_n), from `initial_state` (each member
  /// (num_layers, N, H), zeros when undefined).
  LSTMOutput forward_with_state(const Tensor& x, const LSTMState& initial_state = {});
};

/// Gated recurrent unit (Cho et al., 2014; PyTorch's form, the reset gate
/// applied after the recurrent product), gates in the order r, z, n:
///   r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
///   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
/// x (N, T, input_size) -> (N, T, hidden_size).
class GRU : public RecurrentBase {
 public:
  GRU(std::int64_t input_size, std::int64_t hidden_size, const GRUOptions& options = {});
  /// The output sequence and h_n, from `initial_state` h_0 (num_layers, N, H)
  /// or zeros when it is undefined.
  RNNOutput forward_with_state(const Tensor& x, const Tensor& initial_state = {});
};

}  // namespace tg::nn
