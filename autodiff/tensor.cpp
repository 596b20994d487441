#include "tapegrad/autodiff/tensor.hpp"

#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "engine.hpp"
#include "kernels/copy.hpp"
#include "node.hpp"
#include "ops/view_windows.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg {

namespace detail {

namespace {

// std::bad_alloc with a message that says what could not be allocated.
class AllocationError : public std::bad_alloc {
 public:
  explicit AllocationError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

}  // namespace

std::int64_t checked_bytes(const Shape& shape, Dtype dtype) {
  auto bytes = static_cast<std::int64_t>(dtype_size(dtype));
  for (std::int64_t d : shape) {
    if (d < 0) return -1;
  }
  for (std::int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(bytes, d, &bytes)) return -2;
  }
  return bytes;
}

Tensor empty(const Shape& shape, Dtype dtype, const char* op) {
  auto who = [op] { return op ? std::string(op) + ": " : std::string(); };  // built only for an error
  const std::int64_t bytes = checked_bytes(shape, dtype);
  if (bytes == -1) throw ShapeError("empty: negative extent in shape " + shape.str());
  if (bytes == -2) throw ShapeError("tensor of shape " + shape.str() + " has too many elements to count in int64");
  // 256 TiB: more than a 48-bit address space holds, so the request cannot
  // succeed; refused here, before the allocator (under AddressSanitizer, an
  // allocator asked for more than it supports aborts instead of throwing).
  constexpr std::int64_t kMaxBytes = std::int64_t{1} << 48;
  if (bytes > kMaxBytes) {
    throw AllocationError(who() + "cannot allocate " + std::to_string(bytes) + " bytes for a " + dtype_name(dtype) +
                          " tensor of shape " + shape.str() + ": more than the address space");
  }
  Storage* storage = nullptr;
  try {
    storage = Storage::allocate(static_cast<std::size_t>(bytes));
  } catch (const std::bad_alloc&) {
    throw AllocationError(who() + "cannot allocate " + std::to_string(bytes) + " bytes for a " + dtype_name(dtype) +
                          " tensor of shape " + shape.str());
  }
  return Tensor(std::make_shared<TensorImpl>(StoragePtr(storage), shape, dtype));
}

Tensor alias(const Tensor& x) {
  const TensorImpl& impl = *x.impl();
  return Tensor(std::make_shared<TensorImpl>(impl.storage, impl.shape, impl.strides, impl.offset, impl.dtype));
}

Tensor view_of(const Tensor& x, const Shape& shape, const kernels::Strides& strides, std::int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(x.impl()->storage, shape, strides, offset, x.dtype()));
}

Tensor alias(const Tensor& x, const Shape& shape) {
  if (shape == x.shape()) return alias(x);
  if (!x.impl()->contiguous) {
    throw std::logic_error("alias: a non-contiguous " + x.shape().str() + " tensor cannot be re-shaped to " +
                           shape.str() + " without its strides (a bug: use view_strides)");
  }
  return view_of(x, shape, kernels::contiguous_strides(shape), x.impl()->offset);
}

Tensor copy_values(const Tensor& x) {
  if (!x.impl()->contiguous) return kernels::gather_strided(x, x.shape(), x.impl()->strides);
  Tensor out = empty(x.shape(), x.dtype());
  std::memcpy(out.impl()->raw(), x.impl()->raw(),
              static_cast<std::size_t>(x.numel()) * dtype_size(x.dtype()));
  return out;
}

Tensor dense(const Tensor& x) {
  if (x.impl()->contiguous) return x;
  return kernels::gather_strided(x, x.shape(), x.impl()->strides);
}

void mark_view(Tensor& view, const Tensor& of) {
  TensorImpl& v = *view.impl();
  const std::shared_ptr<TensorImpl>& base = of.impl()->view_base ? of.impl()->view_base : of.impl_ptr();
  v.view_base = base;
  v.view_generation = base->history_generation;
}

