// The op table itself: its rows put together, checked, and the helper the
// non-contiguous sweep makes its inputs with.
#include "op_table.hpp"

#include <set>
#include <sstream>

namespace tg::test {

bool OpInfo::has_gradient() const {
  for (bool d : differentiable)
    if (d) return true;
  return false;
}

std::string OpInfo::id() const { return variant.empty() ? name : name + " (" + variant + ")"; }

const std::vector<OpInfo>& op_table() {
  static const std::vector<OpInfo> table = [] {
    std::vector<OpInfo> rows;
    for (auto* family : {&elementwise_rows, &reduction_and_linalg_rows, &shape_rows, &network_rows, &creation_rows, &in_place_rows})
      for (OpInfo& row : (*family)()) rows.push_back(std::move(row));
    return rows;
  }();
  return table;
}

std::vector<std::string> op_names() {
  std::set<std::string> names;
  for (const OpInfo& row : op_table()) names.insert(row.name);
  return {names.begin(), names.end()};
}

std::string check_row(const OpInfo& row) {
  std::ostringstream problems;
  const std::string id = row.name.empty() ? "a row without a name" : row.id();
  if (row.name.empty()) problems << "; no name";
  if (row.torch_name.empty()) problems << "; no PyTorch name";
  if (row.error_name.empty()) problems << "; no name for its errors";
  if (row.dtypes.empty()) problems << "; no dtype";
  if (!row.call) problems << "; no call";
  if (row.arity < 0) problems << "; negative arity";
  if (!row.differentiable.empty() && row.differentiable.size() != static_cast<std::size_t>(row.arity))
    problems << "; " << row.differentiable.size() << " differentiable flags for " << row.arity << " inputs";
  for (int i : row.optional_inputs)
    if (i < 0 || i >= row.arity) problems << "; optional input " << i << " of " << row.arity;
  if (!row.samples) {
    problems << "; no sample generator";
  } else {
    for (Dtype dtype : row.dtypes) {
      const std::vector<Sample> samples = row.samples(dtype);
      if (samples.empty()) problems << "; no sample for " << dtype_name(dtype);
      for (const Sample& s : samples) {
        if (s.inputs.size() != static_cast<std::size_t>(row.arity))
          problems << "; sample \"" << s.label << "\" has " << s.inputs.size() << " inputs, not " << row.arity;
      }
    }
  }
  const std::string text = problems.str();
  return text.empty() ? "" : id + ":" + text.substr(1);
}

Tensor make_noncontiguous(const Tensor& x) {
  if (!x.defined() || x.rank() == 0) return x;
  NoGrad no_grad;
  // (..., n) -> (..., n, 2) -> its first column: with strided views, every
  // other element of a buffer twice as long as x.
  Tensor y = squeeze(slice(stack({x, x}, -1), -1, 0, 1), -1).detach();
  if (x.requires_grad()) y.requires_grad_();
  return y;
}

}  // namespace tg::test
