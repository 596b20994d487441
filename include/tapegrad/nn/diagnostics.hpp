// Diagnostics: the failure modes of training made visible. Gradient and
// weight norms per layer (vanishing and exploding gradients), dead ReLU
// units, saturated sigmoid and tanh units, and a check that the output
// activation fits the loss. A Diagnostics object watches a model through
// forward hooks and records all of it per batch and per epoch, as a table or
// as History columns that fit writes and plots (through optim::callback, in
// optim/diagnostics_callback.hpp):
//
//     nn::Diagnostics diag(model);
//     std::cout << nn::check_output_and_loss(model, nn::LossKind::cross_entropy).size();
//     auto result = optim::fit(model, loss, opt, loader, {.callbacks = {optim::callback(diag)}});
//     std::cout << diag.report();
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "module.hpp"

namespace tg::nn {

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// --- gradient and weight norms ----------------------------------------------------

/// The norms of one module that owns parameters, over its own parameters
/// (not its submodules'): ‖θ‖₂ and ‖∇θ‖₂, each the square root of the sum of
/// squares of all its parameters' elements.
struct LayerGradient {
  std::string name;  ///< dotted path ("0", "fc1"); "" for the model itself
  std::string type;  ///< "Linear"
  std::int64_t parameters = 0;
  double weight_norm = 0;
  double grad_norm = 0;  ///< 0 when no parameter of it has a gradient
  bool has_grad = false;
};

/// When gradient_report flags a run. The ratio is ‖∇ first layer‖ / ‖∇ last layer‖.
struct GradientOptions {
  /// Vanishing: the first layer's gradient norm is below this times the last's.
  double vanishing_below = 1e-3;
  /// Exploding: the first layer's gradient norm is above this times the last's.
  double exploding_above = 1e3;
};

struct GradientReport {
  /// Modules that own parameters, in forward order (registration order for
  /// gradient_report(model); the order they ran in for Diagnostics).
  std::vector<LayerGradient> layers;
  /// ‖∇ first‖ / ‖∇ last‖ over the layers that have a gradient; NaN with
  /// fewer than two such layers or a last gradient of 0.
  double first_last_ratio = kNotMeasured;
  bool vanishing = false;
  bool exploding = false;  ///< also set by any non-finite norm
  bool non_finite = false;
  /// One sentence per problem, each saying what to try.
  std::vector<std::string> warnings;

