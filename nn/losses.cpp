// Losses as compositions of taped ops: no gradient is written here, the tape
// differentiates each formula. The checks run first, at the API boundary.
#include "tapegrad/nn/losses.hpp"

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// "(1, 2)": the multi-index of flat element `flat` in `shape`.
std::string position_str(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> position(static_cast<std::size_t>(shape.rank()));
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    position[static_cast<std::size_t>(axis)] = flat % shape[axis];
    flat /= shape[axis];
  }
  return Shape(position).str();
}

void check_reduction(Reduction reduction, const char* op, const Site& site) {
  if (reduction != Reduction::mean && reduction != Reduction::sum && reduction != Reduction::none) {
    throw InvalidArgument(std::string(op) + ": unknown reduction " +
                              std::to_string(static_cast<int>(reduction)) + " (expected mean, sum or none)",
                          site);
  }
}

Tensor reduce(const Tensor& loss, Reduction reduction, const char* op, const Site& site) {
  switch (reduction) {
    case Reduction::mean:
      if (loss.numel() == 0) {
        throw ShapeError(std::string(op) + ": no elements to average, the loss is " + loss.shape().str() +
                             " (an empty batch: use Reduction::sum or none)",
                         site);
      }
      return mean(loss, {}, false, site);
    case Reduction::sum: return sum(loss, {}, false, site);
    case Reduction::none: break;
  }
  return loss;
}

void check_float(const Tensor& t, const char* op, const char* name, const Site& site) {
  if (!t.defined()) throw InvalidArgument(std::string(op) + ": " + name + " is undefined", site);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": " + name + " must be float32 or float64, got " + dtype_name(t.dtype()) +
                         " " + t.shape().str() + " (convert it with to_dtype)",
                     site);
  }
}

// An elementwise loss's operands: floating, one dtype, one shape (no broadcasting).
void check_operands(const Tensor& pred, const char* pred_name, const Tensor& target, Reduction reduction,
                    const char* op, const Site& site) {
  check_float(pred, op, pred_name, site);
  check_float(target, op, "target", site);
  check_reduction(reduction, op, site);
  if (pred.dtype() != target.dtype()) {
    throw DtypeError(std::string(op) + ": " + pred_name + " " + pred.shape().str() + " is " +
                         dtype_name(pred.dtype()) + " but target " + target.shape().str() + " is " +
                         dtype_name(target.dtype()) + " (convert one with to_dtype)",
                     site);
  }
  if (pred.shape() != target.shape()) {
    throw ShapeError(std::string(op) + ": " + pred_name + " " + pred.shape().str() + " and target " +
                         target.shape().str() +
                         " must have the same shape; a loss does not broadcast them, since a (N, 1) "
                         "prediction against (N,) targets would silently compare every prediction with every "
                         "target (reshape or squeeze one of them)",
                     site);
  }
}

// Logits or log-probabilities of shape (N, C), C >= 1.
void check_scores(const Tensor& x, const char* op, const char* name, const Site& site) {
  check_float(x, op, name, site);
  if (x.rank() != 2) {
    throw ShapeError(std::string(op) + ": " + name + " must have shape (N, C), got " + x.shape().str() +
                         (x.rank() == 1 ? " (for a single sample, unsqueeze(x, 0))" : ""),
                     site);
  }
  if (x.size(1) == 0) {
    throw ShapeError(std::string(op) + ": " + name + " " + x.shape().str() + " have no classes (C = 0)", site);
  }
}

// int64 labels of shape (N,) with values in [0, C).
void check_class_indices(const Tensor& labels, const Shape& scores, const char* op, const Site& site) {
  const std::int64_t n = scores[0], classes = scores[1];
  const std::int64_t* y = labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= classes) {
      throw InvalidArgument(std::string(op) + ": label " + std::to_string(y[i]) + " at index " + std::to_string(i) +
                                " is out of range for " + std::to_string(classes) + " classes (expected 0 to " +
                                std::to_string(classes - 1) + ")",
                            site);
    }
  }
}

