// What a Tensor handle points to. Private to the library.
//
// Note [Strided views]
// A tensor is a window on a Storage: an element offset, a shape and element
// strides (row-major contiguous for every tensor an op computes). View ops —
// reshape where the strides allow it, view, permute/transpose/t, slice/
// narrow/select, squeeze/unsqueeze, expand/broadcast_to, diagonal, chunk/
// split/unbind, detach — make a new TensorImpl on the same Storage and copy
// nothing. What this guarantees:
// - A base and all its views share one Storage and so one version counter
//   (Note [Saved tensors]): a write through any of them is seen by a saved
//   copy of any other.
// - Kernels either walk the strides (the elementwise maps, gather/scatter,
//   the in-place ops) or ask for `dense(x)`, which is x itself when x is
//   contiguous and an untaped contiguous copy otherwise. TensorImpl::data()
//   refuses a non-contiguous tensor (a logic_error: a kernel that forgot
//   dense() fails loudly in the tests instead of reading the wrong elements);
//   base() is the strided kernels' entry. Outputs of computing ops are
//   always new and contiguous.
// - A view op records like any op and its VJP is the adjoint of the view
//   (permute back, the slice put into zeros, sum over an expanded axis, ...),
//   so a gradient flows back to the base through any chain of views.
// - A leaf's .grad is always contiguous (the engine copies a view it would
//   store), so optimizers and users may read it with data<T>().
// What it refuses: data<T>() and mutable_data<T>() of a non-contiguous
// tensor (the message points to contiguous()); view() where the strides do
// not allow one (reshape copies instead, as PyTorch's does).
//
// Note [In-place ops]
// add_, mul_, copy_, zero_, masked_fill_, index_add_, += ... (ops/inplace.cpp)
// compute their result out of place with the recorded op of the same name
// (add, mul, where, ...), then write it into the tensor's window of its
// storage and bump the storage's version. What this guarantees:
// - Versions: a base and its views share one Storage and so one counter;
//   every in-place op bumps it, so a record that saved any of them refuses to
//   run (Note [Saved tensors]) instead of computing a wrong gradient.
// - History: when grad mode is on and the tensor, its base or an operand
//   requires grad, the tensor's history is rewritten: its record becomes the
//   out-of-place op's, whose edge is the tensor's old record. An op whose
//   VJP reads the old values (mul_, div_, pow_, clamp_) computes on a
//   recorded clone of them, as PyTorch saves `original_self`.
// - Views (PyTorch's CopySlices): an in-place op on a view rewrites its root
//   base's history instead: a record whose VJP sends the base's gradient with
//   the view's window zeroed to the old history, and the window to the out-
//   of-place result. The base's history_generation counts these rewrites; a
//   view remembers the generation its record was made at, and a view found
//   stale (any other view of that base, the written view itself) gets a new
//   record, the window of the base's current history, before it is used
//   (refresh_view: requires_grad(), make_edge, backward).
// What it refuses (never a silently wrong gradient):
// - an in-place op, outside NoGrad, on a leaf that requires grad or on a view
//   of one (GraphError: as PyTorch, a parameter is updated under NoGrad);
// - writing into a tensor whose elements overlap (an expanded axis: stride 0),
//   in any mode, as PyTorch does;
// - under autograd, an in-place op on a view whose root base is not
//   contiguous (the window's position in the base's gradient would need the
//   base's strides); clone() the base first;
// - a result whose shape or dtype differs from the tensor written (the
//   broadcast of the operands must be the tensor's own shape).
#pragma once

#include <memory>

#include "kernels/loops.hpp"
#include "storage.hpp"
#include "tapegrad/autodiff/tensor.hpp"

namespace tg {

namespace detail {
class Node;

/// Hooks of a record (on its output's gradient) or of a leaf (Note [Hooks]
/// in hooks.cpp). Lists behind shared_ptr, so a RemovableHandle can reach
/// them weakly and the engine can run a copy while a hook removes itself.
struct GradHooks {
  template <class F>
  using List = std::vector<std::pair<std::uint64_t, F>>;
  std::shared_ptr<List<TensorHook>> pre = std::make_shared<List<TensorHook>>();
  std::shared_ptr<List<PostAccumulateGradHook>> post = std::make_shared<List<PostAccumulateGradHook>>();
  /// On a record: the non-leaf whose .grad keeps the gradient (retain_grad).
  std::weak_ptr<TensorImpl> retained;
  std::uint64_t next_id = 1;
  bool empty() const { return pre->empty() && post->empty() && retained.expired(); }
};
}  // namespace detail

class TensorImpl {
 public:
  /// A contiguous tensor at the start of `storage`.
  TensorImpl(detail::StoragePtr storage, const Shape& shape, Dtype dtype);
  /// A window on `storage`: element `offset`, `shape`, element `strides`.
  TensorImpl(detail::StoragePtr storage, const Shape& shape, const kernels::Strides& strides,
             std::int64_t offset, Dtype dtype);
  // Hands the record to the iterative release (see Note [Iterative release]).
  ~TensorImpl();

