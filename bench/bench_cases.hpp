// What the tapegrad side and the libtorch side of bench_mlp share: the
// initial values of a case (so both compute the very same step) and the
// interface of a runnable case; then what each side offers the case drivers
// (tapegrad_cases.cpp, torch_cases.cpp). No tapegrad or torch header here, so
// that torch_cases.cpp compiles against libtorch alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

/// Everything an MLP training step needs, as plain values.
struct MlpInit {
  std::vector<std::int64_t> sizes;           // {784, 256, 128, 10}
  std::vector<std::vector<float>> weights;   // W_l, shape (sizes[l], sizes[l+1]), row-major
  std::vector<std::vector<float>> biases;    // b_l, shape (sizes[l+1])
  std::int64_t batch = 0;
  std::vector<float> x;                      // (batch, sizes[0])
  std::vector<std::int64_t> labels;          // (batch), in [0, sizes.back())
  float lr = 0.01f;
};

/// The layer-built cases (DESIGN.md "Performance"): each side builds the
/// model from its own nn modules, then overwrites every parameter, in the
/// order of parameters() (the same order and PyTorch layouts on both sides),
/// with these values.
enum class ModelKind {
  deep_mlp,  // 64 -> 20 hidden Linear(64)+ReLU -> 10, cross-entropy, batch 32
  cnn,       // conv(1->8,3x3,pad 1)-ReLU-maxpool 2-conv(8->16,3x3,pad 1)-ReLU-maxpool 2-linear(784->10), CE, batch 64
  rnn_tanh,  // RNN(32 -> 64, tanh), 50 steps, batch 16, MSE of h_n against a target
  lstm,      // LSTM(28 -> 128), 28 steps, batch 64, linear(128->10) on h_n, CE
};

struct ModelInit {
  ModelKind kind = ModelKind::deep_mlp;
  std::vector<std::vector<std::int64_t>> param_shapes;
  std::vector<std::vector<float>> params;
  std::vector<std::int64_t> x_shape;
  std::vector<float> x;
  std::vector<std::int64_t> target_shape;  // MSE target (rnn_tanh)
  std::vector<float> target;
  std::vector<std::int64_t> labels;        // class indices (the other cases)
  float lr = 0.01f;
};

/// "CNN b64" and so on, for the report.
const char* model_name(ModelKind kind);

/// One benchmark case of one implementation: `step()` is what is timed.
class Runner {
 public:
  virtual ~Runner() = default;
  virtual void step() = 0;
  /// Loss of the last step (MLP cases; 0 otherwise). Not called while timing.
  virtual double last_loss() const { return 0.0; }
  /// Σ|p| over all parameters, to check that two implementations agree.
  virtual double param_checksum() const { return 0.0; }
};

/// The per-op overhead case: a chain of elementwise ops on a 1-element tensor.
enum class ChainMode {
  forward_backward,  // record the chain, then backward (the headline figure)
  forward_recorded,  // record the chain, drop it without backward
  forward_no_grad,   // the same ops with recording off
};

/// Alternates y*1.0001 and y+0.0001, `n_ops` ops in all.
inline constexpr double kChainMul = 1.0001;
inline constexpr double kChainAdd = 0.0001;

/// The 784-256-128-10 MLP at `batch`, He-initialised from `seed`, with
/// random inputs and labels (made with tapegrad's generator).
MlpInit make_mlp_init(std::int64_t batch, std::uint64_t seed);

namespace tapegrad_side {
/// The MLP step: matmul + bias, relu, mean(logsumexp - gather), backward,
/// raw SGD loop, grad reset.
std::unique_ptr<Runner> make_mlp(const MlpInit& init);
/// The same model as a tapegrad user would write it: addmm (bias accumulated
/// by the gemm) and nn::cross_entropy.
std::unique_ptr<Runner> make_mlp_idiomatic(const MlpInit& init);
std::unique_ptr<Runner> make_chain(int n_ops, ChainMode mode);
/// Builds the tapegrad model of `kind` to learn its parameter shapes, and
/// fills every parameter, the input and the targets from `seed`.
ModelInit make_model_init(ModelKind kind, std::uint64_t seed);
/// The training step with nn layers and losses, SGD on the raw buffers.
std::unique_ptr<Runner> make_model(const ModelInit& init);
}  // namespace tapegrad_side

// The gemms of one training step alone in OpenBLAS: the floor a step is
// held to. Defined in tapegrad_cases.cpp.
class GemmFloor : public Runner {
 public:
  /// The 8 gemms of the MLP step, with the shapes and transpose flags
  /// tapegrad's matmul and its VJPs use (x does not require grad, so there is
  /// no dx): forward x·W1, h1·W2, h2·W3; backward dW3 = h2ᵀ·g3, dh2 = g3·W3ᵀ,
  /// dW2 = h1ᵀ·g2, dh1 = g2·W2ᵀ, dW1 = xᵀ·g1.
  static GemmFloor mlp(std::int64_t batch);
  /// The fewest gemms an LSTM(in -> hidden) step over `steps` steps, batch
  /// `batch`, plus a linear head of `classes` can do, each at its most
  /// efficient: the input projection of all steps in one gemm, one recurrent
  /// gemm per step after the first, the head; backward the head's two, dh per
  /// step, and dW_hh and dW_ih each in one gemm over all steps' rows.
  static GemmFloor lstm(std::int64_t batch, std::int64_t steps, std::int64_t in, std::int64_t hidden,
                        std::int64_t classes);
  void step() override;
  std::size_t count() const { return gemms_.size(); }
  double flops() const;

 private:
  struct Gemm {
    bool ta, tb;
    int m, n, k;
    std::vector<float> a, b, c;
  };
  void add(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k);
  std::vector<Gemm> gemms_;
};

#ifdef TAPEGRAD_BENCH_TORCH
namespace torch_side {
/// "libtorch 1.13.0, ATen parallel backend OpenMP" or similar.
std::string describe();
void set_threads(int n);
/// The MLP step written with the same primitives as tapegrad's:
/// matmul + bias, relu, mean(logsumexp - gather), backward, raw SGD loop, grad reset.
std::unique_ptr<Runner> make_mlp(const MlpInit& init);
/// The same model as a libtorch user would write it: addmm (bias fused into
/// the gemm) and F::cross_entropy (fused log_softmax + nll_loss kernels).
std::unique_ptr<Runner> make_mlp_idiomatic(const MlpInit& init);
std::unique_ptr<Runner> make_chain(int n_ops, ChainMode mode);
/// The same model with torch::nn modules and losses.
std::unique_ptr<Runner> make_model(const ModelInit& init);
/// A tiny op with autograd, so that lazy one-time initialisation is not
/// counted as memory added by training.
void warm_up();
}  // namespace torch_side
#endif

}  // namespace bench
