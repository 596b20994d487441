// The op table: one row per public op of include/tapegrad/autodiff/ops.hpp,
// nn_ops.hpp and creation.hpp, from which the sweeps are derived (gradcheck,
// dtype, non-contiguous input, bad input) and against which the README's op
// list is checked. Modelled on PyTorch's OpInfo
// (torch/testing/_internal/common_methods_invocations.py), written our way:
// a row is plain data plus two functions, one that makes sample inputs for a
// dtype and one that calls the op on a sample.
//
// Note [Adding an op]
// ~~~~~~~~~~~~~~~~~~~
// An op is its source file and one row here (op_table_*.cpp, by family).
// The row names the op as tapegrad spells it and as PyTorch does, says which
// dtypes it accepts (the others must be refused with a DtypeError naming the
// op), which tensor inputs the gradient flows to, whether second
// derivatives are checked, and gives several samples: broadcasting shapes,
// keepdims variants, edge sizes. check_row() refuses a row without a sample
// generator or a call, so such a row fails test_op_table. The README's list
// (between the `op-table` markers) must name the same ops.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tg::test {

/// The non-tensor arguments of one sample (OpInfo's args and kwargs, typed):
/// each row reads the fields it needs and ignores the others.
struct SampleArgs {
  Axes axes;                      ///< reductions
  bool keepdims = false;
  int ddof = 0;                   ///< var
  int axis = 0;                   ///< one axis (softmax, slice, gather, concat, ...)
  int axis1 = -1;                 ///< a second axis (transpose, flatten's end)
  std::vector<int> dims;          ///< permute
  Shape shape;                    ///< reshape, broadcast_to, sum_to, creation
  double scalar = 0.0;            ///< a constant operand or value
  double scalar1 = 0.0;           ///< a second constant (clamp's hi, softplus's threshold)
  std::int64_t start = 0, stop = 0, step = 1;  ///< slice, arange
  std::vector<std::pair<std::int64_t, std::int64_t>> widths;  ///< pad
  bool flag_a = false, flag_b = false;  ///< matmul's and addmm's transposes
  Extent2 kernel{1, 1};           ///< unfold, fold, pooling
  Extent2 output_size{1, 1};      ///< fold
  Conv2dOptions conv;             ///< unfold, fold, conv2d
  Conv1dOptions conv1;            ///< conv1d
  MaxPool2dOptions max_pool;
  AvgPool2dOptions avg_pool;
  Dtype dtype = f32;              ///< the dtype asked for (creation, to_dtype)
};

/// One sample: the tensor inputs, in the op's order, and the other arguments.
/// An input the row does not differentiate (an index, a condition) stays as
/// it is; `label` says what the sample exercises ("broadcast (2, 3) + (3,)").
struct Sample {
  std::vector<Tensor> inputs;
  SampleArgs args;
  std::string label;
  /// The gradcheck sweep's options for this sample (wider where the op
  /// rounds to float32 on the way).
  GradcheckOptions gradcheck{};
};

/// What a row's generator makes for a dtype: several samples, or none when
/// the op cannot take the dtype (the dtype sweep then builds its own input).
using SampleGenerator = std::function<std::vector<Sample>(Dtype)>;
/// Calls the op on a sample's inputs and arguments.
using OpCall = std::function<Tensor(const std::vector<Tensor>&, const SampleArgs&)>;

/// One row of the op table.
struct OpInfo {
  /// The name as the public header spells it ("add", "operator+", "conv2d").
  std::string name;
  /// Tells overloads apart ("", "scalar", "transpose flags"); (name, variant) is unique.
  std::string variant;
  /// PyTorch's name for it ("torch.add", "torch.Tensor.__add__", "torch.nn.functional.conv2d").
  std::string torch_name;
  /// The name the op's error messages use ("add" for operator+).
  std::string error_name;
  /// Number of tensor inputs (0 for most creation ops).
  int arity = 0;
  /// The dtypes the op accepts for its inputs (for creation ops: that it makes).
  std::vector<Dtype> dtypes;
  /// The dtype of the result for a sample made for `dtype`; `dtype` itself when unset.
  std::function<Dtype(Dtype dtype, const SampleArgs& args)> result_dtype;
  /// Per tensor input: whether the gradient flows to it. All false (or empty)
  /// for creation ops and ops with integer or boolean results: no gradient column.
  std::vector<bool> differentiable;
  /// Inputs where an undefined Tensor means "none" (conv's bias, lstm_cell's
  /// c_prev): the bad-input sweep does not expect them to be refused.
  std::vector<int> optional_inputs;
  /// Whether second derivatives (create_graph) are checked.
  bool second_order = true;
  /// Whether the non-contiguous sweep applies (false only where the op takes
  /// no tensor input).
  bool noncontiguous = true;
  /// Whether a dtype outside `dtypes` can be asked for at all (false where
  /// the overload fixes the dtype: from_vector of floats, randperm); the
  /// dtype sweep checks that such a request is refused.
  bool other_dtypes_possible = true;
  /// Whether float32 and float64 inputs may meet in one call (copy_
  /// converts its source, as PyTorch's does); the mixed-dtype check skips it.
  bool mixes_dtypes = false;
  SampleGenerator samples;
  OpCall call;

  bool has_gradient() const;
  /// "add" or "add (scalar)".
  std::string id() const;
};

/// Every row; built once.
const std::vector<OpInfo>& op_table();

/// The distinct names of the table's rows (what the README must list).
std::vector<std::string> op_names();

/// What is wrong with a row ("" when nothing): a missing sample generator,
/// call, name, PyTorch name or dtype; a differentiable column that does not
/// match the arity; a generator that makes no sample for a claimed dtype, or
/// samples with the wrong number of inputs.
std::string check_row(const OpInfo& row);

/// The rows of each family (op_table_*.cpp).
std::vector<OpInfo> elementwise_rows();
std::vector<OpInfo> reduction_and_linalg_rows();
std::vector<OpInfo> shape_rows();
std::vector<OpInfo> network_rows();
std::vector<OpInfo> creation_rows();
std::vector<OpInfo> in_place_rows();

/// `x` with the same values and dtype, laid out non-contiguously once
/// tensors have strides (every other element of a buffer twice as long: a
/// slice of a stack); until then a contiguous copy. A leaf that requires
/// grad when `x` does.
Tensor make_noncontiguous(const Tensor& x);

}  // namespace tg::test
