// The op table's in-place ops (Tensor::add_, ..., +=) and the out-of-place
// ops they lean on (index_add, index_copy, index_put, clone). An in-place
// row writes into a clone of its first input, so the sweeps' leaves stay
// leaves and the gradient flows through the write to them.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

using Apply = std::function<void(Tensor& target, const std::vector<Tensor>& x, const SampleArgs& a)>;
using Make = std::function<std::vector<Sample>(Dtype, Generator&)>;

OpInfo row_of(std::string name, std::string torch_name, std::string error_name, int arity,
              std::vector<bool> differentiable, Make make) {
  OpInfo row;
  row.name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.error_name = std::move(error_name);
  row.arity = arity;
  row.dtypes = kFloating;
  row.differentiable = std::move(differentiable);
  row.samples = [make = std::move(make)](Dtype dtype) {
    Generator gen(kSampleSeed);
    return make(dtype, gen);
  };
  return row;
}

// An in-place method: the call writes into a clone of input 0 and returns it.
OpInfo in_place(std::string name, std::string variant, std::string error_name, int arity,
                std::vector<bool> differentiable, Make make, Apply apply) {
  OpInfo row = row_of("Tensor::" + name, "torch.Tensor." + name, std::move(error_name), arity,
                      std::move(differentiable), std::move(make));
  row.variant = std::move(variant);
  row.call = [apply = std::move(apply)](const std::vector<Tensor>& x, const SampleArgs& a) {
    Tensor target = x[0].defined() ? x[0].clone() : x[0];
    apply(target, x, a);
    return target;
  };
  return row;
}

SampleArgs with_scalars(double s, double s1 = 0.0) {
  SampleArgs a;
  a.scalar = s;
  a.scalar1 = s1;
  return a;
}

SampleArgs with_axis(int axis, double alpha = 1.0) {
  SampleArgs a;
  a.axis = axis;
  a.scalar = alpha;
  return a;
}

// x and an operand: broadcast, same shape, 0-d, empty; operands in [lo, hi].
Make binary_samples(double lo = -2.0, double hi = 2.0, double x_lo = -2.0) {
  return [=](Dtype d, Generator& g) {
    auto x = [&](const Shape& s) { return values(s, d, g, x_lo, 2.0); };
    auto w = [&](const Shape& s) { return values(s, d, g, lo, hi); };
    return std::vector<Sample>{
        sample({x({2, 3}), w({3})}, "broadcast (2, 3) and (3,)", with_scalars(0.5)),
        sample({x({2, 3}), w({2, 3})}, "same shape", with_scalars(1.0)),
        sample({x({2, 3}), w({})}, "0-d operand", with_scalars(-1.5)),
        sample({x({0, 3}), w({3})}, "empty", with_scalars(2.0)),
    };
  };
}

Make unary_samples(double lo = -2.0, double hi = 2.0, double s = 0.0, double s1 = 0.0) {
  return [=](Dtype d, Generator& g) {
    return std::vector<Sample>{
        sample({values({2, 3}, d, g, lo, hi)}, "(2, 3)", with_scalars(s, s1)),
        sample({values({}, d, g, lo, hi)}, "0-d", with_scalars(s, s1)),
        sample({values({0, 2}, d, g, lo, hi)}, "empty", with_scalars(s, s1)),
    };
  };
}

// A (4, 3) x with rows along axis 0 (or columns along axis 1) from a source.
Make index_samples() {
  return [](Dtype d, Generator& g) {
    return std::vector<Sample>{
        sample({values({4, 3}, d, g), indices({3, 0}, {2}), values({2, 3}, d, g)}, "rows", with_axis(0, 0.5)),
        sample({values({2, 4}, d, g), indices({1, 3, 2}, {3}), values({2, 3}, d, g)}, "columns", with_axis(-1, 2.0)),
        sample({values({4, 3}, d, g), indices({}, {0}), values({0, 3}, d, g)}, "no index", with_axis(0)),
    };
  };
}

