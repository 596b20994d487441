// Tensor: a cheap handle to a value, an optional gradient and the record of
// the op that produced it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "errors.hpp"
#include "hooks.hpp"
#include "shape.hpp"

namespace tg {

class TensorImpl;
class Tensor;

/// Binds a tensor operand to the caller's source line, so that operators,
/// which cannot take a defaulted argument, still report where they were used.
struct At {
  At(const Tensor& t, Site where = Site::current()) : tensor(t), site(where) {}  // NOLINT: implicit by design
  const Tensor& tensor;
  Site site;
};

/// A scalar operand of a compound assignment (`x += 2`), with the caller's line.
struct AtValue {
  AtValue(double v, Site where = Site::current()) : value(v), site(where) {}  // NOLINT: implicit by design
  double value;
  Site site;
};

/// Options of Tensor::backward.
struct BackwardOptions {
  /// Keep the records so that a second backward can run through them.
  bool retain_graph = false;
  /// Record the backward pass itself, so the gradients can be differentiated
  /// again (Hessian-vector products). Implies retain_graph.
  bool create_graph = false;
};

/// A handle to a tensor. Copies share the value, the gradient and the record:
/// a Tensor is as cheap to pass around as a shared_ptr.
///
/// A tensor is a window on a storage buffer: an element offset, a shape and
/// element strides. Ops that compute write new, contiguous row-major values;
/// view ops (reshape where possible, view, permute/transpose, slice/select,
/// squeeze/unsqueeze, expand/broadcast_to, diagonal, detach) share the
/// storage of their input and copy nothing. A Tensor produced by an op while grad
/// mode is on and some input requires grad carries the record of that op;
/// `backward()` walks those records in reverse and fills the `.grad()` of every
/// leaf that requires grad.
class Tensor {
 public:
  /// An undefined tensor (no value); most calls on it throw.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return shape().rank(); }
  /// Extent of `axis` (negative counts from the end).
  std::int64_t size(int axis) const;
  std::int64_t numel() const;
  Dtype dtype() const;
  /// Element strides, one per axis (0 on an expanded axis), as PyTorch's stride().
  std::vector<std::int64_t> strides() const;
  std::int64_t stride(int axis) const;
  /// Index of the first element in the storage buffer.
  std::int64_t storage_offset() const;
  /// Whether the elements are the row-major buffer of the shape (axes of
  /// extent 1 aside), so that data<T>() can be read as one flat array.
  bool is_contiguous() const;
  /// This tensor when contiguous, else a contiguous copy (recorded: the
  /// gradient passes through).
  Tensor contiguous() const;

  // --- autodiff -----------------------------------------------------------
  /// True for a leaf marked with requires_grad_() and for every result of a
  /// recorded op.
  bool requires_grad() const;
  /// Marks a leaf as a variable to differentiate with respect to.
  Tensor& requires_grad_(bool on = true);
  /// A tensor not produced by a recorded op (data, parameters).
  bool is_leaf() const;
  /// The accumulated gradient of a leaf; undefined before any backward.
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  /// Drops the gradient (like PyTorch's zero_grad(set_to_none=true)).
  void zero_grad();
  /// Differentiates this tensor with respect to every leaf that requires grad
  /// and accumulates into their `.grad()`. A scalar is seeded with 1; any other
  /// shape needs an explicit `seed` of the same shape.
  void backward(BackwardOptions options = {}) const;
  void backward(const Tensor& seed, BackwardOptions options = {}) const;
  /// Calls `hook` with the gradient of this tensor each time backward (or
  /// tg::grad) computes it; a defined result replaces the gradient. On a leaf
  /// the hook sees the gradient summed over the whole pass, before it goes
  /// into .grad(). Throws GraphError on a tensor that does not require grad.
  RemovableHandle register_hook(TensorHook hook) const;
  /// For a leaf that requires grad: calls `hook(leaf)` once backward has
  /// summed this pass's gradient into .grad() (the start of a bucket's
  /// allreduce, say), while the rest of the pass goes on.
  RemovableHandle register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const;
  /// Keeps the gradient of a non-leaf in its .grad() after backward (summed
  /// over passes, as a leaf's); nothing to do for a leaf.
  void retain_grad() const;
  /// Whether .grad() of this non-leaf is kept (retain_grad()).
  bool retains_grad() const;
  /// The same value, cut from the graph (shares storage).
  Tensor detach() const;
  /// Name of the op that produced this tensor ("" for a leaf).
  std::string op_name() const;

