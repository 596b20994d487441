// The op table's reductions (over axes, with and without keepdims), sum_to,
// matmul and addmm.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

SampleArgs over(Axes axes, bool keepdims, int ddof = 0) {
  SampleArgs a;
  a.axes = std::move(axes);
  a.keepdims = keepdims;
  a.ddof = ddof;
  return a;
}

// Every axis, one axis, two axes, a negative axis, each with and without
// keepdims; a 0-d tensor; `empty`: an empty tensor reduced over its zero
// axis (sum and mean give 0 and NaN), left out for max/min/var/logsumexp.
SampleGenerator reduction_samples(bool empty, int ddof = 0) {
  return [=](Dtype dtype) {
    Generator gen(kSampleSeed);
    const Tensor x = values({2, 3, 4}, dtype, gen);
    std::vector<Sample> s = {
        sample({x}, "all axes", over({}, false, ddof)),
        sample({x}, "all axes, keepdims", over({}, true, ddof)),
        sample({x}, "axis 1", over(1, false, ddof)),
        sample({x}, "axes {0, 2}, keepdims", over({0, 2}, true, ddof)),
        sample({x}, "axis -1, keepdims", over(-1, true, ddof)),
        sample({values({5}, dtype, gen)}, "(5,)", over({}, false, ddof)),
    };
    if (ddof == 0) s.push_back(sample({values({}, dtype, gen)}, "0-d", over({}, false)));
    if (empty) s.push_back(sample({values({0, 3}, dtype, gen)}, "empty (0, 3) over axis 0", over(0, false)));
    return s;
  };
}

using Reduction = std::function<Tensor(const Tensor&, const SampleArgs&)>;

OpInfo reduction(std::string name, std::string torch_name, Reduction f, bool empty, int ddof = 0) {
  OpInfo row;
  row.name = row.error_name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.arity = 1;
  row.dtypes = kFloating;
  row.differentiable = {true};
  row.samples = reduction_samples(empty, ddof);
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs& a) { return f(x[0], a); };
  return row;
}

OpInfo matmul_row() {
  OpInfo row;
  row.name = row.error_name = "matmul";
  row.torch_name = "torch.matmul";
  row.arity = 2;
  row.dtypes = kFloating;
  row.differentiable = {true, true};
  row.samples = [](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto v = [&](const Shape& s) { return values(s, dtype, gen); };
    return std::vector<Sample>{
        sample({v({2, 3}), v({3, 4})}, "(2, 3) @ (3, 4)"),
        sample({v({3}), v({3, 4})}, "vector @ matrix"),
        sample({v({2, 3}), v({3})}, "matrix @ vector"),
        sample({v({3}), v({3})}, "vector @ vector"),
        sample({v({2, 2, 3}), v({3, 4})}, "batch (2, 2, 3) @ (3, 4)"),
        sample({v({2, 1, 2, 3}), v({3, 3, 2})}, "broadcast batch (2, 1) with (3,)"),
        sample({v({0, 3}), v({3, 2})}, "empty (0, 3) @ (3, 2)"),
        sample({v({2, 0}), v({0, 3})}, "inner dimension 0"),
    };
  };
  row.call = [](const std::vector<Tensor>& x, const SampleArgs&) { return matmul(x[0], x[1]); };
  return row;
}

SampleArgs flags(bool a, bool b) {
  SampleArgs args;
  args.flag_a = a;
  args.flag_b = b;
  return args;
}

OpInfo matmul_flags_row() {
  OpInfo row = matmul_row();
  row.variant = "transpose flags";
  row.samples = [](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto v = [&](const Shape& s) { return values(s, dtype, gen); };
    return std::vector<Sample>{
        sample({v({2, 3}), v({3, 4})}, "no flag", flags(false, false)),
        sample({v({3, 2}), v({3, 4})}, "a transposed", flags(true, false)),
        sample({v({2, 3}), v({4, 3})}, "b transposed", flags(false, true)),
        sample({v({2, 3, 2}), v({2, 4, 3})}, "both, batched", flags(true, true)),
    };
  };
  row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) { return matmul(x[0], x[1], a.flag_a, a.flag_b); };
  return row;
}

