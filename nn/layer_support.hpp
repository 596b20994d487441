// What the layers share: their weights' initialisation and their input
// checks. Private to nn/.
#pragma once

#include <string>
#include <string_view>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/tensor.hpp"

namespace tg::nn::detail {

/// A new tensor of `shape` filled by the initializer called `init` (see
/// init::by_name) from `generator`, or the thread's default generator when
/// it is null.
Tensor initialized(const Shape& shape, std::string_view init, Dtype dtype, Generator* generator);

/// Throws ShapeError "<layer>: expected <expected>, got <shape>" unless x has
/// rank `rank` (or at least `rank` when `at_least`).
void check_rank(const Tensor& x, int rank, bool at_least, const std::string& layer, const std::string& expected);

}  // namespace tg::nn::detail
