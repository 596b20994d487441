// View ops: a new shape, strides and offset on the input's storage, with
// nothing copied; writes through a view are seen by its base and the
// reverse, and both share one version counter. Each is recorded, and its
// gradient flows back to the base. PyTorch's names, argument orders and
// defaults.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor.hpp"

namespace tg {

/// Same values, new shape (one extent may be -1): a view when x's strides
/// allow one, a copy otherwise (as PyTorch's reshape).
Tensor reshape(const Tensor& x, const Shape& shape, Site site = Site::current());
/// Same values, new shape, always a view: throws ShapeError, naming the
/// shape and strides, when x's strides allow none (use reshape or contiguous).
Tensor view(const Tensor& x, const Shape& shape, Site site = Site::current());
/// x when contiguous, else a contiguous copy; the gradient passes through.
Tensor contiguous(const Tensor& x, Site site = Site::current());
/// Axes reordered: result axis i is x's axis dims[i].
Tensor permute(const Tensor& x, const std::vector<int>& dims, Site site = Site::current());
/// Swaps two axes (by default the last two, where PyTorch's transpose has no
/// default: the matrix case is the common one here).
Tensor transpose(const Tensor& x, int axis0 = -2, int axis1 = -1, Site site = Site::current());
/// The transpose of a matrix; a vector or scalar as it is (PyTorch's t()).
Tensor t(const Tensor& x, Site site = Site::current());
/// Elements start, start+step, ... < stop along `axis`; Python rules for
/// negative and out-of-range bounds. step > 0.
Tensor slice(const Tensor& x, int axis, std::int64_t start, std::int64_t stop,
             std::int64_t step = 1, Site site = Site::current());
/// `length` elements of `axis` from `start` (negative counts from the end);
/// unlike slice, a window past the end is an error (PyTorch's narrow).
Tensor narrow(const Tensor& x, int axis, std::int64_t start, std::int64_t length, Site site = Site::current());
/// Element `index` of `axis` (negative counts from the end), the axis removed.
Tensor select(const Tensor& x, int axis, std::int64_t index, Site site = Site::current());
/// The diagonal (i, i + offset) of axes axis0 and axis1, which are removed;
/// the diagonal becomes the last axis (PyTorch's diagonal).
Tensor diagonal(const Tensor& x, std::int64_t offset = 0, int axis0 = 0, int axis1 = 1,
                Site site = Site::current());
/// Broadcasts x to `shape` (NumPy rules) as a view with stride 0 on the
/// broadcast axes; x itself when it already has that shape.
Tensor broadcast_to(const Tensor& x, const Shape& shape, Site site = Site::current());
/// broadcast_to where -1 keeps x's extent (PyTorch's expand).
Tensor expand(const Tensor& x, const Shape& shape, Site site = Site::current());
/// Compositions of reshape (views where reshape gives one).
Tensor flatten(const Tensor& x, int start_axis = 0, int end_axis = -1, Site site = Site::current());
Tensor squeeze(const Tensor& x, int axis, Site site = Site::current());
Tensor unsqueeze(const Tensor& x, int axis, Site site = Site::current());
/// Pieces of `split_size` along `axis` (the last one smaller), as views.
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int axis = 0, Site site = Site::current());
/// Pieces of the given sizes (they must add up to the extent), as views.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, int axis = 0,
                          Site site = Site::current());
/// `chunks` pieces of ceil(n / chunks) along `axis` (fewer when n is small).
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int axis = 0, Site site = Site::current());
/// Every element of `axis`, the axis removed, as views.
std::vector<Tensor> unbind(const Tensor& x, int axis = 0, Site site = Site::current());

}  // namespace tg
