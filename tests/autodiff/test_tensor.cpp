// Tensor as a handle: shape, dtype, values, copies that share, printing.
#include <doctest/doctest.h>

#include <sstream>
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
