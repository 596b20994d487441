// Shape ops: forward values, float64 gradchecks, storage sharing of the
// reshape family, and the errors (type, op, shapes, caller's line).
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

using V = std::vector<double>;

Tensor idx(std::vector<std::int64_t> values, Shape shape) { return from_vector(values, shape); }
Tensor idx(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return from_vector(values, {n});
}

// 0, 1, 2, ... in `shape`, float64.
Tensor iota(const Shape& shape) { return reshape(arange(0, static_cast<double>(shape.numel()), 1, f64), shape); }

}  // namespace

TEST_CASE("reshape: -1 is inferred, values keep their order, storage is shared") {
  Tensor x = iota({2, 3, 4}).clone();  // a root: no base of its own holding the storage too
  const Tensor y = reshape(x, {4, -1});
  CHECK(y.shape() == Shape{4, 6});
  CHECK(y.to_vector<double>() == x.to_vector<double>());
  CHECK(reshape(x, {-1}).shape() == Shape{24});
  CHECK(reshape(scalar(5.0), {1, 1}).shape() == Shape{1, 1});
  CHECK(reshape(ones({1, 1}), {}).rank() == 0);
  // A view: same buffer, and a write through one is seen through the other.
  CHECK(y.storage_use_count() == 2);
  CHECK(y.data<double>() == x.data<double>());
  x.mutable_data<double>()[5] = -1.0;
  CHECK(y.to_vector<double>()[5] == -1.0);
  for (const Tensor& v : {flatten(x), squeeze(reshape(x, {2, 1, 12}), 1), unsqueeze(x, 0)})
    CHECK(v.data<double>() == x.data<double>());

  Generator gen(1);
  CHECK_GRADCHECK(gradcheck([](auto& a) { return reshape(a, {3, -1}) * iota({3, 8}); }, {randn({2, 3, 4}, gen, f64)}));
}

TEST_CASE("permute and transpose move values where the axes say") {
  const Tensor x = iota({2, 3, 4});
  const Tensor y = permute(x, {2, 0, 1});  // y[k, i, j] = x[i, j, k]
  REQUIRE(y.shape() == Shape{4, 2, 3});
  const V vx = x.to_vector<double>(), vy = y.to_vector<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        CHECK(vy[static_cast<std::size_t>(k * 6 + i * 3 + j)] == vx[static_cast<std::size_t>(i * 12 + j * 4 + k)]);
      }
  CHECK(permute(x, {-1, 0, 1}).to_vector<double>() == vy);

  const Tensor t = transpose(iota({2, 3}));
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.to_vector<double>() == V{0, 3, 1, 4, 2, 5});
  CHECK(transpose(x, 0, 2).shape() == Shape{4, 3, 2});
  CHECK(transpose(x, 0, 2).to_vector<double>() == permute(x, {2, 1, 0}).to_vector<double>());

  Generator gen(2);
  const Tensor w = randn({4, 2, 3}, gen, f64);  // breaks the symmetry of the projection
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return permute(a, {2, 0, 1}) * w; }, {randn({2, 3, 4}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& a) { return transpose(a, 0, -1); }, {randn({2, 3, 4}, gen, f64)}));
}

