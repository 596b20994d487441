// What the sweeps over the op table share: running a row on a sample with
// some inputs replaced, and naming a row and sample in a failure.
#pragma once

#include <string>
#include <vector>

#include "../support.hpp"
#include "op_table.hpp"

namespace tg::test {

/// The positions of the inputs a row differentiates.
inline std::vector<std::size_t> differentiable_positions(const OpInfo& row) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < row.differentiable.size(); ++i)
    if (row.differentiable[i]) at.push_back(i);
  return at;
}

/// The row on the sample's inputs with those at `positions` replaced by `xs`.
inline Tensor call_with(const OpInfo& row, const Sample& s, const std::vector<std::size_t>& positions,
                        const std::vector<Tensor>& xs) {
  std::vector<Tensor> inputs = s.inputs;
  for (std::size_t k = 0; k < positions.size(); ++k) inputs[positions[k]] = xs[k];
  return row.call(inputs, s.args);
}

/// "add, sample \"broadcast (2, 3) and (3,)\" in float64".
inline std::string describe(const OpInfo& row, const Sample& s, Dtype dtype) {
  return row.id() + ", sample \"" + s.label + "\" in " + dtype_name(dtype);
}

/// Fixed weights of `shape` for projecting a tensor to a scalar: every
/// element counts, each with its own weight.
inline Tensor projection(const Shape& shape, Dtype dtype, std::uint64_t seed) {
  Generator gen(seed);
  return uniform(shape, 0.5, 1.5, gen, dtype);
}

}  // namespace tg::test
