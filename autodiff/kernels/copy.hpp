// Plain data movement on tensors, outside the tape. Private.
#pragma once

#include "../tensor_impl.hpp"
#include "loops.hpp"

namespace tg::kernels {

/// Sets every element to `value`.
void fill(Tensor& t, double value);
/// dst += src (same shape and dtype; either may be strided).
void add_into(Tensor& dst, const Tensor& src);
/// A contiguous tensor of `shape` read from `src`'s first element
/// (TensorImpl::base) through `src_strides`, starting at element
/// `src_offset` from there (a view's own strides make it contiguous).
Tensor gather_strided(const Tensor& src, const Shape& shape, const Strides& src_strides,
                      std::int64_t src_offset = 0);
/// dst[dst_offset + strides...] = src, dst's elements counted from its first
/// one (TensorImpl::base), src read through its own strides (the reverse of
/// gather_strided: embed a slice, pad, copy_ into a view).
void scatter_strided(Tensor& dst, const Strides& dst_strides, std::int64_t dst_offset,
                     const Tensor& src);
/// dst[dst_offset + strides...] += src: scatter_strided that adds, for a
/// gradient summed into its slice in place.
void add_strided(Tensor& dst, const Strides& dst_strides, std::int64_t dst_offset, const Tensor& src);
/// Strides that read `t` (from TensorImpl::base, through its own strides)
/// broadcast to `out`: 0 on axes where t has extent 1 or none.
Strides operand_strides(const Tensor& t, const Shape& out);
/// Converts values to another dtype.
Tensor convert(const Tensor& src, Dtype dtype);
/// Throws InvalidArgument naming `op`, the first offending element and its
/// value when a float tensor holds a value int64 cannot hold (NaN, ±inf,
/// beyond ±2^63): its conversion would be undefined behaviour. Every float to
/// int64 conversion checks with this, so that all of them refuse alike.
void check_fits_int64(const Tensor& x, const char* op, const Site& site);

}  // namespace tg::kernels