  /// The first element of a contiguous tensor; throws std::logic_error for a
  /// view that is not (see Note [Strided views]).
  template <class T>
  T* data() {
    if (!contiguous) [[unlikely]] refuse_strided();
    return base<T>();
  }
  template <class T>
  const T* data() const {
    if (!contiguous) [[unlikely]] refuse_strided();
    return base<T>();
  }
  /// The element at index (0, ..., 0), for kernels that walk `strides`.
  template <class T>
  T* base() {
    return static_cast<T*>(storage->data()) + offset;
  }
  template <class T>
  const T* base() const {
    return static_cast<const T*>(storage->data()) + offset;
  }
  void* raw() {
    if (!contiguous) [[unlikely]] refuse_strided();
    return static_cast<unsigned char*>(storage->data()) + offset * static_cast<std::int64_t>(dtype_size(dtype));
  }
  std::int64_t numel() const { return shape.numel(); }
  /// Sets shape, strides and offset together (keeps `contiguous` true to them).
  void set_geometry(const Shape& new_shape, const kernels::Strides& new_strides, std::int64_t new_offset);

  detail::StoragePtr storage;
  Shape shape;
  kernels::Strides strides{};
  std::int64_t offset = 0;  // in elements
  Dtype dtype;
  bool contiguous = true;  // strides are shape's row-major strides (extent-1 axes aside)
  bool requires_grad = false;
  /// The record of the op that produced this tensor; null for a leaf.
  std::shared_ptr<detail::Node> grad_fn;
  /// Accumulated gradient of a leaf.
  Tensor grad;

  // --- engine (see Note [Saved tensors and set_data] in node.hpp) ---
  /// A leaf's gradient hooks (null: none).
  std::unique_ptr<detail::GradHooks> hooks;
  /// How many times set_data() gave this leaf another storage.
  std::uint32_t data_changes = 0;

  // --- views and in-place ops (see Note [In-place ops]) ---
  /// For a tensor made by a view op: the root base whose storage it windows
  /// (never itself a view); null otherwise (detach() makes a new root).
  std::shared_ptr<TensorImpl> view_base;
  /// On a root: how many times an in-place op rewrote its history.
  std::uint32_t history_generation = 0;
  /// On a view: the base's history_generation its grad_fn was made at.
  std::uint32_t view_generation = 0;

 private:
  [[noreturn]] void refuse_strided() const;
};

namespace detail {

/// A new tensor with uninitialised values. A failed allocation throws a
/// std::bad_alloc naming the shape, the dtype, the bytes and `op` if given.
Tensor empty(const Shape& shape, Dtype dtype, const char* op = nullptr);
/// The bytes a tensor of `shape` and `dtype` takes; -1 for a negative
/// extent, -2 when the count overflows int64 (so numel() cannot be trusted).
std::int64_t checked_bytes(const Shape& shape, Dtype dtype);
/// A new handle on x's storage, offset and strides under the same shape (no
/// record): detach, saved outputs.
Tensor alias(const Tensor& x);
/// A new handle on x's storage with another geometry (no record).
Tensor view_of(const Tensor& x, const Shape& shape, const kernels::Strides& strides, std::int64_t offset);
/// A contiguous x's values under another shape of the same numel (no record).
Tensor alias(const Tensor& x, const Shape& shape);
/// A copy of the values into fresh, contiguous storage (no record).
Tensor copy_values(const Tensor& x);
/// x itself when contiguous, else a contiguous copy (no record): what a
/// kernel that reads a flat buffer calls on its inputs.
Tensor dense(const Tensor& x);
/// Marks `view` as a view of `of` (of itself, or of its root base).
void mark_view(Tensor& view, const Tensor& of);
/// Gives a view whose base's history an in-place op rewrote since its record
/// was made a new record: the window of the base's current history (Note
/// [In-place ops]). Nothing for a tensor that is not a view, or is current.
void refresh_stale_view(TensorImpl& impl);
inline void refresh_view(TensorImpl& impl) {
  if (impl.view_base && impl.view_generation != impl.view_base->history_generation) [[unlikely]]
    refresh_stale_view(impl);
}
/// "(20, 5, 1)": a tensor's strides in an error message.
std::string strides_str(const TensorImpl& impl);
/// Whether the strides are the row-major strides of `shape` (axes of extent 1
/// and zero-size tensors aside), as PyTorch's is_contiguous.
bool is_contiguous_geometry(const Shape& shape, const kernels::Strides& strides);
/// The strides a view of `x` under `shape` (same numel) would have, when one
/// exists without copying (PyTorch's computeStride); false otherwise.
bool view_strides(const Shape& from, const kernels::Strides& from_strides, const Shape& to,
                  kernels::Strides& out);

}  // namespace detail
}  // namespace tg