// index_put: one index tensor for axis 0, or two broadcast together.
Make index_put_samples() {
  return [](Dtype d, Generator& g) {
    return std::vector<Sample>{
        sample({values({4, 3}, d, g), indices({3, 1}, {2}), values({2, 3}, d, g)}, "rows"),
        sample({values({4, 3}, d, g), indices({2, 0}, {2}), values({3}, d, g)}, "rows, broadcast values"),
        sample({values({3, 2}, d, g), indices({-1, 0, 1}, {3}), values({}, d, g)}, "negative index, 0-d value"),
    };
  };
}

Make masked_samples(bool tensor_value) {
  return [tensor_value](Dtype d, Generator& g) {
    auto with_value = [&](std::vector<Tensor> in) {
      if (tensor_value) in.push_back(values({}, d, g));
      return in;
    };
    return std::vector<Sample>{
        sample(with_value({values({2, 3}, d, g), indices({1, 0, 1, 0, 0, 1}, {2, 3})}), "mask of the shape",
               with_scalars(-3.0)),
        sample(with_value({values({2, 3}, d, g), indices({0, 1, 1}, {3})}), "broadcast mask", with_scalars(0.5)),
    };
  };
}

}  // namespace

std::vector<OpInfo> in_place_rows() {
  std::vector<OpInfo> rows;
  // Out-of-place ops.
  OpInfo index_add_row = row_of("index_add", "torch.index_add", "index_add", 3, {true, false, true}, index_samples());
  index_add_row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) {
    return index_add(x[0], a.axis, x[1], x[2], a.scalar);
  };
  rows.push_back(index_add_row);
  OpInfo index_copy_row = row_of("index_copy", "torch.index_copy", "index_copy", 3, {true, false, true}, index_samples());
  index_copy_row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) { return index_copy(x[0], a.axis, x[1], x[2]); };
  rows.push_back(index_copy_row);
  for (bool accumulate : {false, true}) {
    OpInfo row = row_of("index_put", "torch.index_put", "index_put", 3, {true, false, true}, index_put_samples());
    row.variant = accumulate ? "accumulate" : "";
    row.call = [accumulate](const std::vector<Tensor>& x, const SampleArgs&) {
      return index_put(x[0], {x[1]}, x[2], accumulate);
    };
    rows.push_back(row);
  }
  OpInfo clone_row = row_of("clone", "torch.clone", "clone", 1, {true}, unary_samples());
  clone_row.dtypes = kAllDtypes;
  clone_row.call = [](const std::vector<Tensor>& x, const SampleArgs&) { return clone(x[0]); };
  rows.push_back(clone_row);

  // Binary methods with a tensor operand, and their scalar forms.
  rows.push_back(in_place("add_", "", "add_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs& a) { t.add_(x[1], a.scalar); }));
  rows.push_back(in_place("sub_", "", "sub_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs& a) { t.sub_(x[1], a.scalar); }));
  rows.push_back(in_place("mul_", "", "mul_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.mul_(x[1]); }));
  rows.push_back(in_place("div_", "", "div_", 2, {true, true}, binary_samples(0.5, 2.0),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.div_(x[1]); }));
  rows.push_back(in_place("pow_", "", "pow_", 2, {true, true}, binary_samples(-1.5, 1.5, 0.5),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.pow_(x[1]); }));
  rows.push_back(in_place("add_", "scalar", "add_", 1, {true}, unary_samples(-2, 2, 1.5),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.add_(a.scalar); }));
  rows.push_back(in_place("sub_", "scalar", "sub_", 1, {true}, unary_samples(-2, 2, 1.5),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.sub_(a.scalar); }));
  rows.push_back(in_place("mul_", "scalar", "mul_", 1, {true}, unary_samples(-2, 2, -3.0),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.mul_(a.scalar); }));
  rows.push_back(in_place("div_", "scalar", "div_", 1, {true}, unary_samples(-2, 2, 4.0),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.div_(a.scalar); }));
  rows.push_back(in_place("pow_", "scalar", "pow_", 1, {true}, unary_samples(0.5, 2, 2.5),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.pow_(a.scalar); }));
  // Compound assignment.
  rows.push_back(in_place("operator+=", "", "add_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t += x[1]; }));
  rows.back().torch_name = "torch.Tensor.__iadd__";
  rows.push_back(in_place("operator-=", "", "sub_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t -= x[1]; }));
  rows.back().torch_name = "torch.Tensor.__isub__";
  rows.push_back(in_place("operator*=", "", "mul_", 2, {true, true}, binary_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t *= x[1]; }));
  rows.back().torch_name = "torch.Tensor.__imul__";
  rows.push_back(in_place("operator/=", "", "div_", 2, {true, true}, binary_samples(0.5, 2.0),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t /= x[1]; }));
  rows.back().torch_name = "torch.Tensor.__itruediv__";
  // Unary methods.
  rows.push_back(in_place("neg_", "", "neg_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.neg_(); }));
  rows.push_back(in_place("exp_", "", "exp_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.exp_(); }));
  rows.push_back(in_place("clamp_", "", "clamp_", 1, {true}, unary_samples(-2, 2, -0.5, 0.7),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.clamp_(a.scalar, a.scalar1); }));
  rows.push_back(in_place("relu_", "", "relu_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.relu_(); }));
  rows.push_back(in_place("sigmoid_", "", "sigmoid_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.sigmoid_(); }));
  rows.push_back(in_place("tanh_", "", "tanh_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.tanh_(); }));
  rows.push_back(in_place("zero_", "", "zero_", 1, {true}, unary_samples(),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs&) { t.zero_(); }));
  rows.back().dtypes = kAllDtypes;
  rows.push_back(in_place("fill_", "scalar", "fill_", 1, {true}, unary_samples(-2, 2, 0.25),
                          [](Tensor& t, const std::vector<Tensor>&, const SampleArgs& a) { t.fill_(a.scalar); }));
  rows.back().dtypes = kAllDtypes;
  // Methods whose operand is a tensor of another role.
  rows.push_back(in_place("fill_", "0-d tensor", "fill_", 2, {true, true},
                          [](Dtype d, Generator& g) {
                            return std::vector<Sample>{sample({values({2, 3}, d, g), values({}, d, g)}, "(2, 3)"),
                                                       sample({values({0, 2}, d, g), values({1}, d, g)}, "empty, (1,) value")};
                          },
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.fill_(x[1]); }));
  rows.back().dtypes = kAllDtypes;
  rows.push_back(in_place("copy_", "", "copy_", 2, {true, true},
                          [](Dtype d, Generator& g) {
                            return std::vector<Sample>{sample({values({2, 3}, d, g), values({2, 3}, d, g)}, "same shape"),
                                                       sample({values({2, 3}, d, g), values({3}, d, g)}, "broadcast source")};
                          },
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.copy_(x[1]); }));
  rows.back().dtypes = kAllDtypes;
  rows.back().mixes_dtypes = true;
  rows.push_back(in_place("masked_fill_", "scalar", "masked_fill_", 2, {true, false}, masked_samples(false),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs& a) { t.masked_fill_(x[1], a.scalar); }));
  rows.push_back(in_place("masked_fill_", "0-d tensor", "masked_fill_", 3, {true, false, true}, masked_samples(true),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.masked_fill_(x[1], x[2]); }));
  rows.push_back(in_place("index_add_", "", "index_add_", 3, {true, false, true}, index_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs& a) {
                            t.index_add_(a.axis, x[1], x[2], a.scalar);
                          }));
  rows.push_back(in_place("index_put_", "", "index_put_", 3, {true, false, true}, index_put_samples(),
                          [](Tensor& t, const std::vector<Tensor>& x, const SampleArgs&) { t.index_put_({x[1]}, x[2]); }));
  return rows;
}

}  // namespace tg::test