TEST_CASE("slice: negative and out-of-range bounds, steps") {
  const Tensor x = iota({10});
  CHECK(slice(x, 0, 2, 5).to_vector<double>() == V{2, 3, 4});
  CHECK(slice(x, 0, -3, 10).to_vector<double>() == V{7, 8, 9});
  CHECK(slice(x, 0, -100, 2).to_vector<double>() == V{0, 1});
  CHECK(slice(x, 0, 8, 100).to_vector<double>() == V{8, 9});
  CHECK(slice(x, 0, 0, -8).to_vector<double>() == V{0, 1});
  CHECK(slice(x, 0, 1, 10, 3).to_vector<double>() == V{1, 4, 7});
  CHECK(slice(x, 0, 1, 9, 3).to_vector<double>() == V{1, 4, 7});
  CHECK(slice(x, 0, 0, 10, 20).to_vector<double>() == V{0});
  constexpr std::int64_t kBig = std::numeric_limits<std::int64_t>::max();
  CHECK(slice(x, 0, 3, kBig, kBig).to_vector<double>() == V{3});
  CHECK(slice(x, 0, -kBig, kBig).to_vector<double>() == x.to_vector<double>());
  CHECK(slice(x, 0, 6, 3).shape() == Shape{0});
  CHECK(slice(x, 0, 20, 30).shape() == Shape{0});

  const Tensor m = iota({3, 5});
  const Tensor s = slice(m, 1, 1, 5, 2);  // columns 1 and 3
  CHECK(s.shape() == Shape{3, 2});
  CHECK(s.to_vector<double>() == V{1, 3, 6, 8, 11, 13});
  CHECK(slice(m, -2, -1, 3).to_vector<double>() == V{10, 11, 12, 13, 14});

  Generator gen(3);
  CHECK_GRADCHECK(gradcheck([](auto& a) { return slice(a, 1, -4, 5, 2); }, {randn({2, 5, 3}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& a) { return slice(a, 0, 1, 100); }, {randn({3, 2}, gen, f64)}));
  // Second order: slice's VJP (the unslice) is differentiable in turn.
  CHECK_GRADCHECK(gradcheck([](auto& a) {
    const Tensor y = slice(a, 1, 0, 5, 2);
    return grad(sum(y * y * y), a, {.create_graph = true});
  }, {randn({2, 5}, gen, f64)}));
}

TEST_CASE("index_select picks rows; repeated indices accumulate their gradients") {
  const Tensor x = iota({4, 3});
  CHECK(index_select(x, 0, idx({2, 0, 2})).to_vector<double>() == V{6, 7, 8, 0, 1, 2, 6, 7, 8});
  CHECK(index_select(x, 1, idx({2, 1})).to_vector<double>() == V{2, 1, 5, 4, 8, 7, 11, 10});
  CHECK(index_select(x, -1, idx({})).shape() == Shape{4, 0});

  Tensor leaf = iota({4, 3}).detach().requires_grad_();
  sum(index_select(leaf, 0, idx({2, 0, 2, 2}))).backward();
  CHECK(leaf.grad().to_vector<double>() == V{1, 1, 1, 0, 0, 0, 3, 3, 3, 0, 0, 0});

  Generator gen(4);
  const Tensor rows = idx({1, 3, 1, 0});
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return index_select(a, 0, rows); }, {randn({4, 3}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return index_select(a, 1, idx({2, 2, 0})); }, {randn({2, 3, 2}, gen, f64)}));
  // Second order through the adjoint (index_add): d/dw of the gradient w.r.t. x.
  CHECK_GRADCHECK(gradcheck([&](auto& a, auto& w) {
    return grad(sum(index_select(a, 0, rows) * w * w), a, {.create_graph = true});
  }, {randn({4, 3}, gen, f64), randn({4, 3}, gen, f64)}));
}