void refresh_stale_view(TensorImpl& impl) {
  const std::shared_ptr<TensorImpl> base = impl.view_base;
  impl.view_generation = base->history_generation;
  if (!base->contiguous) {
    throw GraphError("a view " + impl.shape.str() + " of a non-contiguous tensor " + base->shape.str() +
                     " (strides " + strides_str(*base) +
                     ") was used after an in-place op rewrote that tensor's history; its gradient cannot be "
                     "rebuilt: clone() the tensor before modifying it in place");
  }
  EnableGrad recording;  // the record is the view's history, whatever the caller's mode
  const Tensor window = window_of_base(Tensor(base), impl.shape, impl.strides, impl.offset - base->offset,
                                       "view (rebuilt after an in-place op)", Site{});
  impl.grad_fn = window.impl()->grad_fn;
  impl.requires_grad = impl.grad_fn != nullptr;
}

std::string strides_str(const TensorImpl& impl) {
  std::string out = "(";
  for (int i = 0; i < impl.shape.rank(); ++i) {
    if (i) out += ", ";
    out += std::to_string(impl.strides[static_cast<std::size_t>(i)]);
  }
  return out + ")";
}

bool is_contiguous_geometry(const Shape& shape, const kernels::Strides& strides) {
  // Zero-size first: nothing to address, and its other extents multiplied
  // may pass int64.
  if (shape.numel() == 0) return true;
  std::int64_t expected = 1;
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    const std::int64_t extent = shape[axis];
    if (extent != 1 && strides[static_cast<std::size_t>(axis)] != expected) return false;
    expected *= extent;
  }
  return true;
}

// Walks both shapes from the innermost axis, matching runs of `from`'s axes
// that are contiguous with each other ("chunks") against runs of `to`'s
// axes with the same number of elements; a view exists when every chunk of
// `from` is covered exactly (the rule of PyTorch's computeStride).
bool view_strides(const Shape& from, const kernels::Strides& from_strides, const Shape& to,
                  kernels::Strides& out) {
  out = kernels::Strides{};
  if (from.rank() == 0 || from.numel() == 0) {
    out = kernels::contiguous_strides(to);
    return true;
  }
  int view_axis = to.rank() - 1;
  std::int64_t chunk_stride = from_strides[static_cast<std::size_t>(from.rank() - 1)];
  std::int64_t from_numel = 1;
  std::int64_t view_numel = 1;
  for (int axis = from.rank() - 1; axis >= 0; --axis) {
    from_numel *= from[axis];
    const bool chunk_ends =
        axis == 0 || (from[axis - 1] != 1 &&
                      from_strides[static_cast<std::size_t>(axis - 1)] != from_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_axis >= 0 && (view_numel < from_numel || to[view_axis] == 1)) {
      out[static_cast<std::size_t>(view_axis)] = view_numel * chunk_stride;
      view_numel *= to[view_axis];
      --view_axis;
    }
    if (view_numel != from_numel) return false;
    if (axis > 0) {
      chunk_stride = from_strides[static_cast<std::size_t>(axis - 1)];
      from_numel = 1;
      view_numel = 1;
    }
  }
  return view_axis == -1;
}

}  // namespace detail

TensorImpl::TensorImpl(detail::StoragePtr storage, const Shape& shape, Dtype dtype)
    : storage(std::move(storage)), shape(shape), strides(kernels::contiguous_strides(shape)), dtype(dtype) {}

TensorImpl::TensorImpl(detail::StoragePtr storage, const Shape& shape, const kernels::Strides& strides,
                       std::int64_t offset, Dtype dtype)
    : storage(std::move(storage)), shape(shape), strides(strides), offset(offset), dtype(dtype),
      contiguous(detail::is_contiguous_geometry(shape, strides)) {}

void TensorImpl::set_geometry(const Shape& new_shape, const kernels::Strides& new_strides, std::int64_t new_offset) {
  shape = new_shape;
  strides = new_strides;
  offset = new_offset;
  contiguous = detail::is_contiguous_geometry(shape, strides);
}

void TensorImpl::refuse_strided() const {
  throw std::logic_error("a kernel read the non-contiguous " + shape.str() +
                         " tensor as a flat buffer (a bug in tapegrad: it should call dense())");
}

TensorImpl& Tensor::checked(const char* what) const {
  if (!impl_) throw std::logic_error(std::string("Tensor::") + what + ": the tensor is undefined");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked("shape").shape; }
std::int64_t Tensor::numel() const { return checked("numel").shape.numel(); }
Dtype Tensor::dtype() const { return checked("dtype").dtype; }

