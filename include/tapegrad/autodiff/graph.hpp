// Looking at the tape: the graph recorded behind a tensor as Graphviz DOT,
// and a report of what it holds (records by op, bytes kept for backward).
// Both walk the graph with an explicit stack, so a chain of 100,000 records
// is fine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace tg {

/// The graph recorded behind `output` in Graphviz DOT (`dot -Tsvg`): a box per
/// record with the op's name, its output shape and dtype, and the file:line
/// that called it; an ellipse per leaf with its shape and "requires grad"; a
/// dashed ellipse per input that does not require grad (the record keeps no
/// handle to it, so its shape is unknown); an edge from each input to the op
/// that used it, labelled with the input's position when the op has several.
/// The output's record is drawn with a double border; a record already
/// released by backward() is marked "released". A leaf `output` gives its
/// node alone.
std::string to_dot(const Tensor& output);

/// Records of one op in a TapeReport.
struct OpRecords {
  std::string op;
  std::int64_t records = 0;
  /// Bytes of the storages first seen in this op's saved tensors (a storage
  /// shared by several records is counted once, for the first record walked).
  std::int64_t saved_bytes = 0;
};

/// What the graph behind a tensor holds.
struct TapeReport {
  /// Records reachable from the tensor, and how many of them were already
  /// released by a backward() (they hold nothing any more).
  std::int64_t records = 0;
  std::int64_t released = 0;
  /// Distinct leaves that require grad (parameters, inputs being differentiated).
  std::int64_t leaves = 0;
  /// Per op, most records first (then by name).
  std::vector<OpRecords> ops;
  /// Tensors the VJPs saved for the backward pass, the distinct storages
  /// behind them, and those storages' bytes, each storage once: the memory
  /// the graph keeps alive for backward (parameters a VJP saved included).
  /// A tensor an op keeps as a plain capture rather than detail::Saved is not
  /// seen (see Note [Counting saved tensors]).
  std::int64_t saved_tensors = 0;
  std::int64_t saved_storages = 0;
  std::int64_t saved_bytes = 0;

  /// The records of `op` (0 when there are none).
  std::int64_t count(const std::string& op) const;
  /// A summary line, then a table: op, records, saved bytes.
  std::string str() const;
};

/// The records behind `output`, by op, and the bytes they keep for backward.
TapeReport tape_report(const Tensor& output);

}  // namespace tg
