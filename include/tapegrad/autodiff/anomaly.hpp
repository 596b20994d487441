// Anomaly detection: find the op where a NaN or an infinity first appears,
// in the forward or the backward pass. Per thread, like grad mode, and off by
// default (PyTorch's torch.autograd.detect_anomaly):
//
//     {
//       tg::DetectAnomaly guard;
//       auto loss = nn::mse_loss(model(x), y);   // each recorded op's output is checked
//       loss.backward();                         // each VJP's gradients are checked
//     }
//
// A non-finite value throws AnomalyError naming the op, the shape of its
// output, the pass, the first bad element, and the line of your code that
// called the op. Only recorded ops are checked (an op whose inputs do not
// require grad, or one under NoGrad, is not seen). Off, the cost is one
// thread_local test per recorded op.
#pragma once

#include <string>

#include "errors.hpp"

namespace tg {

/// True when anomaly detection is on for the calling thread.
bool is_anomaly_enabled();
void set_anomaly_enabled(bool enabled);

/// RAII guard: anomaly detection on (or, with false, off) on the calling
/// thread while it lives; the previous setting comes back after.
class DetectAnomaly {
 public:
  explicit DetectAnomaly(bool enabled = true);
  ~DetectAnomaly();
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

 private:
  bool previous_;
};

/// A NaN or an infinity where anomaly detection is on:
/// "anomaly detected in the forward pass: 'log' produced a non-finite value:
/// -inf at [3, 0] of its output (4, 1) float32 (1 of 4 values) [at model.cpp:42]".
class AnomalyError : public GraphError {
 public:
  enum class Pass { forward, backward };
  AnomalyError(const std::string& message, std::string op, Pass pass)
      : GraphError(message), op_(std::move(op)), pass_(pass) {}
  /// The name of the op ("log"); in the backward pass, the op whose VJP it was.
  const std::string& op() const { return op_; }
  Pass pass() const { return pass_; }

 private:
  std::string op_;
  Pass pass_;
};

}  // namespace tg
