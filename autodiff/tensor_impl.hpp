// What a Tensor handle points to. Private to the library.
#pragma once

#include <memory>

#include "storage.hpp"
#include "tapegrad/autodiff/tensor.hpp"

namespace tg {

namespace detail {
class Node;
}

class TensorImpl {
 public:
  TensorImpl(detail::StoragePtr storage, const Shape& shape, Dtype dtype)
      : storage(std::move(storage)), shape(shape), dtype(dtype) {}
  // Hands the record to the iterative release (see Note [Iterative release]).
  ~TensorImpl();

  template <class T>
  T* data() {
    return static_cast<T*>(storage->data());
  }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(storage->data());
  }
  void* raw() { return storage->data(); }
  std::int64_t numel() const { return shape.numel(); }

  detail::StoragePtr storage;
  Shape shape;
  Dtype dtype;
  bool requires_grad = false;
  /// The record of the op that produced this tensor; null for a leaf.
  std::shared_ptr<detail::Node> grad_fn;
  /// Accumulated gradient of a leaf.
  Tensor grad;

  // --- engine (see Note [Saved tensors and set_data] in node.hpp) ---
  /// How many times set_data() gave this leaf another storage.
  std::uint32_t data_changes = 0;
};

namespace detail {

/// A new tensor with uninitialised values.
Tensor empty(const Shape& shape, Dtype dtype);
/// The bytes a tensor of `shape` and `dtype` takes; -1 for a negative
/// extent, -2 when the count overflows int64 (so numel() cannot be trusted).
std::int64_t checked_bytes(const Shape& shape, Dtype dtype);
/// A new tensor sharing x's storage under another shape of the same numel.
Tensor alias(const Tensor& x, const Shape& shape);
/// A copy of the values into fresh storage (no record).
Tensor copy_values(const Tensor& x);

}  // namespace detail
}  // namespace tg