std::string expected_labels(const Shape& scores) {
  const std::string n = std::to_string(scores[0]), c = std::to_string(scores[1]);
  return "(N,) = (" + n + ",) of int64 class indices or (N, C) = (" + n + ", " + c + ") of probabilities";
}

// True for class indices, false for class probabilities; throws for anything else.
bool check_labels(const Tensor& labels, const Tensor& logits, const char* op, const Site& site) {
  if (!labels.defined()) throw InvalidArgument(std::string(op) + ": labels are undefined", site);
  const Shape& s = logits.shape();
  const bool index_shape = labels.shape() == Shape{s[0]};
  const bool probability_shape = labels.shape() == s;
  if (!index_shape && !probability_shape) {
    const bool column = labels.shape() == Shape{s[0], 1};
    throw ShapeError(std::string(op) + ": labels must have shape " + expected_labels(s) + ", got " +
                         labels.shape().str() + (column ? " (squeeze axis 1 of a column of class indices)" : ""),
                     site);
  }
  if (labels.dtype() == i64 && index_shape) {
    check_class_indices(labels, s, op, site);
    return true;
  }
  if (index_shape) {  // a float (N,): class indices stored as floats
    throw DtypeError(std::string(op) + ": labels of shape (N,) = " + labels.shape().str() +
                         " are class indices and must be int64, got " + dtype_name(labels.dtype()) +
                         " (convert them with to_dtype(labels, i64))",
                     site);
  }
  if (labels.dtype() != logits.dtype()) {
    throw DtypeError(std::string(op) + ": labels of shape (N, C) = " + labels.shape().str() +
                         " are class probabilities and must have the logits' dtype " + dtype_name(logits.dtype()) +
                         ", got " + dtype_name(labels.dtype()),
                     site);
  }
  return false;
}

// Probabilities in [0, 1]; NaN fails too.
void check_probabilities(const Tensor& p, const char* op, const Site& site) {
  dispatch_floating(p.dtype(), op, [&]<class T>() {
    const T* v = p.data<T>();
    for (std::int64_t i = 0; i < p.numel(); ++i) {
      if (!(v[i] >= 0 && v[i] <= 1)) {
        throw InvalidArgument(std::string(op) + ": probabilities must be in [0, 1], got " +
                                  number_str(static_cast<double>(v[i])) + " at " + position_str(i, p.shape()) +
                                  " of " + p.shape().str() + " (for logits use binary_cross_entropy_with_logits)",
                              site);
      }
    }
  }, site);
}

// log(x) floored at −100 (PyTorch's rule for binary cross-entropy), finite
// in value and gradient at x = 0. The inner clamp keeps log's VJP (g / x)
// away from 0 / 0; its floor, 1e-45 (float32's smallest subnormal), has a log
// below −100 (≈ −103.3), so the outer clamp gives exactly −100 there.
Tensor floored_log(const Tensor& x, const Site& site) {
  return clamp(log(clamp(x, 1e-45, kInf, site), site), -100.0, kInf, site);
}

}  // namespace

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::mean: return "mean";
    case Reduction::sum: return "sum";
    case Reduction::none: return "none";
  }
  return "unknown";
}

Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction, Site site) {
  check_operands(pred, "pred", target, reduction, "mse_loss", site);
  const Tensor d = sub(pred, target, site);
  return reduce(mul(d, d, site), reduction, "mse_loss", site);
}

Tensor l1_loss(const Tensor& pred, const Tensor& target, Reduction reduction, Site site) {
  check_operands(pred, "pred", target, reduction, "l1_loss", site);
  return reduce(abs(sub(pred, target, site), site), reduction, "l1_loss", site);
}

