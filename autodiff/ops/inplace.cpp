// In-place ops: add_, mul_, copy_, zero_, masked_fill_, index_add_, +=, ...
// Each computes its result with the out-of-place op and writes it into the
// tensor's window, with PyTorch's autograd rules (Note [In-place ops] in
// tensor_impl.hpp).
#include "common.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/views.hpp"
#include "view_windows.hpp"

namespace tg {

using namespace ops;

namespace {

std::string op_prefix(const char* name) { return std::string(name) + ": "; }

// Runs `compute`, naming the in-place op in what the out-of-place op throws:
// "add_: add: cannot broadcast ...".
template <class F>
Tensor computed(const char* name, F&& compute) {
  try {
    return compute();
  } catch (const AxisError& e) {
    throw AxisError(op_prefix(name) + e.what());
  } catch (const DtypeError& e) {
    throw DtypeError(op_prefix(name) + e.what());
  } catch (const ShapeError& e) {
    throw ShapeError(op_prefix(name) + e.what());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(op_prefix(name) + e.what());
  } catch (const GraphError& e) {
    throw GraphError(op_prefix(name) + e.what());
  }
}

bool overlaps_itself(const TensorImpl& impl) {
  for (int a = 0; a < impl.shape.rank(); ++a)
    if (impl.shape[a] > 1 && impl.strides[static_cast<std::size_t>(a)] == 0) return true;
  return false;
}

// `r` as a fresh record of its own whose history starts at `old` (the
// tensor's values before the write): the identity for a leaf result (copy_
// of a parameter), a zero gradient for a constant one (fill_, zero_).
Tensor with_record(const Tensor& r, const Tensor& old, const char* name, const Site& site) {
  Tensor out = detail::alias(r);
  if (r.requires_grad()) {
    record(name, site, out, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, g); }, r);
  } else {
    record(name, site, out, [](const Tensor& g, VjpContext& ctx) {
      if (ctx.needs(0)) ctx.set(0, zeros_like(g));
    }, old);
  }
  return out;
}

// The CopySlices record of Note [In-place ops]: `base`'s new history, for
// `result` written into the window (shape, strides, offset) of it.
void rewrite_base_history(const std::shared_ptr<TensorImpl>& base_impl, const TensorImpl& window,
                          const Tensor& result, const char* name, const Site& site) {
  Tensor base(base_impl);
  Tensor old = detail::alias(base);
  old.impl()->grad_fn = base_impl->grad_fn;
  old.impl()->requires_grad = base_impl->requires_grad;
  const Shape shape = window.shape;
  const kernels::Strides strides = window.strides;
  const std::int64_t offset = window.offset - base_impl->offset;
  record(name, site, base, [shape, strides, offset, name, site](const Tensor& g, VjpContext& ctx) {
    if (ctx.needs(0)) {
      Tensor keep = ones(g.shape(), g.dtype());
      kernels::scatter_strided(keep, strides, offset, zeros(shape, g.dtype()));
      ctx.set(0, mul(g, keep, site));
    }
    if (ctx.needs(1)) ctx.set(1, detail::window_of_base(g.contiguous(), shape, strides, offset, name, site));
  }, old, result);
  ++base_impl->history_generation;
}

