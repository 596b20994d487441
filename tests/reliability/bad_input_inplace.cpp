// The bad-input cases of the in-place ops and of the indexing ops they lean
// on (index_add, index_copy, index_put, clone): undefined operands, operands
// that broadcast beyond the tensor written, other dtypes, indices out of
// range, a leaf that requires grad, overlapping elements, and the edge sizes
// that have a meaning.
#include "bad_input.hpp"

namespace tg::test {

namespace {

Tensor i64_of(const std::vector<std::int64_t>& v, const Shape& shape) { return from_vector(v, shape); }

// What every in-place method must refuse: an undefined target, a leaf that
// requires grad outside NoGrad, and elements shared by several positions.
void check_common(const std::string& name, const std::function<void(Tensor&)>& apply) {
  INFO(name);
  Tensor undefined;
  CHECK_ERROR(InvalidArgument, apply(undefined), name, "undefined");
  Tensor leaf = ones({2, 3}).requires_grad_();
  CHECK_ERROR(GraphError, apply(leaf), name, "(2, 3)", "leaf that requires grad", "NoGrad");
  Tensor shared = expand(zeros({3}), {2, 3});
  CHECK_ERROR(InvalidArgument, apply(shared), name, "expanded axis", "clone()");
  Tensor empty = zeros({0, 3});
  apply(empty);  // nothing to write
  CHECK(empty.shape() == Shape{0, 3});
}

}  // namespace

std::vector<BadInputCase> in_place_cases() {
  std::vector<BadInputCase> cases;
  const Tensor row3 = ones({3});
  auto binary = [&](const std::string& name, const std::string& error, std::function<void(Tensor&, const Tensor&)> op) {
    cases.push_back({name, [=] {
      check_common(error, [&](Tensor& t) { op(t, row3); });
      Tensor t = zeros({3});
      CHECK_ERROR(InvalidArgument, op(t, Tensor()), error, "undefined");
      CHECK_ERROR(ShapeError, op(t, ones({2, 3})), error, "(2, 3)", "(3,)", "written in place");
      CHECK_ERROR(DtypeError, op(t, ones({3}, f64)), error, "float32", "float64");
    }});
  };
  binary("Tensor::add_", "add_", [](Tensor& t, const Tensor& o) { t.add_(o); });
  binary("Tensor::sub_", "sub_", [](Tensor& t, const Tensor& o) { t.sub_(o); });
  binary("Tensor::mul_", "mul_", [](Tensor& t, const Tensor& o) { t.mul_(o); });
  binary("Tensor::div_", "div_", [](Tensor& t, const Tensor& o) { t.div_(o); });
  binary("Tensor::pow_", "pow_", [](Tensor& t, const Tensor& o) { t.pow_(o); });
  binary("Tensor::operator+=", "add_", [](Tensor& t, const Tensor& o) { t += o; });
  binary("Tensor::operator-=", "sub_", [](Tensor& t, const Tensor& o) { t -= o; });
  binary("Tensor::operator*=", "mul_", [](Tensor& t, const Tensor& o) { t *= o; });
  binary("Tensor::operator/=", "div_", [](Tensor& t, const Tensor& o) { t /= o; });

  auto unary = [&](const std::string& name, std::function<void(Tensor&)> op) {
    cases.push_back({name, [=] {
      check_common(name.substr(8), op);
      Tensor ints = i64_of({1, 2}, {2});
      CHECK_ERROR(DtypeError, op(ints), name.substr(8), "int64");
    }});
  };
  unary("Tensor::neg_", [](Tensor& t) { t.neg_(); });
  unary("Tensor::exp_", [](Tensor& t) { t.exp_(); });
  unary("Tensor::relu_", [](Tensor& t) { t.relu_(); });
  unary("Tensor::sigmoid_", [](Tensor& t) { t.sigmoid_(); });
  unary("Tensor::tanh_", [](Tensor& t) { t.tanh_(); });
  cases.push_back({"Tensor::clamp_", [] {
    check_common("clamp_", [](Tensor& t) { t.clamp_(-1.0, 1.0); });
    Tensor t = zeros({2});
    CHECK_OP_ERROR(InvalidArgument, t.clamp_(1.0, -1.0), "clamp_", "lo <= hi");
    Tensor nan = tensor({kNaN, 5.0});
    check_values_nan(nan.clamp_(-1.0, 1.0), {kNaN, 1.0});
  }});
  cases.push_back({"Tensor::zero_", [] {
    check_common("zero_", [](Tensor& t) { t.zero_(); });
    Tensor ints = i64_of({4, 5}, {2});
    check_values(ints.zero_(), {0, 0});
  }});
  cases.push_back({"Tensor::fill_", [] {
    check_common("fill_", [](Tensor& t) { t.fill_(2.0); });
    Tensor t = zeros({2});
    CHECK_OP_ERROR(ShapeError, t.fill_(ones({2})), "fill_", "one element", "(2,)");
    CHECK_OP_ERROR(InvalidArgument, t.fill_(Tensor()), "fill_", "undefined");
    check_values_nan(t.fill_(kInf), {kInf, kInf});
  }});
  cases.push_back({"Tensor::copy_", [] {
    check_common("copy_", [](Tensor& t) { t.copy_(zeros({3})); });
    Tensor t = zeros({2, 2});
    CHECK_OP_ERROR(InvalidArgument, t.copy_(Tensor()), "copy_", "undefined");
    CHECK_OP_ERROR(ShapeError, t.copy_(zeros({3})), "copy_", "cannot broadcast (3,) to (2, 2)");
    check_values(t.copy_(i64_of({1, 2}, {2})), {1, 2, 1, 2});  // broadcast and converted
    CHECK(t.dtype() == f32);
    Tensor rows = tensor({1, 2, 3, 4}, {2, 2});
    select(rows, 0, 1).copy_(select(rows, 0, 0));  // a window of its own storage
    check_values(rows, {1, 2, 1, 2});
  }});
  cases.push_back({"Tensor::masked_fill_", [] {
    check_common("masked_fill_", [](Tensor& t) { t.masked_fill_(ones({3}), 0.0); });
    Tensor t = zeros({3});
    CHECK_OP_ERROR(InvalidArgument, t.masked_fill_(Tensor(), 1.0), "masked_fill_", "undefined");
    CHECK_OP_ERROR(ShapeError, t.masked_fill_(ones({2, 3}), 1.0), "masked_fill_", "(2, 3)", "(3,)");
    CHECK_OP_ERROR(ShapeError, t.masked_fill_(ones({3}), ones({2})), "masked_fill_", "one element");
    check_values_nan(t.masked_fill_(tensor({1, 0, 1}), kNaN), {kNaN, 0, kNaN});
  }});
  cases.push_back({"Tensor::index_add_", [] {
    check_common("index_add_", [](Tensor& t) { t.index_add_(-1, i64_of({0}, {1}), zeros({t.defined() ? t.size(0) : 2, 1})); });
    Tensor t = zeros({2, 3});
    CHECK_OP_ERROR(AxisError, t.index_add_(0, i64_of({2}, {1}), ones({1, 3})), "index_add_", "index 2", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, t.index_add_(0, i64_of({1}, {1}), ones({2, 3})), "index_add_", "(2, 3)", "expected (1, 3)");
    CHECK_OP_ERROR(DtypeError, t.index_add_(0, tensor({1.0}), ones({1, 3})), "index_add_", "int64");
  }});
  cases.push_back({"Tensor::index_put_", [] {
    check_common("index_put_", [](Tensor& t) { t.index_put_({i64_of({}, {0})}, zeros({})); });
    Tensor t = zeros({2, 3});
    CHECK_OP_ERROR(AxisError, t.index_put_({i64_of({-3}, {1})}, ones({})), "index_put_", "index -3", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, t.index_put_({i64_of({0}, {1})}, ones({2})), "index_put_", "(2,)", "(1, 3)");
    CHECK_OP_ERROR(ShapeError, t.index_put_({}, ones({})), "index_put_", "0 index tensors");
    CHECK_OP_ERROR(DtypeError, t.index_put_({tensor({0.0})}, ones({})), "index_put_", "int64", "float32");
  }});

  // The out-of-place ops.
  cases.push_back({"index_add", [] {
    const Tensor x = zeros({2, 3});
    CHECK_OP_ERROR(InvalidArgument, index_add(Tensor(), 0, i64_of({0}, {1}), ones({1, 3})), "index_add", "undefined");
    CHECK_OP_ERROR(InvalidArgument, index_add(x, 0, i64_of({0}, {1}), Tensor()), "index_add", "undefined");
    CHECK_OP_ERROR(AxisError, index_add(x, 2, i64_of({0}, {1}), ones({1, 3})), "index_add", "axis 2");
    CHECK_OP_ERROR(ShapeError, index_add(x, 0, i64_of({0, 1}, {1, 2}), ones({2, 3})), "index_add", "rank 1");
    CHECK_OP_ERROR(DtypeError, index_add(x, 0, i64_of({0}, {1}), ones({1, 3}, f64)), "index_add", "float32", "float64");
    check_values(index_add(x, 1, i64_of({2, 2}, {2}), ones({2, 2})), {0, 0, 2, 0, 0, 2});  // repeats add up
    check_shape(index_add(zeros({0, 3}), 1, i64_of({0}, {1}), zeros({0, 1})), {0, 3});
  }});
  cases.push_back({"index_copy", [] {
    const Tensor x = zeros({2, 3});
    CHECK_OP_ERROR(InvalidArgument, index_copy(x, 0, Tensor(), ones({1, 3})), "index_copy", "undefined");
    CHECK_OP_ERROR(AxisError, index_copy(x, 1, i64_of({3}, {1}), ones({2, 1})), "index_copy", "index 3", "(2, 3)");
    CHECK_OP_ERROR(DtypeError, index_copy(i64_of({1, 2}, {2}), 0, i64_of({0}, {1}), i64_of({5}, {1})), "index_copy", "int64");
    check_values(index_copy(x, 0, i64_of({1}, {1}), full({1, 3}, 4.0)), {0, 0, 0, 4, 4, 4});
  }});
  cases.push_back({"index_put", [] {
    const Tensor x = zeros({2, 3});
    CHECK_OP_ERROR(InvalidArgument, index_put(x, {Tensor()}, ones({})), "index_put", "undefined");
    CHECK_OP_ERROR(ShapeError, index_put(x, {i64_of({0}, {1}), i64_of({0}, {1}), i64_of({0}, {1})}, ones({})), "index_put", "3 index tensors", "(2, 3)");
    CHECK_OP_ERROR(ShapeError, index_put(x, {i64_of({0, 1}, {2}), i64_of({0, 1, 2}, {3})}, ones({})), "index_put", "(2,)", "(3,)");
    check_values(index_put(x, {i64_of({}, {0})}, ones({})), {0, 0, 0, 0, 0, 0});  // no position
  }});
  cases.push_back({"clone", [] {
    CHECK_OP_ERROR(InvalidArgument, clone(Tensor()), "clone", "undefined");
    check_shape(clone(zeros({0, 2})), {0, 2});
    const Tensor t = transpose(tensor({1, 2, 3, 4}, {2, 2}), 0, 1);
    const Tensor c = clone(t);
    CHECK(c.is_contiguous());
    check_values(c, {1, 3, 2, 4});
  }});
  return cases;
}

}  // namespace tg::test
