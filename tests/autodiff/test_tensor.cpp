// Tensor as a handle: shape, dtype, values, copies that share, printing.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <tapegrad/tapegrad.hpp>

using namespace tg;

TEST_CASE("shape, rank, size and numel") {
  const Tensor t = zeros({2, 3, 4});
  CHECK(t.shape() == Shape{2, 3, 4});
  CHECK(t.rank() == 3);
  CHECK(t.size(-1) == 4);
  CHECK(t.size(0) == 2);
  CHECK(t.numel() == 24);
  CHECK(t.dtype() == f32);
  CHECK(scalar(1.0).rank() == 0);
  CHECK(scalar(1.0).numel() == 1);
  CHECK(Shape{}.str() == "()");
  CHECK(Shape{5}.str() == "(5,)");
  CHECK(Shape{32, 784}.str() == "(32, 784)");
}

TEST_CASE("shapes past the maximum rank are refused") {
  CHECK_THROWS_AS(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError);
}

TEST_CASE("copies of a handle share value and gradient") {
  Tensor a = tensor({1.0, 2.0});
  Tensor b = a;
  b.mutable_data<float>()[0] = 5.0f;
  CHECK(a.to_vector<float>()[0] == 5.0f);
  a.requires_grad_();
  CHECK(b.requires_grad());
}

TEST_CASE("data<T> checks the dtype") {
  Tensor a = ones({2}, f64);
  CHECK(a.data<double>()[1] == 1.0);
  CHECK_THROWS_AS(a.data<float>(), DtypeError);
}

TEST_CASE("item and to_vector convert") {
  CHECK(scalar(2.5, f64).item() == 2.5);
  const auto v = tensor({1.5, -2.0}, f64).to_vector<float>();
  CHECK(v == std::vector<float>{1.5f, -2.0f});
  const Tensor labels = from_vector(std::vector<std::int64_t>{3, 1}, {2});
  CHECK(labels.dtype() == i64);
  CHECK(labels.to_vector<double>() == std::vector<double>{3.0, 1.0});
}

TEST_CASE("to_vector<int64_t> refuses the values to_dtype refuses (issue 20, defect 11)") {
  // A float int64 cannot hold used to come back as INT64_MIN (undefined
  // behaviour), where to_dtype(x, i64) threw for the same value.
  const double inf = std::numeric_limits<double>::infinity();
  for (const Dtype dtype : {f32, f64}) {
    for (const double bad : {std::nan(""), inf, -inf, 1e30, -1e30, 0x1.0p63}) {
      const Tensor x = tensor({1.0, bad}, dtype);
      INFO(dtype_name(dtype) << " " << bad);
      CHECK_THROWS_WITH_AS(x.to_vector<std::int64_t>(), doctest::Contains("to_vector<int64_t>: cannot convert"), InvalidArgument);
      CHECK_THROWS_WITH_AS(x.to_vector<std::int64_t>(), doctest::Contains(("(element 1 of (2,) " + std::string(dtype_name(dtype)) + ") to int64").c_str()), InvalidArgument);
      CHECK_THROWS_AS(to_dtype(x, i64), InvalidArgument);
    }
  }
  CHECK_THROWS_WITH_AS(tensor({std::nan("")}).to_vector<std::int64_t>(), doctest::Contains("cannot convert nan"), InvalidArgument);
  // What int64 holds still converts, truncated toward zero as by to_dtype.
  const Tensor fine = tensor({1.7, -2.5, -0x1.0p63, 0x1.0p62}, f64);
  CHECK(fine.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, std::numeric_limits<std::int64_t>::min(), std::int64_t{1} << 62});
  CHECK(fine.to_vector<std::int64_t>() == to_dtype(fine, i64).to_vector<std::int64_t>());
  // A strided view is checked through its own elements.
  const Tensor t = transpose(tensor({1.0, inf, 2.0, 3.0}, {2, 2}, f64), 0, 1);
  CHECK_THROWS_WITH_AS(t.to_vector<std::int64_t>(), doctest::Contains("cannot convert inf (element 2 of (2, 2) float64)"), InvalidArgument);
}

TEST_CASE("printing shows shape, dtype, values and the op") {
  std::ostringstream out;
  out << tensor({1, 2, 3, 4}, {2, 2});
  CHECK(out.str() == "tensor((2, 2), float32, [[1, 2], [3, 4]])");
  Tensor x = ones({2}).requires_grad_();
  CHECK(x.str().find("requires_grad") != std::string::npos);
  CHECK((x * 2.0).str().find("op=mul") != std::string::npos);
  CHECK(Tensor().str() == "tensor(undefined)");
  // Long axes are elided.
  CHECK(arange(0, 100).str().find("...") != std::string::npos);
}

TEST_CASE("set_grad checks shape and dtype") {
  Tensor x = ones({2, 2}).requires_grad_();
  x.set_grad(ones({2, 2}));
  CHECK(x.grad().numel() == 4);
  CHECK_THROWS_AS(x.set_grad(ones({4})), ShapeError);
}

