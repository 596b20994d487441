// Rosenblatt's perceptron, as he built it.
#pragma once

#include <cstdint>
#include <vector>

#include "module.hpp"

namespace tg::nn {

/// The threshold function of a Perceptron.
enum class Step {
  heaviside,  ///< 1 if w·x > 0 else 0; targets in {0, 1}
  sign,       ///< 1 if w·x > 0, −1 if w·x < 0, 0 on the boundary; targets in {−1, 1}
};

/// The result of Perceptron::fit.
struct PerceptronFit {
  bool converged = false;               ///< an epoch ended with no mistake
  int epochs = 0;                       ///< epochs run
  std::vector<std::int64_t> mistakes;   ///< misclassified samples per epoch
};

/// Rosenblatt's perceptron (Rosenblatt, 1958, "The perceptron: a
/// probabilistic model for information storage and organization in the
/// brain"): a threshold linear unit y = step(w·x) with no bias term (append a
/// constant 1 to the inputs for one) and weights starting at zero.
///
/// It is NOT trained by gradients: the step has zero derivative almost
/// everywhere, so the tape has nothing to propagate. It learns by the
/// perceptron learning rule instead, sample by sample:
/// w ← w + η (t − y) x, which moves w only on a mistake. The perceptron
/// convergence theorem (Novikoff, 1962) guarantees a finite number of
/// mistakes on linearly separable data; on data that is not (XOR, Minsky &
/// Papert, 1969) the rule never settles. Its weight is a parameter with
/// requires_grad off, so optimizers leave it alone and summary() counts it
/// as non-trainable.
class Perceptron : public Module {
 public:
  explicit Perceptron(std::int64_t inputs, Step step = Step::heaviside, Dtype dtype = f32);
  /// x (N, inputs) or (inputs,) -> step(x·w), (N,) or a scalar.
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  /// One pass of the learning rule over the samples in order; x (N, inputs),
  /// targets (N,) in {0, 1} (heaviside) or {−1, 1} (sign). Returns the
  /// number of samples misclassified during the pass.
  std::int64_t train_epoch(const Tensor& x, const Tensor& targets, double learning_rate = 1.0);
  /// Epochs of train_epoch until one makes no mistake or `max_epochs` have run.
  PerceptronFit fit(const Tensor& x, const Tensor& targets, int max_epochs = 100, double learning_rate = 1.0);

  std::int64_t inputs;
  Step step;
  Tensor weight;  ///< (inputs,)
};

}  // namespace tg::nn
