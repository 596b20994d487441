// Dense layers and the small reshaping/regularising layers around them.
#pragma once

#include <string>

#include "../autodiff/creation.hpp"
#include "module.hpp"

namespace tg::nn {

/// Options of Linear: `Linear(784, 256, {.init = "he_normal"})`.
struct LinearOptions {
  bool bias = true;
  /// The weight's initializer (a name init::by_name knows). Glorot uniform,
  /// Keras's default, keeps the variance of activations and gradients
  /// balanced for tanh and sigmoid nets; pass "he_normal" or "he_uniform"
  /// for deep ReLU nets. The bias starts at zero.
  std::string init = "glorot_uniform";
  Dtype dtype = f32;
  /// Draws the initial weights; the calling thread's default_generator()
  /// when null.
  Generator* generator = nullptr;
};

/// y = x Wᵀ + b over the last axis: x (..., in) -> (..., out).
/// weight is (out, in) as in PyTorch, so checkpoints map one to one; the
/// product runs as one gemm with a transpose flag.
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  std::int64_t in_features, out_features;
  Tensor weight;  ///< (out, in)
  Tensor bias;    ///< (out,), undefined without a bias
};

/// Flattens the axes from `start_axis` on (the batch axis stays):
/// (N, C, H, W) -> (N, C·H·W) by default. Shares the input's storage.
class Flatten : public Module {
 public:
  explicit Flatten(int start_axis = 1);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  int start_axis;
};

/// Inverted dropout (see tg::dropout): in training mode each element is
/// zeroed with probability p and the rest scaled by 1/(1 − p); in
/// evaluation mode the input passes through unchanged.
class Dropout : public Module {
 public:
  /// `generator` draws the masks; the calling thread's default_generator()
  /// when null. It must outlive the layer.
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  double p;

 private:
  Generator* generator_;
};

}  // namespace tg::nn
