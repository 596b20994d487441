// What the layers share: their weights' initialisation and their input
// checks. Private to nn/.
#pragma once

#include <string>
#include <string_view>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/tensor.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn::detail {

/// A new tensor of `shape` filled by the initializer called `init` (see
/// init::by_name) from `generator`, or the thread's default generator when
/// it is null.
Tensor initialized(const Shape& shape, std::string_view init, Dtype dtype, Generator* generator);

/// "Linear(784 -> 256)": a layer's type and configuration, for messages.
std::string layer_name(const Module& layer);

/// Throws ShapeError "<layer>: expected <expected>, got <shape>".
[[noreturn]] void throw_rank_error(const Tensor& x, const std::string& layer, const std::string& expected);

/// Checks that x is defined with rank `rank` (or at least `rank` when
/// `at_least`). Forward passes call this on every batch, so the message
/// (`expected()` returns its middle) is only built when the check fails.
template <class Expected>
void check_rank(const Tensor& x, int rank, bool at_least, const Module& layer, Expected&& expected) {
  if (x.defined() && (at_least ? x.rank() >= rank : x.rank() == rank)) return;
  throw_rank_error(x, layer_name(layer), expected());
}

}  // namespace tg::nn::detail
