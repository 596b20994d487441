// The bad-input cases of the shape ops, creation, functional gradients and
// the network primitives (addmm, convolution, softmax, pooling, dropout,
// lstm_cell); with those of bad_input_elementwise.cpp and
// bad_input_losses.cpp, the op table.
#include <cstdint>
#include <limits>
#include <new>

#include "bad_input.hpp"

namespace tg::test {

namespace {

constexpr std::int64_t kHuge = std::int64_t{1} << 40;
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

std::vector<BadInputCase> shape_cases() {
  std::vector<BadInputCase> cases;
  const Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  cases.push_back({"reshape", [=] {
    CHECK_OP_ERROR(InvalidArgument, reshape(Tensor(), {2}), "reshape", "undefined");
    CHECK_OP_ERROR(ShapeError, reshape(x, {-2, 3}), "reshape", "(-2, 3)");
    CHECK_OP_ERROR(ShapeError, reshape(x, {-1, -1}), "reshape", "(-1, -1)");
    CHECK_OP_ERROR(ShapeError, reshape(x, {4, 2}), "reshape", "(2, 3)", "(4, 2)");
    CHECK_OP_ERROR(ShapeError, reshape(zeros({0, 3}), {0, -1}), "reshape", "(0, 3)", "(0, -1)");
    CHECK_OP_ERROR(ShapeError, reshape(x, {kHuge, kHuge, 0, -1}), "reshape");
    check_shape(reshape(zeros({0, 3}), {3, 0, 5}), {3, 0, 5});
    check_shape(reshape(zeros({0, 3}), {-1, 3}), {0, 3});
  }});
  cases.push_back({"permute", [=] {
    CHECK_OP_ERROR(InvalidArgument, permute(Tensor(), {0}), "permute", "undefined");
    CHECK_OP_ERROR(AxisError, permute(x, {0}), "permute", "(0)", "(2, 3)");
    CHECK_OP_ERROR(AxisError, permute(x, {0, 0}), "permute", "not a permutation", "(2, 3)");
    CHECK_OP_ERROR(AxisError, permute(x, {0, 2}), "permute", "axis 2", "(2, 3)");
    check_shape(permute(zeros({0, 3}), {1, 0}), {3, 0});
  }});
  cases.push_back({"transpose", [=] {
    CHECK_OP_ERROR(InvalidArgument, transpose(Tensor()), "transpose", "undefined");
    CHECK_OP_ERROR(AxisError, transpose(ones({3})), "transpose", "axis -2", "(3,)");
    CHECK_OP_ERROR(AxisError, transpose(scalar(1.0), 0, 0), "transpose", "0-d");
    check_shape(transpose(zeros({2, 0})), {0, 2});
  }});
  cases.push_back({"slice", [=] {
    CHECK_OP_ERROR(InvalidArgument, slice(Tensor(), 0, 0, 1), "slice", "undefined");
    CHECK_OP_ERROR(AxisError, slice(x, 2, 0, 1), "slice", "axis 2", "(2, 3)");
    CHECK_OP_ERROR(InvalidArgument, slice(x, 1, 0, 3, 0), "slice", "step", "(2, 3)");
    CHECK_OP_ERROR(InvalidArgument, slice(x, 1, 0, 3, -1), "slice", "step", "(2, 3)");
    // Python's rules: bounds clip, an inverted range is empty, a huge step takes one element.
    check_values_nan(slice(x, 1, -kMaxI64, kMaxI64), {1, 2, 3, 4, 5, 6});
    check_shape(slice(x, 1, 2, 1), {2, 0});
    check_values_nan(slice(x, 1, 0, kMaxI64, kMaxI64), {1, 4});
    check_shape(slice(zeros({0, 3}), 0, 0, 5), {0, 3});
  }});
  cases.push_back({"index_select", [=] {
    CHECK_OP_ERROR(InvalidArgument, index_select(Tensor(), 0, i64_tensor({0}, {1})), "index_select", "undefined");
    CHECK_OP_ERROR(InvalidArgument, index_select(x, 0, Tensor()), "index_select", "undefined");
    CHECK_OP_ERROR(DtypeError, index_select(x, 0, tensor({0.0})), "index_select", "int64", "float32");
    CHECK_OP_ERROR(AxisError, index_select(x, 2, i64_tensor({0}, {1})), "index_select", "axis 2");
    CHECK_OP_ERROR(AxisError, index_select(x, 0, i64_tensor({0, 2}, {2})), "index_select", "index 2", "(2, 3)");
    CHECK_OP_ERROR(AxisError, index_select(x, 1, i64_tensor({-1}, {1})), "index_select", "index -1", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, index_select(x, 0, i64_tensor({0, 1}, {1, 2})), "index_select", "rank 1", "(1, 2)");
    check_shape(index_select(x, 1, i64_tensor({}, {0})), {2, 0});
    check_shape(index_select(zeros({0, 3}), 1, i64_tensor({2, 2}, {2})), {0, 2});
    CHECK_OP_ERROR(AxisError, index_select(zeros({0, 3}), 0, i64_tensor({0}, {1})), "index_select", "extent 0");
  }});
  cases.push_back({"gather", [=] {
    CHECK_OP_ERROR(InvalidArgument, gather(Tensor(), 0, i64_tensor({0}, {1})), "gather", "undefined");
    CHECK_OP_ERROR(DtypeError, gather(i64_tensor({0}, {1}), 0, i64_tensor({0}, {1})), "gather", "int64");
    CHECK_OP_ERROR(DtypeError, gather(x, 1, zeros({2, 1})), "gather", "int64");
    CHECK_OP_ERROR(AxisError, gather(x, 1, i64_tensor({3, 0}, {2, 1})), "gather", "index 3", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, gather(x, 1, i64_tensor({0}, {1, 1, 1})), "gather", "(1, 1, 1)", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, gather(x, 1, i64_tensor({0, 0, 0}, {3, 1})), "gather", "(3, 1)", "(2, 3)");
    check_values_nan(gather(x, 1, i64_tensor({2, 0}, {2})), {3, 4});
    check_shape(gather(zeros({0, 3}), 1, i64_tensor({}, {0})), {0});
    check_shape(gather(x, 1, i64_tensor({}, {2, 0})), {2, 0});
  }});
  cases.push_back({"concat", [=] {
    CHECK_OP_ERROR(InvalidArgument, concat({}), "concat", "at least one");
    CHECK_OP_ERROR(InvalidArgument, concat({x, Tensor()}), "concat", "undefined");
    CHECK_OP_ERROR(ShapeError, concat({x, ones({2, 2})}, 0), "concat", "(2, 2)", "(2, 3)");
    CHECK_OP_ERROR(DtypeError, concat({x, ones({2, 3}, f64)}), "concat", "tensor 1 is float64, tensor 0 float32");
    CHECK_OP_ERROR(ShapeError, concat({x, ones({6})}), "concat", "(6,)");
    CHECK_OP_ERROR(AxisError, concat({x, x}, 2), "concat", "axis 2");
    check_shape(concat({zeros({0, 3}), x}), {2, 3});
    check_shape(concat({zeros({0, 3}), zeros({0, 3})}), {0, 3});
  }});
  cases.push_back({"stack", [=] {
    CHECK_OP_ERROR(InvalidArgument, stack({}), "stack", "at least one");
    CHECK_OP_ERROR(ShapeError, stack({x, ones({3, 2})}), "stack", "(3, 2)", "(2, 3)");
    CHECK_OP_ERROR(DtypeError, stack({x, ones({2, 3}, f64)}), "stack", "tensor 1 is float64, tensor 0 float32");
    CHECK_OP_ERROR(AxisError, stack({x, x}, 3), "stack", "axis 3");
    CHECK_OP_ERROR(ShapeError, stack({ones({1, 1, 1, 1, 1, 1, 1, 1})}), "stack", "rank");
    check_shape(stack({x, x}, 2), {2, 3, 2});
    check_shape(stack({zeros({0}), zeros({0})}, 1), {0, 2});
  }});
  cases.push_back({"broadcast_to", [=] {
    CHECK_OP_ERROR(InvalidArgument, broadcast_to(Tensor(), {2}), "broadcast_to", "undefined");
    CHECK_OP_ERROR(ShapeError, broadcast_to(x, {3}), "broadcast_to", "(2, 3)", "(3,)");
    CHECK_OP_ERROR(ShapeError, broadcast_to(x, {4, 3}), "broadcast_to", "(4, 3)");
    CHECK_OP_ERROR(ShapeError, broadcast_to(ones({1}), {-1}), "broadcast_to", "(-1,)");
    CHECK_OP_ERROR(ShapeError, broadcast_to(ones({1}), {kHuge, kHuge}), "broadcast_to", "too many elements");
    check_shape(broadcast_to(ones({1}), {0, 4}), {0, 4});
  }});
  cases.push_back({"pad", [=] {
    CHECK_OP_ERROR(InvalidArgument, pad(Tensor(), {}), "pad", "undefined");
    CHECK_OP_ERROR(ShapeError, pad(x, {{0, 0}, {0, 0}, {1, 1}}), "pad", "rank 2", "(2, 3)");
    CHECK_OP_ERROR(InvalidArgument, pad(x, {{-1, 0}}), "pad", ">= 0", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, pad(x, {{kMaxI64, 1}}), "pad", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, pad(x, {{kHuge, 0}, {kHuge, 0}}), "pad", "too many elements");
    check_values_nan(pad(zeros({0}), {{1, 1}}, kNaN), {kNaN, kNaN});
    check_shape(pad(zeros({0, 2}), {{0, 0}, {1, 1}}), {0, 4});
  }});
  cases.push_back({"flatten", [=] {
    CHECK_OP_ERROR(InvalidArgument, flatten(Tensor()), "flatten", "undefined");
    CHECK_OP_ERROR(AxisError, flatten(x, 2), "flatten", "axis 2", "(2, 3)");
    CHECK_OP_ERROR(AxisError, flatten(x, 1, 0), "flatten", "start axis 1", "(2, 3)");
    check_shape(flatten(scalar(1.0)), {1});
    check_shape(flatten(zeros({0, 2, 3}), 1), {0, 6});
  }});
  cases.push_back({"squeeze", [=] {
    CHECK_OP_ERROR(InvalidArgument, squeeze(Tensor(), 0), "squeeze", "undefined");
    CHECK_OP_ERROR(ShapeError, squeeze(x, 0), "squeeze", "(2, 3)", "expected 1");
    CHECK_OP_ERROR(ShapeError, squeeze(zeros({0, 1}), 0), "squeeze", "extent 0");
    CHECK_OP_ERROR(AxisError, squeeze(x, -3), "squeeze", "axis -3");
    check_shape(squeeze(zeros({0, 1}), 1), {0});
  }});
  cases.push_back({"unsqueeze", [=] {
    CHECK_OP_ERROR(InvalidArgument, unsqueeze(Tensor(), 0), "unsqueeze", "undefined");
    CHECK_OP_ERROR(AxisError, unsqueeze(x, 3), "unsqueeze", "axis 3");
    CHECK_OP_ERROR(ShapeError, unsqueeze(ones({1, 1, 1, 1, 1, 1, 1, 1}), 0), "unsqueeze", "rank");
    check_shape(unsqueeze(zeros({0}), 1), {0, 1});
  }});
  cases.push_back({"to_dtype", [] {
    CHECK_OP_ERROR(InvalidArgument, to_dtype(Tensor(), f64), "to_dtype", "undefined");
    // Float to int64 truncates like PyTorch; what int64 cannot hold is an error, not undefined behaviour.
    check_values_nan(to_dtype(tensor({-1.5, 2.5}), i64), {-1, 2});
    CHECK_OP_ERROR(InvalidArgument, to_dtype(tensor({1, kNaN}), i64), "to_dtype", "nan", "int64");
    CHECK_OP_ERROR(InvalidArgument, to_dtype(tensor({kInf}, f64), i64), "to_dtype", "inf", "int64");
    CHECK_OP_ERROR(InvalidArgument, to_dtype(tensor({1e30}, f64), i64), "to_dtype", "int64");
    CHECK_OP_ERROR(InvalidArgument, to_dtype(tensor({0x1.0p63}, f64), i64), "to_dtype", "int64");
    CHECK(to_dtype(tensor({-0x1.0p63}, f64), i64).to_vector<std::int64_t>().front() == std::numeric_limits<std::int64_t>::min());
    check_values_nan(to_dtype(tensor({kNaN, -kInf}, f64), f32), {kNaN, -kInf});
    check_values_nan(to_dtype(tensor({1e300}, f64), f32), {kInf});
    check_shape(to_dtype(zeros({0}), i64), {0}, i64);
  }});
  return cases;
}

std::vector<BadInputCase> creation_cases() {
  std::vector<BadInputCase> cases;
  using F = std::function<Tensor(const Shape&)>;
  Generator gen(1);
  const std::vector<std::pair<std::string, F>> shaped = {
      {"zeros", [](const Shape& s) { return zeros(s); }},
      {"ones", [](const Shape& s) { return ones(s); }},
      {"full", [](const Shape& s) { return full(s, kNaN); }},
      {"randn", [gen](const Shape& s) mutable { return randn(s, gen); }},
      {"normal", [gen](const Shape& s) mutable { return normal(s, 0, 1, gen); }},
      {"uniform", [gen](const Shape& s) mutable { return uniform(s, 0, 1, gen); }},
      {"bernoulli", [gen](const Shape& s) mutable { return bernoulli(s, 0.5, gen); }},
  };
  for (const auto& [name, make] : shaped) {
    cases.push_back({name, [name = name, make = make] {
      CHECK_ERROR(ShapeError, make({2, -1}), name, "negative", "(2, -1)");
      // Element counts that int64 (or the byte count size_t) cannot hold: an error, not a wrapped-around size.
      CHECK_ERROR(ShapeError, make({kHuge, kHuge}), name, "too many elements", "(1099511627776, 1099511627776)");
      CHECK_ERROR(ShapeError, make({std::int64_t{1} << 62, 4}), name, "too many elements");
      // More memory than any machine has: bad_alloc, naming the shape.
      const std::string m = thrown<std::bad_alloc>([&] { (void)make({kHuge, 1024}); });
      CHECK(contains(m, "(1099511627776, 1024)"));
      check_shape(make({0, 3}), {0, 3});
      check_shape(make({}), {});
    }});
  }
  cases.push_back({"full", [] { check_values_nan(full({2}, -kInf), {-kInf, -kInf}); }});
  cases.push_back({"randn", [gen]() mutable { CHECK_OP_ERROR(DtypeError, randn({2}, gen, i64), "randn", "int64"); }});
  cases.push_back({"normal", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, normal({2}, kNaN, 1, gen), "normal", "mean", "finite");
    CHECK_OP_ERROR(InvalidArgument, normal({2}, 0, -1, gen), "normal", "stddev");
    CHECK_OP_ERROR(InvalidArgument, normal({2}, 0, kInf, gen), "normal", "stddev");
  }});
  cases.push_back({"uniform", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, uniform({2}, 1, 0, gen), "uniform", "lo", "hi");
    CHECK_OP_ERROR(InvalidArgument, uniform({2}, 0, kNaN, gen), "uniform", "hi");
    CHECK_OP_ERROR(InvalidArgument, uniform({2}, -1e308, 1e308, gen), "uniform", "hi - lo");
  }});
  cases.push_back({"bernoulli", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, bernoulli({2}, 1.5, gen), "bernoulli", "[0, 1]");
    CHECK_OP_ERROR(InvalidArgument, bernoulli({2}, kNaN, gen), "bernoulli", "[0, 1]");
  }});
  cases.push_back({"randperm", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, randperm(-1, gen), "randperm", ">= 0", "-1");
    CHECK_OP_ERROR(ShapeError, randperm(kMaxI64, gen), "randperm", "too many elements");
    check_shape(randperm(0, gen), {0}, i64);
  }});
  cases.push_back({"zeros_like", [] {
    CHECK_OP_ERROR(InvalidArgument, zeros_like(Tensor()), "zeros_like", "undefined");
    check_shape(zeros_like(zeros({0, 2}, f64)), {0, 2}, f64);
  }});
  cases.push_back({"ones_like", [] {
    CHECK_OP_ERROR(InvalidArgument, ones_like(Tensor()), "ones_like", "undefined");
    check_values_nan(ones_like(tensor({kNaN})), {1});
  }});
  cases.push_back({"scalar", [] { check_values_nan(scalar(kNaN), {kNaN}); check_values_nan(scalar(-kInf, f64), {-kInf}); }});
  cases.push_back({"arange", [] {
    CHECK_OP_ERROR(InvalidArgument, arange(0, 1, 0), "arange", "non-zero step");
    CHECK_OP_ERROR(InvalidArgument, arange(0, kNaN), "arange", "finite");
    CHECK_OP_ERROR(InvalidArgument, arange(0, 1e300, 1), "arange", "too many elements");
    CHECK_OP_ERROR(ShapeError, arange(0, 0x1.0p61, 1, f64), "arange", "too many elements");
    check_shape(arange(1, 0), {0});
  }});
  cases.push_back({"tensor", [] {
    CHECK_OP_ERROR(ShapeError, tensor({1, 2, 3}, {2, 2}), "tensor", "3 values", "(2, 2)");
    CHECK_OP_ERROR(ShapeError, tensor({}, {0, -2}), "tensor", "negative", "(0, -2)");
    check_values_nan(tensor({kNaN, kInf}), {kNaN, kInf});
    check_shape(tensor({}, {0, 4}), {0, 4});
  }});
  cases.push_back({"from_vector", [] {
    CHECK_OP_ERROR(ShapeError, from_vector(std::vector<double>{1, 2}, {3}), "from_vector", "2 values", "(3,)");
    CHECK_OP_ERROR(ShapeError, from_vector(std::vector<float>{1}, {2}), "from_vector", "1 values", "(2,)");
    CHECK_OP_ERROR(ShapeError, from_vector(std::vector<std::int64_t>{1}, {1, 2}), "from_vector", "(1, 2)");
    CHECK_OP_ERROR(ShapeError, from_vector(std::vector<double>{}, {0, -1}), "from_vector", "negative", "(0, -1)");
    CHECK_OP_ERROR(ShapeError, from_vector(std::vector<std::int64_t>{}, {-1, 0}), "from_vector", "negative");
    check_shape(from_vector(std::vector<std::int64_t>{}, {0}), {0}, i64);
  }});
  return cases;
}

