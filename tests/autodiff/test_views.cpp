// Strided views: shared storage both ways, gradients through every view op
// and through chains of them (first and second order), contiguous() only
// copying when it must, and the kernels reading views right.
#include <doctest/doctest.h>

#include <functional>

#include "../support.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

using ViewFn = std::function<Tensor(const Tensor&)>;

// A float64 (3, 4, 5) tensor of distinct values.
Tensor base_345() { return reshape(arange(0, 60, 1, f64), {3, 4, 5}); }

// Every view op with arguments that fit (3, 4, 5).
const std::vector<std::pair<const char*, ViewFn>>& view_ops() {
  static const std::vector<std::pair<const char*, ViewFn>> ops = {
      {"reshape", [](const Tensor& x) { return reshape(x, {12, 5}); }},
      {"view", [](const Tensor& x) { return view(x, {3, 20}); }},
      {"permute", [](const Tensor& x) { return permute(x, {2, 0, 1}); }},
      {"transpose", [](const Tensor& x) { return transpose(x, 0, 2); }},
      {"slice", [](const Tensor& x) { return slice(x, 1, 1, 4, 2); }},
      {"narrow", [](const Tensor& x) { return narrow(x, 2, 1, 3); }},
      {"select", [](const Tensor& x) { return select(x, 1, -1); }},
      {"diagonal", [](const Tensor& x) { return diagonal(x, 1, 1, 2); }},
      {"squeeze", [](const Tensor& x) { return squeeze(slice(x, 0, 1, 2), 0); }},
      {"unsqueeze", [](const Tensor& x) { return unsqueeze(x, 1); }},
      {"expand", [](const Tensor& x) { return expand(slice(x, 0, 0, 1), {2, 3, -1, -1}); }},
      {"flatten", [](const Tensor& x) { return flatten(x, 1); }},
      {"chunk", [](const Tensor& x) { return chunk(x, 2, 1)[1]; }},
      {"split", [](const Tensor& x) { return split(x, std::vector<std::int64_t>{1, 4}, 2)[1]; }},
      {"unbind", [](const Tensor& x) { return unbind(x, 2)[3]; }},
      {"detach", [](const Tensor& x) { return x.detach(); }},
  };
  return ops;
}

// The contiguous equivalent of `view`, computed element by element from
// positions in the base: a reference that shares nothing with the views.
std::vector<double> values_of(const Tensor& t) { return t.contiguous().to_vector<double>(); }

}  // namespace

TEST_CASE("every view op shares its base's storage and copies nothing") {
  for (const auto& [name, op] : view_ops()) {
    INFO(std::string(name));
    const Tensor x = base_345();
    const long before = x.storage_use_count();
    const Tensor v = op(x);
    CHECK(v.storage_use_count() > before);  // the same buffer, one more handle
  }
}

TEST_CASE("a write through a view is seen in the base, and a write to the base in the view") {
  for (const auto& [name, op] : view_ops()) {
    INFO(std::string(name));
    if (std::string(name) == "expand") continue;  // overlapping elements: see the next case
    Tensor x = base_345();
    Tensor v = op(x);
    const Tensor marks = full(v.shape(), -1.0, f64);
    v.copy_(marks);
    // Every element the view covers now reads -1 in the base, and no other.
    const std::vector<double> after = x.to_vector<double>();
    const std::vector<double> ids = op(base_345()).contiguous().to_vector<double>();
    std::vector<bool> covered(60, false);
    for (double id : ids) covered[static_cast<std::size_t>(id)] = true;
    for (std::size_t i = 0; i < 60; ++i) CHECK(after[i] == (covered[i] ? -1.0 : static_cast<double>(i)));
    // And the reverse: a new value in the base shows through the view.
    x.copy_(full(x.shape(), 7.0, f64));
    for (double got : values_of(v)) CHECK(got == 7.0);
  }
}

TEST_CASE("expand is a stride-0 view: a write to the base shows in every copy of the element") {
  Tensor x = tensor({1.0, 2.0, 3.0}, f64);
  const Tensor e = expand(x, {2, 3});
  CHECK(e.strides() == std::vector<std::int64_t>{0, 1});
  x.copy_(tensor({4.0, 5.0, 6.0}, f64));
  check_values(e, {4, 5, 6, 4, 5, 6});
}