Tensor huber_loss(const Tensor& pred, const Tensor& target, double delta, Reduction reduction, Site site) {
  check_operands(pred, "pred", target, reduction, "huber_loss", site);
  if (!(delta > 0) || delta == kInf) {
    throw InvalidArgument("huber_loss: delta must be finite and > 0, got " + number_str(delta), site);
  }
  // With a = |d| and q = min(a, delta): ½q² + delta·(a − q) is ½a² below
  // delta and delta·(a − ½delta) above, one formula without a branch.
  const Tensor a = abs(sub(pred, target, site), site);
  const Tensor q = clamp(a, 0.0, delta, site);
  const Tensor loss = add(mul(mul(q, q, site), 0.5, site), mul(sub(a, q, site), delta, site), site);
  return reduce(loss, reduction, "huber_loss", site);
}

Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target, Reduction reduction, Site site) {
  const Tensor& p = probabilities;
  check_operands(p, "probabilities", target, reduction, "binary_cross_entropy", site);
  check_probabilities(p, "binary_cross_entropy", site);
  const Tensor one = scalar(1.0, p.dtype());
  // −(t·log p + (1 − t)·log(1 − p))
  const Tensor log_p = floored_log(p, site);
  const Tensor log_not_p = floored_log(sub(one, p, site), site);
  const Tensor loss = neg(add(mul(target, log_p, site), mul(sub(one, target, site), log_not_p, site), site), site);
  return reduce(loss, reduction, "binary_cross_entropy", site);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction, Site site) {
  check_operands(logits, "logits", target, reduction, "binary_cross_entropy_with_logits", site);
  // softplus(x) is max(x, 0) + log(1 + e^−|x|), evaluated without overflow by
  // the softplus op, whose gradient is σ(x). Composing the three terms
  // instead would give the gradient −t at x = 0 (relu and abs take slope 0
  // there) rather than ½ − t, and logits of exactly 0 are what a zero-
  // initialised output layer produces.
  const Tensor loss = sub(softplus(logits, 1.0, 20.0, site), mul(logits, target, site), site);
  return reduce(loss, reduction, "binary_cross_entropy_with_logits", site);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction, double label_smoothing,
                     Site site) {
  check_scores(logits, "cross_entropy", "logits", site);
  check_reduction(reduction, "cross_entropy", site);
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) {
    throw InvalidArgument("cross_entropy: label_smoothing must be in [0, 1], got " + number_str(label_smoothing),
                          site);
  }
  const bool indices = check_labels(labels, logits, "cross_entropy", site);
  const Tensor log_p = log_softmax(logits, -1, 1.0, site);  // (N, C)
  // (N, C) -> (N,)
  Tensor loss = indices ? neg(gather(log_p, 1, labels, site), site)
                        : neg(sum(mul(labels, log_p, site), 1, false, site), site);
  if (label_smoothing > 0) {
    // The uniform part of the smoothed target: −(1/C)·Σ_c log p_c.
    const Tensor uniform_part = neg(mean(log_p, 1, false, site), site);
    loss = add(mul(loss, 1.0 - label_smoothing, site), mul(uniform_part, label_smoothing, site), site);
  }
  return reduce(loss, reduction, "cross_entropy", site);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, Reduction reduction, Site site) {
  check_scores(log_probs, "nll_loss", "log_probs", site);
  check_reduction(reduction, "nll_loss", site);
  if (!labels.defined()) throw InvalidArgument("nll_loss: labels are undefined", site);
  const Shape& s = log_probs.shape();
  if (labels.shape() != Shape{s[0]}) {
    throw ShapeError("nll_loss: labels must have shape (N,) = (" + std::to_string(s[0]) +
                         ",) of int64 class indices, got " + labels.shape().str() +
                         (labels.shape() == s ? " (for class probabilities use cross_entropy)" : ""),
                     site);
  }
  if (labels.dtype() != i64) {
    throw DtypeError("nll_loss: labels must be int64 class indices, got " + std::string(dtype_name(labels.dtype())) +
                         " " + labels.shape().str() + " (convert them with to_dtype(labels, i64))",
                     site);
  }
  check_class_indices(labels, s, "nll_loss", site);
  return reduce(neg(gather(log_probs, 1, labels, site), site), reduction, "nll_loss", site);
}

}  // namespace tg::nn