std::int64_t Tensor::size(int axis) const {
  const Shape& s = checked("size").shape;
  const int a = axis < 0 ? axis + s.rank() : axis;
  if (a < 0 || a >= s.rank()) {
    throw AxisError("size: axis " + std::to_string(axis) + " is out of range for shape " + s.str());
  }
  return s[a];
}

bool Tensor::requires_grad() const {
  TensorImpl& impl = checked("requires_grad");
  detail::refresh_view(impl);
  return impl.requires_grad || impl.grad_fn != nullptr;
}

Tensor& Tensor::requires_grad_(bool on) {
  TensorImpl& impl = checked("requires_grad_");
  if (impl.grad_fn) {
    throw GraphError("requires_grad_: the tensor " + impl.shape.str() + " is the result of '" +
                     impl.grad_fn->name +
                     "', not a leaf; its gradient comes through the graph (use detach() for a "
                     "new leaf)");
  }
  if (on && !is_floating(impl.dtype)) {
    throw DtypeError(std::string("requires_grad_: an ") + dtype_name(impl.dtype) +
                     " tensor cannot require grad; only float32 and float64 can");
  }
  impl.requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const {
  TensorImpl& impl = checked("is_leaf");
  detail::refresh_view(impl);
  return impl.grad_fn == nullptr;
}
Tensor Tensor::grad() const { return checked("grad").grad; }

void Tensor::set_grad(const Tensor& grad) {
  TensorImpl& impl = checked("set_grad");
  if (grad.defined() && (grad.shape() != impl.shape || grad.dtype() != impl.dtype)) {
    throw ShapeError("set_grad: gradient " + grad.shape().str() + " " + dtype_name(grad.dtype()) +
                     " does not match the tensor " + impl.shape.str() + " " +
                     dtype_name(impl.dtype));
  }
  impl.grad = grad;
}

void Tensor::zero_grad() { checked("zero_grad").grad = Tensor(); }

std::string Tensor::op_name() const {
  TensorImpl& impl = checked("op_name");
  detail::refresh_view(impl);
  return impl.grad_fn ? impl.grad_fn->name : "";
}

void Tensor::backward(BackwardOptions options) const { backward(Tensor(), options); }

void Tensor::backward(const Tensor& seed, BackwardOptions options) const {
  const TensorImpl& impl = checked("backward");
  if (!requires_grad()) {
    throw GraphError("backward: the tensor " + impl.shape.str() +
                     " does not require grad: none of the inputs of the ops that made it "
                     "requires grad, or it was computed under NoGrad");
  }
  Tensor s = seed;
  if (!s.defined()) {
    if (impl.shape.numel() != 1) {
      throw GraphError("backward: the output has shape " + impl.shape.str() +
                       "; only a one-element output is seeded with 1 implicitly, pass a seed of "
                       "shape " + impl.shape.str() + " (backward(seed))");
    }
    s = ones(impl.shape, impl.dtype);
  } else if (s.shape() != impl.shape || s.dtype() != impl.dtype) {
    throw ShapeError("backward: the seed " + s.shape().str() + " " + dtype_name(s.dtype()) +
                     " does not match the output " + impl.shape.str() + " " +
                     dtype_name(impl.dtype));
  }
  detail::BackwardRequest request;
  request.roots = {*this};
  request.seeds = {s};
  request.retain_graph = options.retain_graph;
  request.create_graph = options.create_graph;
  detail::run_backward(request);
}

Tensor Tensor::detach() const {
  checked("detach");
  return detail::alias(*this);
}

double Tensor::item() const {
  const TensorImpl& impl = checked("item");
  if (impl.shape.numel() != 1) {
    throw ShapeError("item: expected a tensor with one element, got shape " + impl.shape.str());
  }
  return kernels::dispatch_any(impl.dtype, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(*impl.base<T>());
  });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const TensorImpl& impl = checked("to_vector");
  if constexpr (std::is_same_v<T, std::int64_t>) kernels::check_fits_int64(*this, "to_vector<int64_t>", Site{});
  std::vector<T> out(static_cast<std::size_t>(impl.numel()));
  const Tensor flat = detail::dense(*this);
  kernels::dispatch_any(impl.dtype, [&](auto tag) {
    using S = decltype(tag);
    const S* p = flat.impl()->data<S>();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}

namespace {
template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>) return Dtype::f32;
  else if constexpr (std::is_same_v<T, double>) return Dtype::f64;
  else return Dtype::i64;
}
}  // namespace

