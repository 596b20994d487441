// Every user mistake of the core throws an exception whose message names the
// op, the shapes involved and what was expected; errors raised by an op call
// also name the caller's file and line.
#include <doctest/doctest.h>

#include <string>
#include <tapegrad/autodiff/format.hpp>
#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

TEST_CASE("shape mismatch names the op, both shapes and the caller's line") {
  const Tensor a = ones({3, 4}), b = ones({2, 4});
  CHECK_OP_ERROR(ShapeError, a + b, "add", "(3, 4)", "(2, 4)");
}

TEST_CASE("matmul with differing inner dimensions") {
  const Tensor x = ones({32, 784}), w = ones({256, 128});
  CHECK_OP_ERROR(ShapeError, matmul(x, w), "matmul: inner dimensions differ: (32, 784) x (256, 128)");
}

TEST_CASE("an error deep in a model points at the line that built it") {
  auto layer = [](const Tensor& x, const Tensor& w, Site site = Site::current()) { return matmul(x, w, site); };
  const Tensor x = ones({4, 5}), w = ones({6, 2});
  CHECK_OP_ERROR(ShapeError, layer(x, w));  // this line, not the one inside `layer`
}

TEST_CASE("bad axis names the op, the axis and the shape") {
  const Tensor x = ones({2, 3});
  CHECK_OP_ERROR(AxisError, sum(x, 2), "sum", "axis 2", "(2, 3)");
  CHECK_THROWS_AS((void)transpose(x, 0, -3), AxisError);
  CHECK_THROWS_AS((void)x.size(5), AxisError);
}

TEST_CASE("backward of a non-scalar without a seed") {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  const std::string m = thrown<GraphError>([&] { y.backward(); });
  CHECK(contains(m, "backward"));
  CHECK(contains(m, "(2, 3)"));
  CHECK(contains(m, "seed"));
}

TEST_CASE("a seed of the wrong shape") {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  const std::string m = thrown<ShapeError>([&] { y.backward(ones({3, 2})); });
  CHECK(contains(m, "(3, 2)"));
  CHECK(contains(m, "(2, 3)"));
}

TEST_CASE("backward through released records") {
  Tensor x = ones({2}).requires_grad_();
  Tensor h = exp(x);
  Tensor y1 = sum(h);
  Tensor y2 = sum(h * 3.0);
  y1.backward();
  const std::string m = thrown<GraphError>([&] { y2.backward(); });
  CHECK(contains(m, "exp"));
  CHECK(contains(m, "released"));
  CHECK(contains(m, "retain_graph"));
  CHECK(contains(m, "test_errors.cpp"));  // where the released record was made
}

TEST_CASE("backward of a tensor that does not require grad") {
  const Tensor y = sum(ones({2}) * 2.0);
  const std::string m = thrown<GraphError>([&] { y.backward(); });
  CHECK(contains(m, "does not require grad"));
  CHECK(contains(m, "()"));
}

TEST_CASE("grad of an input that does not require grad") {
  Tensor x = ones({2}).requires_grad_();
  Tensor c = ones({3, 1});
  Tensor y = sum(x * 2.0);
  const std::string m = thrown<GraphError>([&] { (void)grad({y}, {c}); });
  CHECK(contains(m, "grad: input 0 (3, 1)"));
  CHECK(contains(m, "does not require grad"));
}

TEST_CASE("mixing float32 and float64") {
  const std::string m = thrown<DtypeError>([&] { (void)(ones({2}) * ones({2}, f64)); });
  CHECK(contains(m, "mul"));
  CHECK(contains(m, "float32"));
  CHECK(contains(m, "float64"));
}

TEST_CASE("requires_grad_ on a non-leaf or an int64 tensor") {
  Tensor x = ones({2}).requires_grad_();
  Tensor y = x * 2.0;
  CHECK(contains(thrown<GraphError>([&] { y.requires_grad_(); }), "not a leaf"));
  Tensor labels = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  CHECK(contains(thrown<DtypeError>([&] { labels.requires_grad_(); }), "int64"));
}

TEST_CASE("an undefined tensor is an error, not a crash") {
  Tensor undefined;
  CHECK_THROWS_AS((void)undefined.shape(), std::logic_error);
  CHECK(contains(thrown<InvalidArgument>([&] { (void)exp(undefined); }), "exp: got an undefined tensor"));
}

TEST_CASE("item of a tensor with several elements") {
  CHECK(contains(thrown<ShapeError>([] { (void)ones({2, 2}).item(); }), "(2, 2)"));
}

TEST_CASE("number_str writes a number as a message quotes it") {
  CHECK(number_str(2.0) == "2");
  CHECK(number_str(0.5) == "0.5");
  CHECK(number_str(1e-5) == "1e-05");
  CHECK(number_str(-1.0 / 3.0) == "-0.333333");
  CHECK(number_str(3.14159, 4) == "3.142");
  CHECK(number_str(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(number_str(-std::numeric_limits<double>::infinity()) == "-inf");
}