TEST_CASE("views report their geometry as PyTorch does") {
  const Tensor x = base_345();
  CHECK(x.strides() == std::vector<std::int64_t>{20, 5, 1});
  CHECK(x.is_contiguous());
  const Tensor p = permute(x, {2, 0, 1});
  CHECK(p.strides() == std::vector<std::int64_t>{1, 20, 5});
  CHECK_FALSE(p.is_contiguous());
  const Tensor s = slice(x, 1, 1, 4, 2);
  CHECK(s.storage_offset() == 5);
  CHECK(s.strides() == std::vector<std::int64_t>{20, 10, 1});
  const Tensor d = diagonal(x, 1, 1, 2);
  CHECK(d.shape() == Shape{3, 4});
  CHECK(d.storage_offset() == 1);
  CHECK(d.strides() == std::vector<std::int64_t>{20, 6});
  check_values(d.contiguous(), {1, 7, 13, 19, 21, 27, 33, 39, 41, 47, 53, 59});
  // A row slice is contiguous; an extent-1 axis's stride does not matter.
  CHECK(slice(x, 0, 1, 2).is_contiguous());
  CHECK(select(x, 0, 2).is_contiguous());
}

TEST_CASE("contiguous() copies only when it must") {
  const Tensor x = base_345();
  CHECK(x.contiguous().impl() == x.impl());
  const Tensor row = select(x, 0, 1);
  CHECK(row.contiguous().impl() == row.impl());
  const Tensor p = transpose(x, 0, 1);
  const Tensor c = p.contiguous();
  CHECK(c.impl() != p.impl());
  CHECK(c.is_contiguous());
  CHECK(c.storage_use_count() == 1);  // a buffer of its own
  check_values(c, values_of(p));
}

TEST_CASE("reshape is a view when the strides allow, a copy otherwise; view refuses") {
  const Tensor x = base_345();
  const Tensor r = reshape(x, {60});
  CHECK(r.storage_use_count() == x.storage_use_count());
  // Merging axes of a transpose cannot be a view.
  const Tensor p = transpose(x, 1, 2);  // (3, 5, 4), strides (20, 1, 5)
  const long before = x.storage_use_count();
  const Tensor copied = reshape(p, {3, 20});
  CHECK(x.storage_use_count() == before);
  check_values(copied, values_of(p));
  // Splitting an axis of a transpose or dropping an extent-1 axis can be.
  CHECK(reshape(p, {3, 5, 2, 2}).storage_use_count() > before);
  CHECK_OP_ERROR(ShapeError, view(p, {3, 20}), "view", "(3, 5, 4)", "strides (20, 1, 5)", "reshape()");
}

TEST_CASE("data<T>() of a non-contiguous view throws and points to contiguous()") {
  const Tensor p = transpose(base_345(), 0, 2);
  const std::string message = tg::test::thrown<std::invalid_argument>([&] { (void)p.data<double>(); });
  tg::test::check_contains(message, {"data", "(5, 4, 3)", "non-contiguous", "contiguous()"});
  CHECK(p.contiguous().data<double>() != nullptr);
}

TEST_CASE("view ops refuse bad arguments, naming the op and the shape") {
  const Tensor x = base_345();
  CHECK_OP_ERROR(InvalidArgument, narrow(x, 1, 2, 3), "narrow", "(3, 4, 5)");
  CHECK_OP_ERROR(AxisError, select(x, 2, 5), "select", "(3, 4, 5)");
  CHECK_OP_ERROR(AxisError, diagonal(x, 0, 1, -2), "diagonal", "same axis");
  CHECK_OP_ERROR(ShapeError, diagonal(tensor({1.0}), 0, 0, 1), "diagonal", "rank >= 2");
  CHECK_OP_ERROR(ShapeError, t(x), "t", "(3, 4, 5)");
  CHECK_OP_ERROR(ShapeError, expand(x, {4, 5}), "expand", "fewer axes");
  CHECK_OP_ERROR(ShapeError, expand(x, {-1, 3, 4, 5}), "expand", "-1");
  CHECK_OP_ERROR(InvalidArgument, split(x, std::vector<std::int64_t>{1, 2}, 1), "split", "add up");
  CHECK_OP_ERROR(InvalidArgument, chunk(x, 0), "chunk", "chunks must be > 0");
}

TEST_CASE("chunk, split and unbind follow PyTorch's piece sizes") {
  const Tensor x = reshape(arange(0, 10, 1, f64), {10});
  const auto pieces = chunk(x, 3);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].numel() == 4);
  CHECK(pieces[2].numel() == 2);
  CHECK(chunk(x, 20).size() == 10);
  CHECK(split(x, 4).size() == 3);
  CHECK(unbind(x).size() == 10);
  CHECK(unbind(x)[7].item() == 7.0);
}