// Writes compute(input) into `self`. `reads_self`: the out-of-place op's VJP
// keeps its input, so under autograd it gets a recorded clone (the write
// would otherwise fail its version check). `operand_grad`: another operand
// requires grad.
template <class F>
Tensor& write_in_place(Tensor& self, const char* name, const Site& site, bool reads_self, bool operand_grad,
                       F compute) {
  check_defined(self, name, site);
  TensorImpl& impl = *self.impl();
  detail::refresh_view(impl);
  if (overlaps_itself(impl)) {
    throw InvalidArgument(op_prefix(name) + "the tensor " + impl.shape.str() + " with strides " +
                              detail::strides_str(impl) +
                              " has elements that several positions share (an expanded axis); writing into it "
                              "in place is ambiguous: clone() it first",
                          site);
  }
  const std::shared_ptr<TensorImpl> base = impl.view_base;  // null: self is its own root
  const TensorImpl& root = base ? *base : impl;
  const bool grad_on = is_grad_enabled();
  if (grad_on && !root.grad_fn && root.requires_grad) {
    throw GraphError(with_site(
        op_prefix(name) + "the tensor " + impl.shape.str() +
            (base ? " is a view of a leaf " + root.shape.str() + " that requires grad" : " is a leaf that requires grad") +
            "; it cannot be modified in place while grad mode records (update parameters under tg::NoGrad, "
            "or clone() it first)",
        site));
  }
  const bool records = grad_on && (operand_grad || root.requires_grad || root.grad_fn || impl.grad_fn);
  if (records && base && !base->contiguous) {
    throw InvalidArgument(op_prefix(name) + "the tensor " + impl.shape.str() + " is a view of a non-contiguous " +
                              base->shape.str() + " tensor (strides " + detail::strides_str(*base) +
                              "); in place under autograd needs a contiguous base: clone() it first",
                          site);
  }
  Tensor result = computed(name, [&] { return compute(records && reads_self ? clone(self, site) : self); });
  if (result.shape() != impl.shape) {
    throw ShapeError(op_prefix(name) + "the result " + result.shape().str() +
                         " (the operands broadcast) does not have the shape of the tensor written in place, " +
                         impl.shape.str(),
                     site);
  }
  if (result.dtype() != impl.dtype) {
    throw DtypeError(op_prefix(name) + "the result is " + dtype_name(result.dtype()) + ", the tensor written in place " +
                         dtype_name(impl.dtype) + " (convert the operand first)",
                     site);
  }
  const TensorImpl& from = *result.impl();
  if (from.storage.get() != impl.storage.get() || from.offset != impl.offset || from.strides != impl.strides) {
    // A result sharing this storage (a window of it) is copied out first, so
    // the write cannot read what it just wrote.
    const Tensor values = from.storage.get() == impl.storage.get() ? detail::copy_values(result) : result;
    kernels::scatter_strided(self, impl.strides, 0, values);
  }
  impl.storage->bump_version();
  if (!records) return self;
  if (!result.impl()->grad_fn) result = with_record(result, self, name, site);
  if (base) {
    rewrite_base_history(base, impl, result, name, site);
    detail::refresh_view(impl);
  } else {
    impl.grad_fn = result.impl()->grad_fn;
    impl.requires_grad = true;
    ++impl.history_generation;
  }
  return self;
}

Tensor as_operand(double value, const Tensor& like) { return scalar(value, like.dtype()); }

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha, Site site) {
  return write_in_place(*this, "add_", site, false, needs_grad(other), [&](const Tensor& x) {
    return alpha == 1.0 ? tg::add(x, other, site) : tg::add(x, tg::mul(other, alpha, site), site);
  });
}

Tensor& Tensor::add_(double other, Site site) {
  return write_in_place(*this, "add_", site, false, false, [&](const Tensor& x) { return tg::add(x, other, site); });
}

Tensor& Tensor::sub_(const Tensor& other, double alpha, Site site) {
  return write_in_place(*this, "sub_", site, false, needs_grad(other), [&](const Tensor& x) {
    return alpha == 1.0 ? tg::sub(x, other, site) : tg::sub(x, tg::mul(other, alpha, site), site);
  });
}

Tensor& Tensor::sub_(double other, Site site) {
  return write_in_place(*this, "sub_", site, false, false, [&](const Tensor& x) { return tg::add(x, -other, site); });
}

Tensor& Tensor::mul_(const Tensor& other, Site site) {
  return write_in_place(*this, "mul_", site, true, needs_grad(other), [&](const Tensor& x) { return tg::mul(x, other, site); });
}

Tensor& Tensor::mul_(double other, Site site) {
  return write_in_place(*this, "mul_", site, false, false, [&](const Tensor& x) { return tg::mul(x, other, site); });
}

Tensor& Tensor::div_(const Tensor& other, Site site) {
  return write_in_place(*this, "div_", site, true, needs_grad(other), [&](const Tensor& x) { return tg::div(x, other, site); });
}

Tensor& Tensor::div_(double other, Site site) {
  return write_in_place(*this, "div_", site, false, false, [&](const Tensor& x) { return tg::div(x, other, site); });
}

Tensor& Tensor::pow_(const Tensor& exponent, Site site) {
  return write_in_place(*this, "pow_", site, true, needs_grad(exponent),
                        [&](const Tensor& x) { return tg::pow(x, exponent, site); });
}

Tensor& Tensor::pow_(double exponent, Site site) {
  return write_in_place(*this, "pow_", site, true, false, [&](const Tensor& x) { return tg::pow(x, exponent, site); });
}

Tensor& Tensor::neg_(Site site) {
  return write_in_place(*this, "neg_", site, false, false, [&](const Tensor& x) { return tg::neg(x, site); });
}