  // --- values ---------------------------------------------------------------
  /// The single value of a one-element tensor, as double.
  double item() const;
  /// The values in row-major order, converted to T (float, double or int64_t).
  template <class T>
  std::vector<T> to_vector() const;
  /// Read access to the elements; T must match the dtype exactly, and the
  /// tensor must be contiguous (a view may not be: see contiguous()).
  template <class T>
  const T* data() const;
  /// Write access to the elements (optimizer updates, loading data). Marks
  /// the storage as modified: a record that saved this tensor for its
  /// backward pass then refuses to run instead of computing a wrong gradient.
  template <class T>
  T* mutable_data();
  // --- method forms ---------------------------------------------------------
  // Each calls the function of the same name (ops.hpp, views.hpp, nn_ops.hpp),
  // with its arguments and defaults: one implementation, x.sum(1) is sum(x, 1).
  Tensor sum(const Axes& axes = {}, bool keepdims = false, Site site = Site::current()) const;
  Tensor mean(const Axes& axes = {}, bool keepdims = false, Site site = Site::current()) const;
  Tensor max(const Axes& axes = {}, bool keepdims = false, Site site = Site::current()) const;
  Tensor min(const Axes& axes = {}, bool keepdims = false, Site site = Site::current()) const;
  Tensor logsumexp(const Axes& axes = {}, bool keepdims = false, Site site = Site::current()) const;
  Tensor neg(Site site = Site::current()) const;
  Tensor exp(Site site = Site::current()) const;
  Tensor log(Site site = Site::current()) const;
  Tensor sqrt(Site site = Site::current()) const;
  Tensor abs(Site site = Site::current()) const;
  Tensor sin(Site site = Site::current()) const;
  Tensor cos(Site site = Site::current()) const;
  Tensor tanh(Site site = Site::current()) const;
  Tensor sigmoid(Site site = Site::current()) const;
  Tensor relu(Site site = Site::current()) const;
  Tensor pow(double exponent, Site site = Site::current()) const;
  Tensor pow(const Tensor& exponent, Site site = Site::current()) const;
  Tensor clamp(double lo, double hi, Site site = Site::current()) const;
  Tensor add(const Tensor& other, Site site = Site::current()) const;
  Tensor sub(const Tensor& other, Site site = Site::current()) const;
  Tensor mul(const Tensor& other, Site site = Site::current()) const;
  Tensor div(const Tensor& other, Site site = Site::current()) const;
  Tensor matmul(const Tensor& other, Site site = Site::current()) const;
  Tensor softmax(int axis = -1, Site site = Site::current()) const;
  Tensor log_softmax(int axis = -1, Site site = Site::current()) const;
  Tensor reshape(const Shape& shape, Site site = Site::current()) const;
  Tensor view(const Shape& shape, Site site = Site::current()) const;
  Tensor permute(const std::vector<int>& dims, Site site = Site::current()) const;
  Tensor transpose(int axis0 = -2, int axis1 = -1, Site site = Site::current()) const;
  Tensor t(Site site = Site::current()) const;
  Tensor slice(int axis, std::int64_t start, std::int64_t stop, std::int64_t step = 1, Site site = Site::current()) const;
  Tensor narrow(int axis, std::int64_t start, std::int64_t length, Site site = Site::current()) const;
  Tensor select(int axis, std::int64_t index, Site site = Site::current()) const;
  Tensor squeeze(int axis, Site site = Site::current()) const;
  Tensor unsqueeze(int axis, Site site = Site::current()) const;
  Tensor flatten(int start_axis = 0, int end_axis = -1, Site site = Site::current()) const;
  Tensor expand(const Shape& shape, Site site = Site::current()) const;
  Tensor broadcast_to(const Shape& shape, Site site = Site::current()) const;
  Tensor diagonal(std::int64_t offset = 0, int axis0 = 0, int axis1 = 1, Site site = Site::current()) const;
  /// The values converted to `dtype` (this tensor when it has it), as to_dtype.
  Tensor to(Dtype dtype, Site site = Site::current()) const;

