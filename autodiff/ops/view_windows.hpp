// The window of a view in its root base, as a recorded view op: what an
// in-place op on a view rebuilds the view's history with (Note [In-place
// ops] in tensor_impl.hpp). Private.
#pragma once

#include "../tensor_impl.hpp"

namespace tg::detail {

/// The view of `base` (contiguous) with `shape` and `strides`, `offset`
/// elements past its first; recorded as `name`, with the adjoint of a window
/// (Note [The adjoint of a window]), overlapping elements summed.
Tensor window_of_base(const Tensor& base, const Shape& shape, const kernels::Strides& strides, std::int64_t offset,
                      const char* name, const Site& site);

}  // namespace tg::detail
