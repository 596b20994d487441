// Gradient hooks: functions that see, and may replace, a gradient as the
// backward pass computes it (Tensor::register_hook), or that run once a
// leaf's gradient is complete (Tensor::register_post_accumulate_grad_hook).
// PyTorch's names and semantics; see Note [Hooks] in autodiff/hooks.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace tg {

class Tensor;

/// Sees the gradient flowing into a tensor; returns a replacement of the same
/// shape and dtype, or an undefined Tensor to keep it.
using TensorHook = std::function<Tensor(const Tensor& grad)>;
/// Runs with the leaf itself once backward has summed its gradient into .grad().
using PostAccumulateGradHook = std::function<void(const Tensor& leaf)>;

/// Removes the hook it was returned for (PyTorch's RemovableHandle); removing
/// twice, or after the tensor is gone, does nothing.
class RemovableHandle {
 public:
  RemovableHandle() = default;
  explicit RemovableHandle(std::function<void()> remover) : remover_(std::move(remover)) {}
  void remove() {
    if (remover_) std::exchange(remover_, nullptr)();
  }

 private:
  std::function<void()> remover_;
};

}  // namespace tg