template <class T>
const T* Tensor::data() const {
  const TensorImpl& impl = checked("data");
  if (impl.dtype != dtype_of<T>()) {
    throw DtypeError(std::string("data: the tensor is ") + dtype_name(impl.dtype) + ", requested " +
                     dtype_name(dtype_of<T>()));
  }
  if (!impl.contiguous) {
    throw InvalidArgument("data: the tensor " + impl.shape.str() + " is a non-contiguous view (strides " +
                          detail::strides_str(impl) +
                          "); its elements are not one flat buffer: call contiguous() first");
  }
  return impl.data<T>();
}

template <class T>
T* Tensor::mutable_data() {
  const T* p = data<T>();
  impl_->storage->bump_version();
  return const_cast<T*>(p);
}

void Tensor::set_data(const Tensor& values) {
  TensorImpl& impl = checked("set_data");
  if (!values.defined()) throw std::invalid_argument("set_data: the new values are undefined");
  if (impl.grad_fn) {
    throw GraphError("set_data: the tensor " + impl.shape.str() + " is the result of '" + impl.grad_fn->name +
                     "', not a leaf; only a leaf (a parameter, data) can take new values");
  }
  if (impl.requires_grad && !is_floating(values.dtype())) {
    throw DtypeError(std::string("set_data: the tensor requires grad, so its values must be float32 or float64, got ") +
                     dtype_name(values.dtype()));
  }
  if (values.shape() != impl.shape || values.dtype() != impl.dtype) impl.grad = Tensor();
  impl.storage = values.impl()->storage;
  ++impl.data_changes;  // see Note [Saved tensors and set_data]
  impl.set_geometry(values.shape(), values.impl()->strides, values.impl()->offset);
  impl.dtype = values.dtype();
}

std::vector<std::int64_t> Tensor::strides() const {
  const TensorImpl& impl = checked("strides");
  return {impl.strides.begin(), impl.strides.begin() + impl.shape.rank()};
}

std::int64_t Tensor::stride(int axis) const {
  const TensorImpl& impl = checked("stride");
  const int a = axis < 0 ? axis + impl.shape.rank() : axis;
  if (a < 0 || a >= impl.shape.rank()) {
    throw AxisError("stride: axis " + std::to_string(axis) + " is out of range for shape " + impl.shape.str());
  }
  return impl.strides[static_cast<std::size_t>(a)];
}

std::int64_t Tensor::storage_offset() const { return checked("storage_offset").offset; }
bool Tensor::is_contiguous() const { return checked("is_contiguous").contiguous; }

long Tensor::storage_use_count() const { return checked("storage_use_count").storage->use_count(); }

template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template float* Tensor::mutable_data<float>();
template double* Tensor::mutable_data<double>();
template std::int64_t* Tensor::mutable_data<std::int64_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const std::int64_t* Tensor::data<std::int64_t>() const;

namespace {

// Writes nested brackets, eliding the middle of axes longer than 6.
void print_values(std::ostream& out, const std::vector<double>& values, const Shape& shape,
                  int axis, std::int64_t offset, std::int64_t stride) {
  if (axis == shape.rank()) {
    out << values[static_cast<std::size_t>(offset)];
    return;
  }
  const std::int64_t n = shape[axis];
  const std::int64_t inner = stride / std::max<std::int64_t>(n, 1);
  out << "[";
  for (std::int64_t i = 0; i < n; ++i) {
    if (n > 6 && i == 3) {
      out << "..., ";
      i = n - 3;
    }
    print_values(out, values, shape, axis + 1, offset + i * inner, inner);
    if (i + 1 < n) out << ", ";
  }
  out << "]";
}

}  // namespace

std::string Tensor::str() const {
  if (!impl_) return "tensor(undefined)";
  std::ostringstream out;
  out << "tensor(" << impl_->shape.str() << ", " << dtype_name(impl_->dtype) << ", ";
  out << std::setprecision(6);
  print_values(out, to_vector<double>(), impl_->shape, 0, 0, impl_->shape.numel());
  if (impl_->grad_fn) out << ", op=" << impl_->grad_fn->name;
  else if (impl_->requires_grad) out << ", requires_grad";
  out << ")";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << tensor.str(); }

}  // namespace tg
