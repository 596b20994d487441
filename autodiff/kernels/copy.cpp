#include "copy.hpp"

#include <cstring>
#include <sstream>

namespace tg::kernels {

void fill(Tensor& t, double value) {
  dispatch_any(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.impl()->base<T>();
    const T v = static_cast<T>(value);
    for_each_run<1>(t.shape(), {t.impl()->strides}, [&](const auto& off, std::int64_t n, const auto& step) {
      T* q = p + off[0];
      if (step[0] == 1) {
        for (std::int64_t i = 0; i < n; ++i) q[i] = v;
      } else {
        for (std::int64_t i = 0; i < n; ++i) q[i * step[0]] = v;
      }
    });
  });
}

void add_into(Tensor& dst, const Tensor& src) {
  if (!dst.impl()->contiguous || !src.impl()->contiguous) {
    add_strided(dst, dst.impl()->strides, 0, src);
    return;
  }
  dispatch_any(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* d = dst.impl()->data<T>();
    const T* s = src.impl()->data<T>();
    const std::int64_t n = dst.numel();
    for (std::int64_t i = 0; i < n; ++i) d[i] += s[i];
  });
}

Tensor gather_strided(const Tensor& src, const Shape& shape, const Strides& src_strides,
                      std::int64_t src_offset) {
  Tensor out = detail::empty(shape, src.dtype());
  dispatch_any(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.impl()->data<T>();
    const T* s = src.impl()->base<T>() + src_offset;
    for_each_run<2>(shape, {contiguous_strides(shape), src_strides},
                    [&](const auto& off, std::int64_t n, const auto& step) {
                      T* po = o + off[0];
                      const T* ps = s + off[1];
                      const std::int64_t ss = step[1];
                      if (ss == 1) {
                        std::memcpy(po, ps, static_cast<std::size_t>(n) * sizeof(T));
                      } else if (ss == 0) {
                        for (std::int64_t j = 0; j < n; ++j) po[j] = *ps;
                      } else {
                        for (std::int64_t j = 0; j < n; ++j) po[j] = ps[j * ss];
                      }
                    });
  });
  return out;
}

namespace {

// dst[window] = combine(dst[window], src) over the strided window of dst
// that src fills; a unit stride gets a loop of its own, which vectorises.
template <class Combine>
void combine_strided(Tensor& dst, const Strides& dst_strides, std::int64_t dst_offset, const Tensor& src,
                     Combine combine) {
  dispatch_any(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* d = dst.impl()->base<T>() + dst_offset;
    const T* s = src.impl()->base<T>();
    for_each_run<2>(src.shape(), {dst_strides, src.impl()->strides},
                    [&](const auto& off, std::int64_t n, const auto& step) {
                      T* pd = d + off[0];
                      const T* ps = s + off[1];
                      const std::int64_t ds = step[0];
                      const std::int64_t ss = step[1];
                      if (ds == 1 && ss == 1) {
                        for (std::int64_t j = 0; j < n; ++j) pd[j] = combine(pd[j], ps[j]);
                      } else {
                        for (std::int64_t j = 0; j < n; ++j) pd[j * ds] = combine(pd[j * ds], ps[j * ss]);
                      }
                    });
  });
}

}  // namespace

void scatter_strided(Tensor& dst, const Strides& dst_strides, std::int64_t dst_offset,
                     const Tensor& src) {
  combine_strided(dst, dst_strides, dst_offset, src, [](auto, auto v) { return v; });
}

void add_strided(Tensor& dst, const Strides& dst_strides, std::int64_t dst_offset, const Tensor& src) {
  combine_strided(dst, dst_strides, dst_offset, src, [](auto a, auto v) { return a + v; });
}

Tensor convert(const Tensor& src, Dtype dtype) {
  Tensor out = detail::empty(src.shape(), dtype);
  dispatch_any(src.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    dispatch_any(dtype, [&](auto out_tag) {
      using Out = decltype(out_tag);
      const Tensor flat = detail::dense(src);
      const In* s = flat.impl()->data<In>();
      Out* o = out.impl()->data<Out>();
      const std::int64_t n = src.numel();
      for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(s[i]);
    });
  });
  return out;
}

void check_fits_int64(const Tensor& x, const char* op, const Site& site) {
  if (!is_floating(x.dtype())) return;
  dispatch_float(x.dtype(), op, site, [&](auto tag) {
    using T = decltype(tag);
    const Tensor flat = detail::dense(x);
    const T* p = flat.impl()->data<T>();
    constexpr double kLimit = 0x1.0p63;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double v = static_cast<double>(p[i]);
      if (!(v >= -kLimit && v < kLimit)) {
        std::ostringstream value;
        value << v;
        throw InvalidArgument(std::string(op) + ": cannot convert " + value.str() + " (element " + std::to_string(i) +
                                  " of " + x.shape().str() + " " + dtype_name(x.dtype()) + ") to int64",
                              site);
      }
    }
  });
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides{};
  std::int64_t stride = 1;
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    strides[static_cast<std::size_t>(axis)] = stride;
    // Only a zero-size tensor's extents multiply past int64 ((0, 2^40, 2^40,
    // 2^40)); its strides address no element, and the outer ones stay 0.
    if (__builtin_mul_overflow(stride, shape[axis], &stride)) stride = 0;
  }
  return strides;
}

Strides operand_strides(const Tensor& t, const Shape& out) {
  Strides strides{};
  const Shape& in = t.shape();
  const int shift = out.rank() - in.rank();
  for (int axis = 0; axis < in.rank(); ++axis) {
    const auto o = static_cast<std::size_t>(axis + shift);
    strides[o] = (in[axis] == 1 && out[axis + shift] != 1) ? 0 : t.impl()->strides[static_cast<std::size_t>(axis)];
  }
  return strides;
}

Strides broadcast_strides(const Shape& in, const Shape& out) {
  Strides strides{};
  const Strides own = contiguous_strides(in);
  const int shift = out.rank() - in.rank();
  for (int axis = 0; axis < in.rank(); ++axis) {
    const auto o = static_cast<std::size_t>(axis + shift);
    strides[o] = (in[axis] == 1 && out[axis + shift] != 1) ? 0 : own[static_cast<std::size_t>(axis)];
  }
  return strides;
}

}  // namespace tg::kernels
