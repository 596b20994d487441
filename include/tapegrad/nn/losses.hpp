// Losses: compositions of taped ops, so the tape differentiates them (and
// their gradients, to any order). Names and semantics follow PyTorch's
// torch.nn.functional.
//
// The prediction and the target of an elementwise loss must have the same
// shape: a loss never broadcasts them. Broadcasting a (N, 1) prediction
// against (N,) targets would compare every prediction with every target, an
// (N, N) loss whose mean trains the wrong thing without any error; tapegrad
// throws instead.
//
// tests/reliability/test_bad_input.cpp reads the ops of this header from the
// declarations at column 0 (return type and name on the first line; see
// tests/reliability/public_api.hpp) and requires a bad-input case for each.
#pragma once

#include "../autodiff/errors.hpp"
#include "../autodiff/tensor.hpp"

namespace tg::nn {

/// How a loss reduces its per-element values ℓ: their mean (the default),
/// their sum, or none (ℓ itself, one value per element or per sample).
enum class Reduction { mean, sum, none };

/// "mean", "sum" or "none".
const char* reduction_name(Reduction reduction);

/// Mean squared error: ℓ = (pred − target)².
/// pred and target of one shape and float dtype.
Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::mean,
                Site site = Site::current());

/// Mean absolute error (L1): ℓ = |pred − target|; the gradient at
/// pred == target is 0.
Tensor l1_loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::mean,
               Site site = Site::current());

/// Huber loss, with d = pred − target:
/// ℓ = ½·d² where |d| < delta, delta·(|d| − ½·delta) elsewhere;
/// quadratic near 0, linear (gradient ±delta) for outliers. delta > 0.
Tensor huber_loss(const Tensor& pred, const Tensor& target, double delta = 1.0,
                  Reduction reduction = Reduction::mean, Site site = Site::current());

/// Binary cross-entropy on probabilities p in [0, 1] (checked: logits here
/// are a common mistake, use binary_cross_entropy_with_logits for them):
/// ℓ = −(t·log p + (1 − t)·log(1 − p)), each log floored at −100 (PyTorch's
/// rule), so p = 0 or 1 gives a finite loss (at most 100) and a finite
/// gradient (0 where the floor applies).
Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target,
                            Reduction reduction = Reduction::mean, Site site = Site::current());

/// Binary cross-entropy on logits x, i.e. binary_cross_entropy(sigmoid(x), t)
/// without its rounding:
/// ℓ = softplus(x) − x·t = max(x, 0) − x·t + log(1 + e^−|x|).
/// Stable at any |x| (no exp overflows, no log of 0), and its gradient is
/// σ(x) − t everywhere, x = 0 included.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean,
                                        Site site = Site::current());

/// Cross-entropy from logits (N, C), through log_softmax (stable at any
/// magnitude). `labels` are either
/// - int64 class indices of shape (N,), each in [0, C): ℓ_n = −log_softmax(x)_{n, y_n};
/// - class probabilities q of shape (N, C) in the logits' dtype:
///   ℓ_n = −Σ_c q_{n,c}·log_softmax(x)_{n,c}.
/// With label_smoothing ε in [0, 1] the target becomes (1 − ε)·target + ε/C
/// (Szegedy et al., 2016): ℓ_n = (1 − ε)·ℓ_n + ε·(−(1/C)·Σ_c log_softmax(x)_{n,c}).
/// Reduction::none gives ℓ of shape (N,); mean divides by N.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction = Reduction::mean,
                     double label_smoothing = 0.0, Site site = Site::current());

/// Negative log-likelihood of log-probabilities (N, C) (e.g. log_softmax's
/// output) at int64 class indices (N,) in [0, C): ℓ_n = −log_probs_{n, y_n}.
/// cross_entropy(x, y) == nll_loss(log_softmax(x), y).
Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, Reduction reduction = Reduction::mean,
                Site site = Site::current());

}  // namespace tg::nn