Tensor& Tensor::exp_(Site site) {
  return write_in_place(*this, "exp_", site, false, false, [&](const Tensor& x) { return tg::exp(x, site); });
}

Tensor& Tensor::clamp_(double lo, double hi, Site site) {
  return write_in_place(*this, "clamp_", site, true, false, [&](const Tensor& x) { return tg::clamp(x, lo, hi, site); });
}

Tensor& Tensor::relu_(Site site) {
  return write_in_place(*this, "relu_", site, false, false, [&](const Tensor& x) { return tg::relu(x, site); });
}

Tensor& Tensor::sigmoid_(Site site) {
  return write_in_place(*this, "sigmoid_", site, false, false, [&](const Tensor& x) { return tg::sigmoid(x, site); });
}

Tensor& Tensor::tanh_(Site site) {
  return write_in_place(*this, "tanh_", site, false, false, [&](const Tensor& x) { return tg::tanh(x, site); });
}

Tensor& Tensor::zero_(Site site) {
  return write_in_place(*this, "zero_", site, false, false,
                        [&](const Tensor& x) { return full(x.shape(), 0.0, x.dtype(), site); });
}

Tensor& Tensor::fill_(double value, Site site) {
  return write_in_place(*this, "fill_", site, false, false,
                        [&](const Tensor& x) { return full(x.shape(), value, x.dtype(), site); });
}

Tensor& Tensor::fill_(const Tensor& value, Site site) {
  check_defined(value, "fill_", site);
  if (value.numel() != 1) {
    throw ShapeError("fill_: the value must have one element, got shape " + value.shape().str(), site);
  }
  return write_in_place(*this, "fill_", site, false, needs_grad(value), [&](const Tensor& x) {
    return tg::broadcast_to(tg::reshape(value, Shape{}, site), x.shape(), site);
  });
}

Tensor& Tensor::copy_(const Tensor& source, Site site) {
  check_defined(source, "copy_", site);
  return write_in_place(*this, "copy_", site, false, needs_grad(source), [&](const Tensor& x) {
    const Tensor converted = source.dtype() == x.dtype() ? source : to_dtype(source, x.dtype(), site);
    return tg::broadcast_to(converted, x.shape(), site);
  });
}

Tensor& Tensor::masked_fill_(const Tensor& mask, double value, Site site) {
  check_defined(mask, "masked_fill_", site);
  return write_in_place(*this, "masked_fill_", site, false, false,
                        [&](const Tensor& x) { return where(mask, as_operand(value, x), x, site); });
}

Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value, Site site) {
  check_defined(mask, "masked_fill_", site);
  check_defined(value, "masked_fill_", site);
  if (value.numel() != 1) {
    throw ShapeError("masked_fill_: the value must have one element, got shape " + value.shape().str(), site);
  }
  return write_in_place(*this, "masked_fill_", site, false, needs_grad(value), [&](const Tensor& x) {
    return where(mask, tg::reshape(value, Shape{}, site), x, site);
  });
}

Tensor& Tensor::index_add_(int axis, const Tensor& index, const Tensor& source, double alpha, Site site) {
  return write_in_place(*this, "index_add_", site, false, needs_grad(source),
                        [&](const Tensor& x) { return index_add(x, axis, index, source, alpha, site); });
}

Tensor& Tensor::index_put_(const std::vector<Tensor>& indices, const Tensor& values, bool accumulate, Site site) {
  return write_in_place(*this, "index_put_", site, false, needs_grad(values),
                        [&](const Tensor& x) { return index_put(x, indices, values, accumulate, site); });
}

std::uint32_t Tensor::_version() const {
  if (!impl_) throw std::logic_error("Tensor::_version: the tensor is undefined");
  return impl_->storage->version();
}

Tensor& Tensor::operator+=(At other) { return add_(other.tensor, 1.0, other.site); }
Tensor& Tensor::operator-=(At other) { return sub_(other.tensor, 1.0, other.site); }
Tensor& Tensor::operator*=(At other) { return mul_(other.tensor, other.site); }
Tensor& Tensor::operator/=(At other) { return div_(other.tensor, other.site); }
Tensor& Tensor::operator+=(AtValue other) { return add_(other.value, other.site); }
Tensor& Tensor::operator-=(AtValue other) { return sub_(other.value, other.site); }
Tensor& Tensor::operator*=(AtValue other) { return mul_(other.value, other.site); }
Tensor& Tensor::operator/=(AtValue other) { return div_(other.value, other.site); }

}  // namespace tg