TEST_CASE("zero-size tensors are valid") {
  const Tensor e = zeros({0, 3});
  CHECK(e.numel() == 0);
  CHECK(sum(e).item() == 0.0);
  CHECK((e + 1.0).shape() == Shape{0, 3});
}

TEST_CASE("zero-size tensors with extents whose product passes int64 (issue 20, defect 12)") {
  // Their contiguous strides multiplied the extents and overflowed int64
  // (UBSan); no element is ever addressed, so no stride may overflow either.
  const std::int64_t big = std::int64_t{1} << 40;
  const Tensor e = zeros({0, big, big, big}, f64);
  CHECK(e.numel() == 0);
  CHECK(Shape({big, big, 0}).numel() == 0);
  CHECK((e + 1.0).shape() == e.shape());
  CHECK(sum(e).item() == 0.0);
  CHECK(sum(e, 1).shape() == Shape{0, big, big});
  CHECK(transpose(e, 0, 3).contiguous().shape() == Shape{big, big, big, 0});
  CHECK(reshape(e, {big, 0, big, big}).shape() == Shape{big, 0, big, big});
  CHECK(e.to_vector<double>().empty());
}

TEST_CASE("Shape's [] counts from the end for a negative axis and refuses one out of range (issue 20, defect 12)") {
  // It read past the extents: garbage for shape()[8] and [-1].
  const Tensor t = zeros({2, 3});
  CHECK(t.shape()[-1] == 3);
  CHECK(t.shape()[-2] == 2);
  for (const int axis : {2, 8, 1000, -3, -1000}) {
    INFO("axis " << axis);
    CHECK_THROWS_WITH_AS(t.shape()[axis], doctest::Contains(("Shape: index " + std::to_string(axis) + " is out of range for rank 2 (2, 3)").c_str()), AxisError);
  }
  CHECK_THROWS_WITH_AS(Shape{}[0], doctest::Contains("Shape: index 0 is out of range for rank 0 ()"), AxisError);
  Shape s{4, 5, 6};
  s[-1] = 7;
  CHECK(s == Shape{4, 5, 7});
  CHECK_THROWS_AS(s[3] = 1, AxisError);
}

TEST_CASE("copy_ overwrites values in place, converting the dtype, and marks the storage modified") {
  Tensor t = zeros({2, 2});
  const Tensor alias_of_t = t;
  t.copy_(tensor({1, 2, 3, 4}, {2, 2}, f64));
  CHECK(alias_of_t.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK(t.dtype() == f32);
  // A VJP that saved t now refuses to run instead of using the new values.
  Tensor w = ones({2, 2}).requires_grad_();
  const Tensor y = sum(w * t);
  t.copy_(zeros({2, 2}));
  CHECK_THROWS_AS(y.backward(), GraphError);
  CHECK_THROWS_WITH_AS(t.copy_(zeros({3})), doctest::Contains("copy_: broadcast_to: cannot broadcast (3,) to (2, 2)"), ShapeError);
  CHECK_THROWS_AS(t.copy_(Tensor()), std::invalid_argument);
  t.copy_(t);  // onto itself: nothing to do
}

TEST_CASE("set_data gives a leaf new values, shape and dtype; every handle sees them") {
  Tensor p = ones({3}).requires_grad_();
  const Tensor handle = p;
  sum(p * 2.0).backward();
  REQUIRE(p.grad().defined());
  p.set_data(tensor({1, 2, 3, 4}, f64));
  CHECK(handle.shape() == Shape{4});
  CHECK(handle.dtype() == f64);
  CHECK(handle.requires_grad());
  CHECK_FALSE(handle.grad().defined());  // the old gradient no longer fits
  sum(handle * handle).backward();
  CHECK(handle.grad().to_vector<double>() == std::vector<double>{2, 4, 6, 8});
  const Tensor not_leaf = p * 2.0;
  CHECK_THROWS_WITH_AS(Tensor(not_leaf).set_data(ones({4}, f64)), doctest::Contains("set_data: the tensor (4,) is the result of 'mul', not a leaf"), GraphError);
  CHECK_THROWS_WITH_AS(p.set_data(zeros({2}, i64)), doctest::Contains("set_data: the tensor requires grad, so its values must be float32 or float64, got int64"), DtypeError);
}

TEST_CASE("the default generator is per thread, seeded with 0, and reseeded by manual_seed") {
  manual_seed(123);
  const std::vector<float> a = randn({4}, default_generator()).to_vector<float>();
  manual_seed(123);
  CHECK(randn({4}, default_generator()).to_vector<float>() == a);
  std::vector<float> in_thread;
  std::thread([&] { in_thread = randn({4}, default_generator()).to_vector<float>(); }).join();
  Generator fresh(0);
  CHECK(in_thread == randn({4}, fresh).to_vector<float>());
}

TEST_CASE("set_num_threads sets BLAS's pool and refuses fewer than one thread") {
  const int before = num_threads();
  set_num_threads(1);
  CHECK(num_threads() == 1);
  set_num_threads(before);
  CHECK_THROWS_WITH_AS(set_num_threads(0), doctest::Contains("set_num_threads: the thread count must be >= 1, got 0"), InvalidArgument);
}