  bool ok() const { return warnings.empty(); }
  /// A table (layer, type, parameters, weight norm, gradient norm, their
  /// ratio), the first/last ratio and the warnings.
  std::string str() const;
};

/// The norms of every module of `model` that owns parameters, after
/// backward(), with the vanishing/exploding flags.
GradientReport gradient_report(const Module& model, const GradientOptions& options = {});
/// The same for the given modules, taken in this (forward) order.
GradientReport gradient_report(const std::vector<NamedModule>& layers, const GradientOptions& options = {});

// --- activations --------------------------------------------------------------------

/// The share of units of a ReLU output `y` that are 0 for every example:
/// y (N, ...) has N examples of numel/N units each; a tensor of rank 0 or 1
/// is one example. NaN for an empty tensor.
double dead_unit_fraction(const Tensor& relu_output);

/// Activations that squash into a bounded range.
enum class Squashing { sigmoid, tanh };

/// The share of values within `epsilon` of the asymptotes, where the
/// derivative nearly vanishes: y < ε or y > 1 − ε for sigmoid, |y| > 1 − ε
/// for tanh. NaN for an empty tensor.
double saturated_fraction(const Tensor& output, Squashing kind, double epsilon = 0.01);

/// What Diagnostics saw of one ReLU, Sigmoid or Tanh module.
struct ActivationStats {
  std::string name;  ///< dotted path
  std::string type;  ///< "ReLU", "Sigmoid", "Tanh"
  std::int64_t units = 0;  ///< per example, in the last batch
  std::int64_t batches = 0;  ///< forward passes seen this epoch
  /// ReLU: share of units 0 for every example of the last batch, and of
  /// every batch of the epoch (NaN otherwise).
  double dead_batch = kNotMeasured;
  double dead_epoch = kNotMeasured;
  /// Sigmoid, Tanh: share of saturated outputs in the last batch and over
  /// the epoch (NaN otherwise).
  double saturated_batch = kNotMeasured;
  double saturated_epoch = kNotMeasured;
};

// --- output activation and loss -------------------------------------------------------

/// The losses of nn/losses.hpp, for check_output_and_loss.
enum class LossKind {
  mse,              ///< mse_loss (regression)
  l1,               ///< l1_loss (regression)
  huber,            ///< huber_loss (regression)
  cross_entropy,    ///< cross_entropy, on logits
  nll,              ///< nll_loss, on log-probabilities
  bce,              ///< binary_cross_entropy, on probabilities
  bce_with_logits,  ///< binary_cross_entropy_with_logits, on logits
};

/// "mse_loss", "cross_entropy", ...: the function's name in tg::nn.
const char* loss_kind_name(LossKind loss);

/// Warnings, each saying what to use instead, when the module that ends
/// `model` does not fit `loss`: regression behind Sigmoid, Tanh, ReLU or
/// Softmax; cross_entropy behind Softmax (a double softmax) or a bounded
/// activation; nll_loss without LogSoftmax; binary_cross_entropy without
/// Sigmoid; binary_cross_entropy_with_logits behind Sigmoid (a double
/// sigmoid); ... A fitting pair gives none. The end of the model is found
/// from its structure: the last module of a Sequential (nested ones
/// included), past Dropout, Flatten and Identity. A custom module's forward
/// is not visible, so a model ending in one gives no warning.
std::vector<std::string> check_output_and_loss(const Module& model, LossKind loss);

// --- all of it, per batch and per epoch ----------------------------------------------

struct DiagnosticsOptions {
  GradientOptions gradients{};
  /// See saturated_fraction.
  double saturation_epsilon = 0.01;
  /// report() warns when a ReLU has more than this share of units dead over
  /// the epoch, or a Sigmoid/Tanh more than this share of outputs saturated.
  double dead_warning = 0.5;
  double saturation_warning = 0.5;
  /// Skip forward passes in evaluation mode (fit's validation).
  bool training_only = true;
};

/// Watches `model` through forward hooks on its ReLU, Sigmoid and Tanh
/// modules (dead units, saturation) and on the modules that own parameters
/// (their forward order), until it is destroyed. Gradient norms are taken by
/// record_gradients() after each backward, which optim::callback(*this)
/// does after every batch of fit. The model must outlive it.
class Diagnostics {
 public:
  explicit Diagnostics(Module& model, DiagnosticsOptions options = {});
  ~Diagnostics();
  Diagnostics(Diagnostics&&) noexcept;
  Diagnostics& operator=(Diagnostics&&) noexcept;
  Diagnostics(const Diagnostics&) = delete;
  Diagnostics& operator=(const Diagnostics&) = delete;

  /// Starts an epoch: the per-epoch statistics start again.
  void begin_epoch();
  /// Takes the gradient and weight norms now (after backward, before the
  /// gradients are dropped) into the batch and epoch record.
  const GradientReport& record_gradients();
  /// The last record_gradients() (empty before the first).
  const GradientReport& gradients() const;
  /// Each watched activation module, in the order they ran.
  std::vector<ActivationStats> activations() const;

  /// Over the epoch: the mean gradient norm of the first and of the last
  /// layer over the recorded batches; the share of all ReLU units dead in
  /// every batch; the share of all Sigmoid/Tanh outputs saturated. NaN when
  /// not measured (no batch recorded, no such module).
  double grad_norm_first() const;
  double grad_norm_last() const;
  double dead_relu_fraction() const;
  double saturation() const;

  /// The gradient report's warnings, then dead and saturated activations.
  std::vector<std::string> warnings() const;
  /// Tables: layers (norms) and activations (dead, saturated), then warnings.
  std::string report() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::vector<HookHandle> hooks_;
};

}  // namespace tg::nn