TEST_CASE("gather: a same-rank index, and class labels picking one entry per row") {
  const Tensor x = iota({2, 3});
  const Tensor same = gather(x, 1, idx({2, 2, 0, 1, 0, 1}, {2, 3}));
  CHECK(same.shape() == Shape{2, 3});
  CHECK(same.to_vector<double>() == V{2, 2, 0, 4, 3, 4});
  CHECK(gather(x, 0, idx({1, 0, 1}, {1, 3})).to_vector<double>() == V{3, 1, 5});
  CHECK(gather(x, 1, idx({0, 0}, {1, 2})).to_vector<double>() == V{0, 0});  // smaller off the axis

  const Tensor picked = gather(x, -1, idx({2, 0}));  // labels (N,) into (N, C)
  CHECK(picked.shape() == Shape{2});
  CHECK(picked.to_vector<double>() == V{2, 3});
  CHECK(gather(x, 0, idx({1, 0, 1})).to_vector<double>() == V{3, 1, 5});
  const Tensor mid = gather(iota({2, 3, 4}), 1, idx({0, 1, 2, 0, 2, 2, 1, 0}, {2, 4}));  // y[i, k] = x[i, l[i, k], k]
  CHECK(mid.shape() == Shape{2, 4});
  CHECK(mid.to_vector<double>() == V{0, 5, 10, 3, 20, 21, 18, 15});

  Tensor leaf = iota({2, 3}).detach().requires_grad_();
  sum(gather(leaf, 1, idx({1, 1, 1, 0, 2, 0}, {2, 3}))).backward();
  CHECK(leaf.grad().to_vector<double>() == V{0, 3, 0, 2, 0, 1});

  Generator gen(5);
  const Tensor labels = idx({3, 0, 3, 1});
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return gather(a, 1, labels); }, {randn({4, 5}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return gather(a, 1, idx({0, 2, 2, 1, 0, 0}, {2, 3})); },
                            {randn({2, 3, 3}, gen, f64)}));
  const Tensor index = idx({0, 2, 1, 1, 0, 0, 2, 2}, {2, 2, 2});
  CHECK_GRADCHECK(gradcheck([&](auto& a) { return gather(a, 1, index); }, {randn({2, 3, 2}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([&](auto& a, auto& w) {
    return grad(sum(gather(a, 1, labels) * w * w), a, {.create_graph = true});
  }, {randn({4, 5}, gen, f64), randn({4}, gen, f64)}));
}

TEST_CASE("concat and stack") {
  const Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0, c = iota({2, 3}) + 20.0;
  const Tensor cols = concat({a, b, c}, 1);
  CHECK(cols.shape() == Shape{2, 6});
  CHECK(cols.to_vector<double>() == V{0, 1, 10, 20, 21, 22, 2, 3, 11, 23, 24, 25});
  CHECK(concat({a, transpose(b)}, 0).to_vector<double>() == V{0, 1, 2, 3, 10, 11});
  CHECK(concat({a}, -1).to_vector<double>() == a.to_vector<double>());

  const Tensor s0 = stack({a, a + 4.0});
  CHECK(s0.shape() == Shape{2, 2, 2});
  CHECK(s0.to_vector<double>() == V{0, 1, 2, 3, 4, 5, 6, 7});
  const Tensor s2 = stack({a, a + 4.0}, -1);
  CHECK(s2.shape() == Shape{2, 2, 2});
  CHECK(s2.to_vector<double>() == V{0, 4, 1, 5, 2, 6, 3, 7});

  Generator gen(6);
  CHECK_GRADCHECK(gradcheck([](auto& x, auto& y, auto& z) { return concat({x, y, z}, 1); },
                            {randn({2, 2}, gen, f64), randn({2, 1}, gen, f64), randn({2, 3}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& x, auto& y) { return concat({y, x, y}, 0); },
                            {randn({1, 3}, gen, f64), randn({2, 3}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& x, auto& y) { return stack({x, y, x}, 1); },
                            {randn({2, 3}, gen, f64), randn({2, 3}, gen, f64)}));
}

TEST_CASE("broadcast_to copies along new and unit axes; its gradient sums back") {
  const Tensor x = tensor({1, 2, 3}, {3, 1}, f64);
  const Tensor y = broadcast_to(x, {2, 3, 2});
  CHECK(y.shape() == Shape{2, 3, 2});
  CHECK(y.to_vector<double>() == V{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  CHECK(broadcast_to(ones({1, 3}), {0, 3}).shape() == Shape{0, 3});
  Tensor leaf = x.detach().requires_grad_();
  sum(broadcast_to(leaf, {2, 3, 2})).backward();
  CHECK(leaf.grad().to_vector<double>() == V{4, 4, 4});
  Generator gen(7);
  CHECK_GRADCHECK(gradcheck([](auto& a) { return broadcast_to(a, {2, 3, 4}); }, {randn({3, 1}, gen, f64)}));
}

TEST_CASE("pad with a constant") {
  const Tensor x = iota({2, 2});
  const Tensor y = pad(x, {{1, 0}, {0, 2}}, -1.0);
  CHECK(y.shape() == Shape{3, 4});
  CHECK(y.to_vector<double>() == V{-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1});
  CHECK(pad(x, {{0, 1}}).to_vector<double>() == V{0, 1, 2, 3, 0, 0});  // later axes untouched
  CHECK(pad(x, {}).to_vector<double>() == x.to_vector<double>());
  Generator gen(8);
  CHECK_GRADCHECK(gradcheck([](auto& a) { return pad(a, {{2, 1}, {0, 0}, {1, 3}}, 0.5); },
                            {randn({2, 3, 2}, gen, f64)}));
}

TEST_CASE("flatten, squeeze and unsqueeze") {
  const Tensor x = iota({2, 3, 4, 5});
  CHECK(flatten(x).shape() == Shape{120});
  CHECK(flatten(x, 1, 2).shape() == Shape{2, 12, 5});
  CHECK(flatten(x, 1).shape() == Shape{2, 60});
  CHECK(flatten(x, -2, -1).shape() == Shape{2, 3, 20});
  CHECK(flatten(scalar(3.0)).shape() == Shape{1});
  CHECK(flatten(x, 1, 2).to_vector<double>() == x.to_vector<double>());

  const Tensor u = iota({2, 3});
  CHECK(unsqueeze(u, 0).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(u, 1).shape() == Shape{2, 1, 3});
  CHECK(unsqueeze(u, 2).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(u, -1).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(u, -3).shape() == Shape{1, 2, 3});
  CHECK(squeeze(unsqueeze(u, 1), 1).shape() == Shape{2, 3});
  CHECK(squeeze(ones({2, 1}), -1).shape() == Shape{2});

  Generator gen(9);
  CHECK_GRADCHECK(gradcheck([](auto& a) { return flatten(a, 0, 1); }, {randn({2, 3, 2}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& a) { return squeeze(a, 1); }, {randn({3, 1, 2}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([](auto& a) { return unsqueeze(a, -1); }, {randn({3, 2}, gen, f64)}));
}

TEST_CASE("to_dtype converts values and carries the gradient back in the input's dtype") {
  const Tensor x = tensor({1.5, -2.25, 3.0}, f32);
  const Tensor y = to_dtype(x, f64);
  CHECK(y.dtype() == f64);
  CHECK(y.to_vector<double>() == V{1.5, -2.25, 3.0});
  CHECK(to_dtype(tensor({1.7, -2.5}), i64).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2});

  for (Dtype from : {f32, f64}) {
    const Dtype to = from == f32 ? f64 : f32;
    Tensor leaf = tensor({0.5, -1.0, 2.0}, from).requires_grad_();
    Tensor w = tensor({3.0, 5.0, 7.0}, to);
    sum(to_dtype(leaf, to) * to_dtype(leaf, to) * w).backward();  // d/dx = 2·w·x
    CHECK(leaf.grad().dtype() == from);
    CHECK(leaf.grad().to_vector<double>() == V{3.0, -10.0, 28.0});
  }
  // Through a float32 round trip the gradient is the identity (values exact in float32).
  Tensor leaf = tensor({0.25, 4.0}, f64).requires_grad_();
  Tensor g = grad(sum(to_dtype(to_dtype(leaf, f32), f64) * tensor({2.0, -3.0}, f64)), leaf);
  CHECK(g.dtype() == f64);
  CHECK(g.to_vector<double>() == V{2.0, -3.0});
}

TEST_CASE("errors: bad axes") {
  const Tensor x = zeros({2, 3, 4});
  CHECK_OP_ERROR(AxisError, permute(x, {0, 1, 5}), "permute", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, permute(x, {0, 1}), "permute", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, permute(x, {0, 1, -3}), "permute", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, transpose(zeros({3})), "transpose", "(3,)");
  CHECK_OP_ERROR(AxisError, slice(x, 3, 0, 1), "slice", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, concat({x, x}, -4), "concat", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, stack({x, x}, 4), "stack", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, flatten(x, 2, 1), "flatten", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, squeeze(x, 3), "squeeze", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, unsqueeze(x, -5), "unsqueeze", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, index_select(x, 3, idx({0})), "index_select", "(2, 3, 4)");
  CHECK_OP_ERROR(AxisError, gather(x, -4, idx({0}, {1, 1, 1})), "gather", "(2, 3, 4)");
}

TEST_CASE("errors: shapes that do not fit") {
  CHECK_OP_ERROR(ShapeError, reshape(zeros({2, 3}), {4, 2}), "reshape", "(2, 3)", "(4, 2)");
  CHECK_OP_ERROR(ShapeError, reshape(zeros({2, 3}), {4, -1}), "reshape", "(2, 3)", "(4, -1)");
  CHECK_OP_ERROR(ShapeError, reshape(zeros({6}), {-1, -1}), "reshape", "(-1, -1)");
  CHECK_OP_ERROR(ShapeError, concat({zeros({2, 3}), zeros({2, 4})}, 0), "concat", "(2, 3)", "(2, 4)");
  CHECK_OP_ERROR(ShapeError, concat({zeros({2, 3}), zeros({3})}, 0), "concat", "(2, 3)", "(3,)");
  CHECK_OP_ERROR(DtypeError, concat({zeros({2, 3}), zeros({2, 3}, f64)}, 0), "concat", "float32", "float64");
  CHECK_OP_ERROR(ShapeError, stack({zeros({2, 3}), zeros({3, 2})}), "stack", "(2, 3)", "(3, 2)");
  CHECK_OP_ERROR(ShapeError, squeeze(zeros({2, 3}), 1), "squeeze", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, broadcast_to(zeros({3}), {4}), "broadcast_to", "(3,)", "(4,)");
  CHECK_OP_ERROR(ShapeError, broadcast_to(zeros({1, 3}), {-1, 3}), "broadcast_to", "(1, 3)", "(-1, 3)");
  CHECK_OP_ERROR(ShapeError, pad(zeros({2}), {{1, 1}, {1, 1}}), "pad", "(2,)");
  CHECK_OP_ERROR(ShapeError, index_select(zeros({2, 3}), 0, idx({0, 1}, {1, 2})), "index_select", "(1, 2)");
  CHECK_OP_ERROR(ShapeError, gather(zeros({2, 3, 4}), 1, idx({0, 0}, {2})), "gather", "(2,)", "(2, 3, 4)");
  CHECK_OP_ERROR(ShapeError, gather(zeros({2, 3}), 1, idx({0, 0, 0}, {3, 1})), "gather", "(3, 1)", "(2, 3)");
}

TEST_CASE("errors: indices and argument values") {
  const Tensor x = zeros({2, 3});
  CHECK_OP_ERROR(AxisError, index_select(x, 1, idx({0, 3})), "index_select", "index 3", "(2, 3)");
  CHECK_OP_ERROR(AxisError, index_select(x, 0, idx({-1})), "index_select", "index -1", "(2, 3)");
  CHECK_OP_ERROR(AxisError, gather(x, 1, idx({0, 3})), "gather", "index 3", "(2, 3)");
  CHECK_OP_ERROR(DtypeError, index_select(x, 0, tensor({0, 1})), "index_select", "int64", "float32");
  CHECK_OP_ERROR(DtypeError, gather(x, 1, tensor({0, 1}, f64)), "gather", "int64", "float64");
  CHECK_OP_ERROR(DtypeError, gather(idx({1, 2}), 0, idx({0})), "gather", "int64");

  CHECK_OP_ERROR(InvalidArgument, pad(x, {{0, 0}, {-1, 2}}), "pad", "(-1, 2)", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, slice(x, 1, 0, 3, 0), "slice", "step", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, slice(x, 1, 3, 0, -1), "slice", "step", "-1");
  CHECK_OP_ERROR(InvalidArgument, concat({}, 0), "concat");
  CHECK_OP_ERROR(InvalidArgument, stack({}, 0), "stack");
}