std::vector<BadInputCase> functional_cases() {
  std::vector<BadInputCase> cases;
  cases.push_back({"grad", [] {
    const Tensor x = ones({2}).requires_grad_();
    CHECK_ERROR(InvalidArgument, grad(std::vector<Tensor>{}, {x}), "grad", "no outputs");
    CHECK_ERROR(InvalidArgument, grad(Tensor(), x), "grad", "output 0", "undefined");
    CHECK_ERROR(InvalidArgument, grad(sum(x * 2.0), Tensor()), "grad", "input 0", "undefined");
    CHECK_ERROR(ShapeError, grad({x * 2.0}, {x}, {ones({3})}), "grad", "seed", "(3,)");
    CHECK_ERROR(InvalidArgument, grad({x * 2.0, x * 3.0}, {x}, {ones({2})}), "grad", "1 seeds", "2 outputs");
    // NaN flows through a gradient like through a value.
    const Tensor y = tensor({kNaN, 1.0}, f64).requires_grad_();
    check_values_nan(grad(sum(y * y), y), {kNaN, 2});
    const Tensor e = zeros({0}).requires_grad_();
    check_shape(grad(sum(e * 2.0), e), {0});
  }});
  auto square_sum = [](const Tensor& v) { return sum(v * v); };
  cases.push_back({"jacobian", [=] {
    CHECK_ERROR(DtypeError, jacobian(square_sum, Tensor()), "jacobian", "defined");
    CHECK_ERROR(DtypeError, jacobian(square_sum, i64_tensor({1}, {1})), "jacobian");
    CHECK_ERROR(ShapeError, jacobian([](const Tensor& v) { return reshape(v, {1, 1, 1, 1, 1}); }, ones({1, 1, 1, 1})), "jacobian", "rank");
    CHECK_ERROR(InvalidArgument, jacobian([](const Tensor&) { return Tensor(); }, ones({2})), "jacobian", "undefined");
    check_values_nan(jacobian([](const Tensor& v) { return v * 2.0; }, tensor({kNaN}, f64)), {2});
    check_shape(jacobian([](const Tensor& v) { return v * 2.0; }, zeros({0}, f64)), {0, 0}, f64);
  }});
  cases.push_back({"hessian", [=] {
    CHECK_ERROR(DtypeError, hessian(square_sum, Tensor()), "hessian");
    CHECK_ERROR(ShapeError, hessian([](const Tensor& v) { return v * 2.0; }, ones({2})), "hessian", "scalar", "(2,)");
    check_values_nan(hessian([](const Tensor& v) { return sum(v * v * v); }, tensor({kNaN}, f64)), {kNaN});
  }});
  cases.push_back({"hvp", [=] {
    CHECK_ERROR(ShapeError, hvp(square_sum, ones({2}), ones({3})), "hvp", "(3,)", "(2,)");
    CHECK_ERROR(ShapeError, hvp(square_sum, ones({2}), Tensor()), "hvp");
    CHECK_ERROR(ShapeError, hvp([](const Tensor& v) { return v * 2.0; }, ones({2}), ones({2})), "hvp", "scalar");
    check_values_nan(hvp(square_sum, tensor({1, 2}, f64), tensor({kNaN, 1}, f64)), {kNaN, 2});
  }});
  return cases;
}

