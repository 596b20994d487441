// The op table's creation ops (creation.hpp): constants, ranges, values from
// lists and random values. They take no tensor input (zeros_like and
// ones_like take one, for its shape and dtype only), so no row has a
// gradient column; the dtype sweep checks the dtype they make.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

using Make = std::function<Tensor(const SampleArgs&)>;

SampleArgs of(Shape shape, Dtype dtype) {
  SampleArgs a;
  a.shape = std::move(shape);
  a.dtype = dtype;
  return a;
}

// A creation op called with a shape and the dtype asked for: a matrix, a 0-d
// tensor and an empty one.
OpInfo creation(std::string name, std::string torch_name, std::vector<Dtype> dtypes, Make make) {
  OpInfo row;
  row.name = row.error_name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.dtypes = std::move(dtypes);
  row.second_order = false;
  row.noncontiguous = false;
  row.result_dtype = [](Dtype, const SampleArgs& a) { return a.dtype; };
  row.samples = [](Dtype d) {
    return std::vector<Sample>{sample({}, "(2, 3)", of({2, 3}, d)), sample({}, "0-d", of({}, d)),
                               sample({}, "empty (0, 4)", of({0, 4}, d))};
  };
  row.call = [make = std::move(make)](const std::vector<Tensor>&, const SampleArgs& a) { return make(a); };
  return row;
}

// A creation op whose dtype is fixed by its overload (from_vector of floats
// or int64s, randperm): one dtype claimed, the sample's dtype ignored.
OpInfo fixed_dtype(std::string name, std::string variant, std::string torch_name, Dtype dtype, Make make) {
  OpInfo row = creation(std::move(name), std::move(torch_name), {dtype}, std::move(make));
  row.variant = std::move(variant);
  row.result_dtype = [dtype](Dtype, const SampleArgs&) { return dtype; };
  row.other_dtypes_possible = false;
  return row;
}

OpInfo with_samples(OpInfo row, std::string variant, SampleGenerator samples) {
  row.variant = std::move(variant);
  row.samples = std::move(samples);
  return row;
}

// zeros_like and ones_like: x's shape and dtype.
OpInfo like(std::string name, std::string torch_name, std::function<Tensor(const Tensor&)> f) {
  OpInfo row;
  row.name = row.error_name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.arity = 1;
  row.dtypes = kAllDtypes;
  row.differentiable = {false};
  row.second_order = false;
  row.samples = [](Dtype d) {
    Generator g(kSampleSeed);
    return std::vector<Sample>{sample({values({2, 3}, d, g)}, "(2, 3)"), sample({values({}, d, g)}, "0-d"),
                               sample({values({0, 2}, d, g)}, "empty (0, 2)")};
  };
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs&) { return f(x[0]); };
  return row;
}

}  // namespace

std::vector<OpInfo> creation_rows() {
  // tensor(list) and tensor(list, shape) make what their list says: one sample.
  const SampleGenerator one_sample = [](Dtype d) { return std::vector<Sample>{sample({}, "a list", of({3}, d))}; };
  std::vector<OpInfo> rows = {
      creation("zeros", "torch.zeros", kAllDtypes, [](const SampleArgs& a) { return zeros(a.shape, a.dtype); }),
      creation("ones", "torch.ones", kAllDtypes, [](const SampleArgs& a) { return ones(a.shape, a.dtype); }),
      creation("full", "torch.full", kAllDtypes, [](const SampleArgs& a) { return full(a.shape, 3.0, a.dtype); }),
      like("zeros_like", "torch.zeros_like", [](const Tensor& x) { return zeros_like(x); }),
      like("ones_like", "torch.ones_like", [](const Tensor& x) { return ones_like(x); }),
      creation("scalar", "torch.scalar_tensor", kAllDtypes, [](const SampleArgs& a) { return scalar(-2.0, a.dtype); }),
      with_samples(creation("arange", "torch.arange", kAllDtypes,
                            [](const SampleArgs& a) { return arange(-1.0, a.scalar, 1.0, a.dtype); }),
                   "",
                   [](Dtype d) {
                     SampleArgs five = of({}, d), none = of({}, d);
                     five.scalar = 4.0;
                     none.scalar = -3.0;
                     return std::vector<Sample>{sample({}, "-1:4", five), sample({}, "an empty range", none)};
                   }),
      with_samples(creation("tensor", "torch.tensor", kAllDtypes,
                            [](const SampleArgs& a) { return tensor({1, -2, 3}, a.dtype); }),
                   "list", one_sample),
      with_samples(creation("tensor", "torch.tensor", kAllDtypes,
                            [](const SampleArgs& a) { return tensor({1, 2, 3, 4, 5, 6}, {2, 3}, a.dtype); }),
                   "list and shape", one_sample),
      creation("from_vector", "torch.as_tensor", kAllDtypes,
               [](const SampleArgs& a) {
                 std::vector<double> v(static_cast<std::size_t>(a.shape.numel()), -0.5);
                 return from_vector(v, a.shape, a.dtype);
               }),
      fixed_dtype("from_vector", "floats", "torch.as_tensor", f32,
                  [](const SampleArgs& a) {
                    return from_vector(std::vector<float>(static_cast<std::size_t>(a.shape.numel()), 0.25f), a.shape);
                  }),
      fixed_dtype("from_vector", "int64s", "torch.as_tensor", i64,
                  [](const SampleArgs& a) {
                    return from_vector(std::vector<std::int64_t>(static_cast<std::size_t>(a.shape.numel()), -7),
                                       a.shape);
                  }),
      creation("randn", "torch.randn", kFloating,
               [](const SampleArgs& a) {
                 Generator gen(kSampleSeed);
                 return randn(a.shape, gen, a.dtype);
               }),
      creation("normal", "torch.normal", kFloating,
               [](const SampleArgs& a) {
                 Generator gen(kSampleSeed);
                 return normal(a.shape, 1.0, 2.0, gen, a.dtype);
               }),
      creation("uniform", "torch.Tensor.uniform_", kFloating,
               [](const SampleArgs& a) {
                 Generator gen(kSampleSeed);
                 return uniform(a.shape, -1.0, 1.0, gen, a.dtype);
               }),
      creation("bernoulli", "torch.bernoulli", kAllDtypes,
               [](const SampleArgs& a) {
                 Generator gen(kSampleSeed);
                 return bernoulli(a.shape, 0.5, gen, a.dtype);
               }),
      fixed_dtype("randperm", "", "torch.randperm", i64,
                  [](const SampleArgs& a) {
                    Generator gen(kSampleSeed);
                    return randperm(a.shape.numel(), gen);
                  }),
  };
  return rows;
}

}  // namespace tg::test