OpInfo addmm_row(bool handed_over) {
  OpInfo row;
  row.name = row.error_name = "addmm";
  row.variant = handed_over ? "handed-over addend" : "";
  row.torch_name = "torch.addmm";
  row.arity = 3;
  row.dtypes = kFloating;
  row.differentiable = {true, true, true};
  row.samples = [](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto v = [&](const Shape& s) { return values(s, dtype, gen); };
    return std::vector<Sample>{
        sample({v({4}), v({2, 3}), v({3, 4})}, "bias (4,)"),
        sample({v({1, 4}), v({2, 3}), v({3, 4})}, "row (1, 4)"),
        sample({v({2, 1}), v({2, 3}), v({3, 4})}, "column (2, 1)"),
        sample({v({2, 4}), v({2, 3}), v({3, 4})}, "full (2, 4)"),
        sample({v({2, 4}), v({3, 2}), v({4, 3})}, "both transposed", flags(true, true)),
        sample({v({4}), v({0, 3}), v({3, 4})}, "empty batch"),
    };
  };
  if (handed_over) {
    row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) {
      Tensor c = x[0];
      return addmm(std::move(c), x[1], x[2], a.flag_a, a.flag_b);
    };
  } else {
    row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) {
      return addmm(x[0], x[1], x[2], a.flag_a, a.flag_b);
    };
  }
  return row;
}

OpInfo sum_to_row() {
  OpInfo row;
  row.name = row.error_name = "sum_to";
  row.torch_name = "torch.Tensor.sum_to_size";
  row.arity = 1;
  row.dtypes = kFloating;
  row.differentiable = {true};
  row.samples = [](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto to = [](Shape s) {
      SampleArgs a;
      a.shape = std::move(s);
      return a;
    };
    return std::vector<Sample>{
        sample({values({2, 3}, dtype, gen)}, "(2, 3) to (3,)", to({3})),
        sample({values({2, 3}, dtype, gen)}, "(2, 3) to (2, 1)", to({2, 1})),
        sample({values({2, 3, 4}, dtype, gen)}, "(2, 3, 4) to (1, 4)", to({1, 4})),
        sample({values({2, 3}, dtype, gen)}, "(2, 3) to ()", to({})),
        sample({values({2, 3}, dtype, gen)}, "the same shape", to({2, 3})),
        sample({values({0, 3}, dtype, gen)}, "empty (0, 3) to (3,)", to({3})),
    };
  };
  row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) { return sum_to(x[0], a.shape); };
  return row;
}

}  // namespace

std::vector<OpInfo> reduction_and_linalg_rows() {
  return {
      reduction("sum", "torch.sum", [](const Tensor& x, const SampleArgs& a) { return sum(x, a.axes, a.keepdims); },
                true),
      reduction("mean", "torch.mean",
                [](const Tensor& x, const SampleArgs& a) { return mean(x, a.axes, a.keepdims); }, false),
      reduction("max", "torch.amax", [](const Tensor& x, const SampleArgs& a) { return max(x, a.axes, a.keepdims); },
                false),
      reduction("min", "torch.amin", [](const Tensor& x, const SampleArgs& a) { return min(x, a.axes, a.keepdims); },
                false),
      reduction("var", "torch.var",
                [](const Tensor& x, const SampleArgs& a) { return var(x, a.axes, a.keepdims, {.correction = a.ddof}); }, false, 1),
      reduction("logsumexp", "torch.logsumexp",
                [](const Tensor& x, const SampleArgs& a) { return logsumexp(x, a.axes, a.keepdims); }, false),
      sum_to_row(),
      matmul_row(),
      matmul_flags_row(),
      addmm_row(false),
      addmm_row(true),
  };
}

}  // namespace tg::test