  // --- in place (PyTorch's rules: Note [In-place ops]) -----------------------
  // Each overwrites this tensor's elements (through its strides, for a view:
  // the base sees the change) with the out-of-place op's result, bumps the
  // version every base and view of the storage shares, and returns *this.
  // Outside NoGrad a leaf that requires grad, or a view of one, is refused
  // (GraphError); on a tensor in the graph the history is rewritten so the
  // gradient is right. The operands broadcast to this tensor's shape.
  /// this += alpha * other.
  Tensor& add_(const Tensor& other, double alpha = 1.0, Site site = Site::current());
  Tensor& add_(double other, Site site = Site::current());
  /// this -= alpha * other.
  Tensor& sub_(const Tensor& other, double alpha = 1.0, Site site = Site::current());
  Tensor& sub_(double other, Site site = Site::current());
  Tensor& mul_(const Tensor& other, Site site = Site::current());
  Tensor& mul_(double other, Site site = Site::current());
  Tensor& div_(const Tensor& other, Site site = Site::current());
  Tensor& div_(double other, Site site = Site::current());
  Tensor& pow_(const Tensor& exponent, Site site = Site::current());
  Tensor& pow_(double exponent, Site site = Site::current());
  Tensor& neg_(Site site = Site::current());
  Tensor& exp_(Site site = Site::current());
  Tensor& clamp_(double lo, double hi, Site site = Site::current());
  Tensor& relu_(Site site = Site::current());
  Tensor& sigmoid_(Site site = Site::current());
  Tensor& tanh_(Site site = Site::current());
  /// Every element 0 (the gradient to the old values is 0).
  Tensor& zero_(Site site = Site::current());
  Tensor& fill_(double value, Site site = Site::current());
  /// Every element `value` (a one-element tensor; its gradient is the sum).
  Tensor& fill_(const Tensor& value, Site site = Site::current());
  /// Overwrites the values with `source`'s, broadcast to this shape and
  /// converted to this dtype; recorded like PyTorch's copy_ (the gradient
  /// goes to `source`). Loading weights into a parameter is done under NoGrad.
  Tensor& copy_(const Tensor& source, Site site = Site::current());
  /// `value` where `mask` (bool-like: nonzero) is set.
  Tensor& masked_fill_(const Tensor& mask, double value, Site site = Site::current());
  Tensor& masked_fill_(const Tensor& mask, const Tensor& value, Site site = Site::current());
  /// Adds alpha * source's slices along `axis` at the positions `index`
  /// (int64, rank 1; repeated positions add up), as PyTorch's index_add_.
  Tensor& index_add_(int axis, const Tensor& index, const Tensor& source, double alpha = 1.0,
                     Site site = Site::current());
  /// this[indices...] = values (accumulate: +=), the indices int64 tensors
  /// for the leading axes, broadcast together, as PyTorch's index_put_.
  Tensor& index_put_(const std::vector<Tensor>& indices, const Tensor& values, bool accumulate = false,
                     Site site = Site::current());
  Tensor& operator+=(At other);
  Tensor& operator-=(At other);
  Tensor& operator*=(At other);
  Tensor& operator/=(At other);
  Tensor& operator+=(AtValue other);
  Tensor& operator-=(AtValue other);
  Tensor& operator*=(AtValue other);
  Tensor& operator/=(AtValue other);
  /// A copy with its own storage; the gradient passes through.
  Tensor clone(Site site = Site::current()) const;
  /// The version counter this tensor's storage shares with its base and
  /// views (PyTorch's _version): bumped by every in-place write.
  std::uint32_t _version() const;
  /// Makes this leaf hold `values` (sharing its storage), keeping its
  /// identity: every handle to it, e.g. a module's parameter seen by an
  /// optimizer, sees the new shape, dtype and values. The gradient is dropped
  /// when the shape or dtype changes. Throws for a non-leaf.
  void set_data(const Tensor& values);
  /// Number of tensors sharing this one's storage (reshape and detach share).
  long storage_use_count() const;

  /// "tensor((2, 2), float32, [[1, 2], [3, 4]])", eliding the middle of large tensors.
  std::string str() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  TensorImpl& checked(const char* what) const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

extern template std::vector<float> Tensor::to_vector<float>() const;
extern template std::vector<double> Tensor::to_vector<double>() const;
extern template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
extern template float* Tensor::mutable_data<float>();
extern template double* Tensor::mutable_data<double>();
extern template std::int64_t* Tensor::mutable_data<std::int64_t>();
extern template const float* Tensor::data<float>() const;
extern template const double* Tensor::data<double>() const;
extern template const std::int64_t* Tensor::data<std::int64_t>() const;

}  // namespace tg