TEST_CASE("gradients flow through every view op: float64 gradcheck, first and second order") {
  Generator gen(7);
  for (const auto& [name, op] : view_ops()) {
    if (std::string(name) == "detach") continue;
    INFO(std::string(name));
    const ViewFn f = op;
    // sin makes the second derivative non-zero.
    CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return sin(f(x)); }, {randn({3, 4, 5}, gen, f64)}));
    const Tensor w = randn(f(base_345()).shape(), gen, f64);
    CHECK_GRADCHECK(gradcheck(
        [&](Tensor& x) { return grad(sum(sin(f(x)) * w), x, {.create_graph = true}); },
        {randn({3, 4, 5}, gen, f64)}));
  }
}

TEST_CASE("gradients through chains of views: a transpose of a slice of an expand") {
  Generator gen(3);
  auto chain = [](Tensor& x) {
    const Tensor e = expand(unsqueeze(x, 0), {3, 4, 5});
    const Tensor s = slice(e, 2, 1, 5, 2);        // (3, 4, 2)
    const Tensor tr = transpose(s, 0, 2);          // (2, 4, 3)
    return tanh(diagonal(tr, 0, 1, 2) * 2.0);      // (2, 3)
  };
  CHECK_GRADCHECK(gradcheck(chain, {randn({4, 5}, gen, f64)}));
  CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return grad(sum(chain(x)), x, {.create_graph = true}); },
                            {randn({4, 5}, gen, f64)}));
  // The gradient of a leaf read only through views is contiguous, as
  // optimizers read it.
  Tensor x = randn({4, 5}, gen, f64).requires_grad_();
  sum(chain(x)).backward();
  CHECK(x.grad().is_contiguous());
}

TEST_CASE("ops read non-contiguous inputs right") {
  Generator gen(11);
  const Tensor a = randn({6, 5}, gen, f64);
  const Tensor b = randn({6, 5}, gen, f64);
  const Tensor at = transpose(a.contiguous(), 0, 1);  // (5, 6) view
  const Tensor at_copy = at.contiguous();
  check_values(exp(at), values_of(exp(at_copy)));
  check_values(at + transpose(b, 0, 1), values_of(at_copy + transpose(b, 0, 1).contiguous()));
  check_values(at * tensor({2.0}, f64), values_of(at_copy * 2.0));
  check_values(sum(at, {1}), values_of(sum(at_copy, {1})));
  check_values(softmax(at, -1), values_of(softmax(at_copy, -1)));
  check_values(where(gt(at, zeros({5, 6}, f64)), at, -at), values_of(abs(at_copy)));
  check_values(to_dtype(at, f32), values_of(to_dtype(at_copy, f32)), 1e-6);
  // gemm reads a transposed and a row-sliced operand without a copy, and an
  // expanded one through a copy; all give the dense product.
  const Tensor rows = slice(a, 0, 1, 6, 2);  // (3, 5), leading dimension 10
  check_values(matmul(at, a), values_of(matmul(at_copy, a)));
  check_values(matmul(rows, at), values_of(matmul(rows.contiguous(), at_copy)));
  const Tensor e = expand(slice(a, 0, 0, 1), {4, 5});
  check_values(matmul(e, at), values_of(matmul(e.contiguous(), at_copy)));
  check_values(addmm(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, f64), rows.contiguous(), at),
               values_of(addmm(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, f64), rows.contiguous(), at_copy)));
  // Batched: a permuted batch.
  const Tensor batch = randn({4, 3, 5}, gen, f64);
  const Tensor pb = permute(batch, {1, 0, 2});  // (3, 4, 5)
  check_values(matmul(pb, transpose(pb, 1, 2)), values_of(matmul(pb.contiguous(), transpose(pb.contiguous(), 1, 2))));
}

TEST_CASE("a write through a view is caught by the version check of a saved base") {
  Tensor w = tensor({1.0, 2.0, 3.0}, f64).requires_grad_();
  Tensor v = tensor({1.0, 2.0, 3.0}, f64);
  const Tensor z = sum(v * w);  // mul saves v for w's gradient
  Tensor window = slice(v, 0, 0, 2);
  window.copy_(tensor({5.0, 6.0}, f64));  // one storage, one version counter
  CHECK_THROWS_WITH_AS(z.backward(), doctest::Contains("mul"), GraphError);
}