std::vector<BadInputCase> network_cases() {
  std::vector<BadInputCase> cases;
  cases.push_back({"addmm", [] {
    const Tensor a = ones({4, 5}), b = ones({5, 2});
    CHECK_OP_ERROR(InvalidArgument, addmm(Tensor(), a, b), "addmm", "undefined");
    CHECK_OP_ERROR(InvalidArgument, addmm(ones({2}), a, Tensor()), "addmm", "undefined");
    CHECK_OP_ERROR(DtypeError, addmm(ones({2}, f64), a, b), "addmm", "float64", "float32");
    CHECK_OP_ERROR(DtypeError, addmm(i64_tensor({0, 0}, {2}), a, b), "addmm", "int64");
    CHECK_OP_ERROR(ShapeError, addmm(ones({2}), ones({5}), b), "addmm", "rank 2", "(5,)");
    CHECK_OP_ERROR(ShapeError, addmm(ones({2}), a, b, true, false), "addmm", "inner dimensions", "(4, 5)ᵀ");
    CHECK_OP_ERROR(ShapeError, addmm(ones({4}), a, b), "addmm", "(4,)", "(4, 2)");
    CHECK_OP_ERROR(ShapeError, addmm(ones({1, 4, 2}), a, b), "addmm", "(1, 4, 2)", "(4, 2)");
    // Empty extents: no rows gives no rows; an empty inner dimension leaves c broadcast.
    check_shape(addmm(ones({2}), zeros({0, 5}), b), {0, 2});
    check_values_nan(addmm(tensor({1, 2}, {2}), ones({3, 0}), ones({0, 2})), {1, 2, 1, 2, 1, 2});
    const Tensor bias = ones({2}).requires_grad_();
    check_zero_grad(addmm(bias, zeros({0, 5}), b), bias);
    // NaN and inf reach exactly the outputs that read them, from c or the product.
    check_values_nan(addmm(tensor({kNaN, 0}, {2}), ones({1, 1}), ones({1, 2})), {kNaN, 1});
    check_values_nan(addmm(zeros({1}), tensor({kInf, 1}, {1, 2}), tensor({0, 1}, {2, 1})), {kNaN});
  }});
  const Tensor w = ones({4, 3, 2, 2});
  cases.push_back({"conv2d", [=] {
    CHECK_OP_ERROR(InvalidArgument, conv2d(Tensor(), w), "conv2d", "undefined");
    CHECK_OP_ERROR(DtypeError, conv2d(ones({1, 3, 4, 4}, f64), w), "conv2d", "float64", "float32");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({3, 4, 4}), w), "conv2d", "rank 4", "(3, 4, 4)");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 4, 4}), ones({4, 3, 2})), "conv2d", "weight", "(4, 3, 2)");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 2, 4, 4}), w), "conv2d", "2 channels", "(1, 2, 4, 4)");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 4, 4}), w, ones({3})), "conv2d", "bias", "(4,)", "(3,)");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 1, 4}), w), "conv2d", "larger than the padded input");
    CHECK_OP_ERROR(InvalidArgument, conv2d(ones({1, 3, 4, 4}), w, {}, {.stride = 0}), "conv2d", "stride", "(0, 0)");
    CHECK_OP_ERROR(InvalidArgument, conv2d(ones({1, 3, 4, 4}), w, {}, {.padding = -1}), "conv2d", "padding");
    CHECK_OP_ERROR(InvalidArgument, conv2d(ones({1, 3, 4, 4}), w, {}, {.dilation = {1, 0}}), "conv2d", "dilation");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 4, 4}), w, {}, {.dilation = kMaxI64}), "conv2d", "dilation");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 4, 4}), w, {}, {.padding = kMaxI64 / 2}), "conv2d", "padding");
    CHECK_OP_ERROR(ShapeError, conv2d(ones({1, 3, 4, 4}), w, {}, {.padding = kHuge}), "conv2d", "too many elements");
    check_shape(conv2d(zeros({0, 3, 4, 4}), w), {0, 4, 3, 3});
    const Tensor trained = ones({4, 3, 2, 2}).requires_grad_();
    check_zero_grad(conv2d(zeros({0, 3, 4, 4}), trained), trained);
    check_shape(conv2d(zeros({2, 0, 4, 4}), ones({4, 0, 2, 2}), ones({4})), {2, 4, 3, 3});
    // A NaN reaches exactly the windows that cover it.
    Tensor x = zeros({1, 3, 3, 3});
    x.mutable_data<float>()[0] = static_cast<float>(kNaN);
    const std::vector<double> y = conv2d(x, w).to_vector<double>();
    CHECK(std::isnan(y[0]));
    CHECK(!std::isnan(y[3]));
  }});
  cases.push_back({"conv1d", [] {
    const Tensor w1 = ones({4, 3, 2});
    CHECK_OP_ERROR(ShapeError, conv1d(ones({3, 5}), w1), "conv1d", "rank 3", "(3, 5)");
    CHECK_OP_ERROR(ShapeError, conv1d(ones({1, 2, 5}), w1), "conv1d", "channels");
    CHECK_OP_ERROR(ShapeError, conv1d(ones({1, 3, 1}), w1), "conv1d", "larger than the padded input");
    CHECK_OP_ERROR(InvalidArgument, conv1d(ones({1, 3, 5}), w1, {}, {.stride = -1}), "conv1d", "stride", "-1");
    check_shape(conv1d(zeros({0, 3, 5}), w1), {0, 4, 4});
    check_all_nan(conv1d(full({1, 3, 2}, kNaN), w1));
  }});
  cases.push_back({"unfold", [] {
    CHECK_OP_ERROR(ShapeError, unfold(ones({2, 3, 3}), 2), "unfold", "rank 4", "(2, 3, 3)");
    CHECK_OP_ERROR(InvalidArgument, unfold(ones({1, 1, 3, 3}), 0), "unfold", "kernel size");
    CHECK_OP_ERROR(ShapeError, unfold(ones({1, 1, 3, 3}), 4), "unfold", "larger than the padded input");
    check_shape(unfold(zeros({0, 2, 3, 3}), 2), {0, 8, 4});
  }});
  cases.push_back({"fold", [] {
    CHECK_OP_ERROR(ShapeError, fold(ones({4, 4}), 3, 2), "fold", "rank 3", "(4, 4)");
    CHECK_OP_ERROR(InvalidArgument, fold(ones({1, 4, 4}), -1, 2), "fold", "output size");
    CHECK_OP_ERROR(ShapeError, fold(ones({1, 4, 5}), 3, 2), "fold", "(1, 4, 5)", "does not fit");
    CHECK_OP_ERROR(ShapeError, fold(ones({1, 5, 4}), 3, 2), "fold", "(1, 5, 4)");
    check_shape(fold(zeros({0, 4, 4}), 3, 2), {0, 1, 3, 3});
  }});
  using Softmax = std::function<Tensor(const Tensor&, int, double)>;
  const std::vector<std::pair<std::string, Softmax>> softmaxes = {
      {"softmax", [](const Tensor& x, int axis, double t) { return softmax(x, axis, t); }},
      {"log_softmax", [](const Tensor& x, int axis, double t) { return log_softmax(x, axis, t); }},
  };
  for (const auto& [name, op] : softmaxes) {
    cases.push_back({name, [name = name, op = op] {
      CHECK_ERROR(InvalidArgument, op(Tensor(), -1, 1), name, "undefined");
      CHECK_ERROR(DtypeError, op(i64_tensor({1}, {1}), -1, 1), name, "int64");
      CHECK_ERROR(AxisError, op(ones({2, 3}), 2, 1), name, "axis 2", "(2, 3)");
      CHECK_ERROR(InvalidArgument, op(ones({2, 3}), -1, 0), name, "temperature", "(2, 3)");
      CHECK_ERROR(InvalidArgument, op(ones({2, 3}), -1, kNaN), name, "temperature");
      CHECK_ERROR(InvalidArgument, op(ones({2, 3}), -1, 1e-300), name, "temperature", "overflows");
      check_shape(op(zeros({0, 3}), -1, 1), {0, 3});
      const Tensor none = zeros({0, 3}).requires_grad_();
      check_zero_grad(op(none, -1, 1), none);
      check_shape(op(zeros({2, 0}), -1, 1), {2, 0});
      // A NaN poisons its own slice, and only that one (PyTorch).
      const std::vector<double> y = op(tensor({kNaN, 1, 2, 3}, {2, 2}, f64), -1, 1).to_vector<double>();
      CHECK(std::isnan(y[0]));
      CHECK(std::isnan(y[1]));
      CHECK(!std::isnan(y[2]));
      CHECK(!std::isnan(y[3]));
    }});
  }
  cases.push_back({"softmax", [] { check_values_nan(softmax(tensor({kInf, 1.0}, f64)), {kNaN, 0}); }});
  cases.push_back({"log_softmax", [] { check_values_nan(log_softmax(tensor({-kInf, 0.0}, f64)), {-kInf, 0}); }});
  using Pool = std::function<Tensor(const Tensor&, Extent2)>;
  const std::vector<std::pair<std::string, Pool>> pools = {
      {"max_pool2d", [](const Tensor& x, Extent2 k) { return max_pool2d(x, k); }},
      {"avg_pool2d", [](const Tensor& x, Extent2 k) { return avg_pool2d(x, k); }},
  };
  for (const auto& [name, op] : pools) {
    cases.push_back({name, [name = name, op = op] {
      CHECK_ERROR(InvalidArgument, op(Tensor(), 2), name, "undefined");
      CHECK_ERROR(DtypeError, op(i64_tensor({1}, {1, 1, 1, 1}), 1), name, "int64");
      CHECK_ERROR(ShapeError, op(ones({3, 4, 4}), 2), name, "4-D", "(3, 4, 4)");
      CHECK_ERROR(InvalidArgument, op(ones({1, 1, 4, 4}), 0), name, "kernel size", "(0, 0)");
      CHECK_ERROR(InvalidArgument, op(ones({1, 1, 4, 4}), {2, -1}), name, "kernel size", "(2, -1)");
      CHECK_ERROR(ShapeError, op(ones({1, 1, 4, 4}), 5), name, "(5, 5)", "(1, 1, 4, 4)");
      CHECK_ERROR(ShapeError, op(ones({1, 1, 0, 4}), 1), name, "non-zero", "(1, 1, 0, 4)");
      CHECK_ERROR(ShapeError, op(ones({1, 1, 4, 4}), kMaxI64), name, "larger than the padded input");
      const Tensor none = zeros({0, 2, 4, 4}).requires_grad_();
      check_zero_grad(op(none, 2), none);
      check_shape(op(zeros({2, 0, 4, 4}), 2), {2, 0, 2, 2});
      // Windows [NaN 1; 4 5] and [2 3; 6 7]: NaN stays in its own window.
      const std::vector<double> y = op(tensor({kNaN, 1, 2, 3, 4, 5, 6, 7}, {1, 1, 2, 4}, f64), 2).to_vector<double>();
      REQUIRE(y.size() == 2);
      CHECK(std::isnan(y[0]));
      CHECK(y[1] == (name == "max_pool2d" ? 7.0 : 4.5));
    }});
  }
  cases.push_back({"max_pool2d", [] {
    CHECK_OP_ERROR(InvalidArgument, max_pool2d(ones({1, 1, 4, 4}), 2, {.padding = 2}), "max_pool2d", "half the kernel");
    CHECK_OP_ERROR(InvalidArgument, max_pool2d(ones({1, 1, 4, 4}), 2, {.stride = 0}), "max_pool2d", "stride");
    CHECK_OP_ERROR(ShapeError, max_pool2d(ones({1, 1, 4, 4}), 2, {.dilation = kMaxI64}), "max_pool2d", "dilation");
    check_values_nan(max_pool2d(tensor({-kInf, -kInf, -kInf, -kInf}, {1, 1, 2, 2}), 2), {-kInf});
  }});
  cases.push_back({"avg_pool2d", [] {
    CHECK_OP_ERROR(InvalidArgument, avg_pool2d(ones({1, 1, 4, 4}), 2, {.padding = -1}), "avg_pool2d", "padding");
    check_values_nan(avg_pool2d(tensor({kInf, -kInf, 0, 0}, {1, 1, 2, 2}), 2), {kNaN});
  }});
  cases.push_back({"dropout", [] {
    Generator gen(3);
    CHECK_OP_ERROR(InvalidArgument, dropout(Tensor(), 0.5, gen), "dropout", "undefined");
    CHECK_OP_ERROR(DtypeError, dropout(i64_tensor({1}, {1}), 0.5, gen), "dropout", "int64");
    CHECK_OP_ERROR(InvalidArgument, dropout(ones({2}), 1.5, gen), "dropout", "[0, 1]", "(2,)");
    CHECK_OP_ERROR(InvalidArgument, dropout(ones({2}), -0.1, gen), "dropout", "[0, 1]");
    CHECK_OP_ERROR(InvalidArgument, dropout(ones({2}), kNaN, gen), "dropout", "nan");
    check_shape(dropout(zeros({0, 3}), 0.5, gen), {0, 3});
    // A dropped NaN is still NaN (NaN · 0), as in PyTorch: dropout never hides a NaN.
    check_all_nan(dropout(full({64}, kNaN), 0.5, gen));
    check_values_nan(dropout(tensor({kInf, 1}), 1.0, gen), {kNaN, 0});
  }});
  cases.push_back({"lstm_cell", [] {
    CHECK_OP_ERROR(InvalidArgument, lstm_cell(Tensor()), "lstm_cell", "undefined");
    CHECK_OP_ERROR(DtypeError, lstm_cell(i64_tensor({1, 2, 3, 4}, {1, 4})), "lstm_cell", "int64");
    CHECK_OP_ERROR(ShapeError, lstm_cell(ones({2, 6})), "lstm_cell", "(N, 4H)", "(2, 6)");
    CHECK_OP_ERROR(ShapeError, lstm_cell(ones({2, 8}), ones({2, 3})), "lstm_cell", "c_prev", "(2, 2)", "(2, 3)");
    CHECK_OP_ERROR(DtypeError, lstm_cell(ones({2, 8}), ones({2, 2}, f64)), "lstm_cell", "float32", "float64");
    check_shape(lstm_cell(zeros({0, 8}), zeros({0, 2})), {0, 4});
    const Tensor none = zeros({0, 8}).requires_grad_();
    check_zero_grad(lstm_cell(none), none);
    // A NaN gate poisons its own h and c only; infinite gates saturate (σ = 1, tanh = 1).
    check_values_nan(lstm_cell(tensor({kNaN, 0, 0, 0, 0, 0, 0, 0}, {2, 4}, f64)), {kNaN, kNaN, 0, 0});
    check_values_nan(lstm_cell(tensor({kInf, kInf, kInf, kInf}, {1, 4}, f64), tensor({1.0}, {1, 1}, f64)),
                     {std::tanh(2.0), 2});
  }});
  return cases;
}

}  // namespace

std::vector<BadInputCase> op_cases() {
  std::vector<BadInputCase> all;
  for (BadInputCase& c : elementwise_cases()) all.push_back(std::move(c));
  for (auto* part : {&shape_cases, &creation_cases, &functional_cases, &network_cases}) {
    for (BadInputCase& c : (*part)()) all.push_back(std::move(c));
  }
  for (BadInputCase& c : loss_and_init_cases()) all.push_back(std::move(c));
  for (BadInputCase& c : in_place_cases()) all.push_back(std::move(c));
  return all;
}

std::map<std::string, std::string> op_exemptions() {
  return {
      {"reduction_name", "names an enum value; an out-of-range value gives \"unknown\", which the losses reject"},
      {"names", "init::names() takes no argument"},
  };
}

}  // namespace tg::test
