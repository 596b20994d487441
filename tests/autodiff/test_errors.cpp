// Every user mistake of the core throws an exception whose message names the
// op, the shapes involved and what was expected; errors raised by an op call
// also name the caller's file and line.
#include <doctest/doctest.h>

#include <string>
#include <tapegrad/tapegrad.hpp>

using namespace tg;

namespace {

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("wrong exception type: " << e.what());
  }
  FAIL("no exception thrown");
  return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("shape mismatch names the op, both shapes and the caller's line") {
  const Tensor a = ones({3, 4}), b = ones({2, 4});
  const int line = __LINE__ + 1;
  const std::string m = message_of<ShapeError>([&] { (void)(a + b); });
  CHECK(has(m, "add"));
  CHECK(has(m, "(3, 4)"));
  CHECK(has(m, "(2, 4)"));
  CHECK(has(m, "test_errors.cpp:" + std::to_string(line)));
}

TEST_CASE("matmul with differing inner dimensions") {
  const Tensor x = ones({32, 784}), w = ones({256, 128});
  const int line = __LINE__ + 1;
  const std::string m = message_of<ShapeError>([&] { (void)matmul(x, w); });
  CHECK(has(m, "matmul: inner dimensions differ: (32, 784) x (256, 128)"));
  CHECK(has(m, "test_errors.cpp:" + std::to_string(line)));
}

TEST_CASE("an error deep in a model points at the line that built it") {
  auto layer = [](const Tensor& x, const Tensor& w, Site site = Site::current()) { return matmul(x, w, site); };
  const Tensor x = ones({4, 5}), w = ones({6, 2});
  const int line = __LINE__ + 1;
  const std::string m = message_of<ShapeError>([&] { (void)layer(x, w); });
  CHECK(has(m, "test_errors.cpp:" + std::to_string(line)));
}

TEST_CASE("bad axis names the op, the axis and the shape") {
  const Tensor x = ones({2, 3});
  const std::string m = message_of<AxisError>([&] { (void)sum(x, 2); });
  CHECK(has(m, "sum"));
  CHECK(has(m, "axis 2"));
  CHECK(has(m, "(2, 3)"));
  CHECK(has(m, "[at "));
  CHECK_THROWS_AS((void)transpose(x, 0, -3), AxisError);
  CHECK_THROWS_AS((void)x.size(5), AxisError);
}

TEST_CASE("backward of a non-scalar without a seed") {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  const std::string m = message_of<GraphError>([&] { y.backward(); });
  CHECK(has(m, "backward"));
  CHECK(has(m, "(2, 3)"));
  CHECK(has(m, "seed"));
}

TEST_CASE("a seed of the wrong shape") {
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  const std::string m = message_of<ShapeError>([&] { y.backward(ones({3, 2})); });
  CHECK(has(m, "(3, 2)"));
  CHECK(has(m, "(2, 3)"));
}

TEST_CASE("backward through released records") {
  Tensor x = ones({2}).requires_grad_();
  Tensor h = exp(x);
  Tensor y1 = sum(h);
  Tensor y2 = sum(h * 3.0);
  y1.backward();
  const std::string m = message_of<GraphError>([&] { y2.backward(); });
  CHECK(has(m, "exp"));
  CHECK(has(m, "released"));
  CHECK(has(m, "retain_graph"));
  CHECK(has(m, "test_errors.cpp"));  // where the released record was made
}

TEST_CASE("backward of a tensor that does not require grad") {
  const Tensor y = sum(ones({2}) * 2.0);
  const std::string m = message_of<GraphError>([&] { y.backward(); });
  CHECK(has(m, "does not require grad"));
  CHECK(has(m, "()"));
}

TEST_CASE("grad of an input that does not require grad") {
  Tensor x = ones({2}).requires_grad_();
  Tensor c = ones({3, 1});
  Tensor y = sum(x * 2.0);
  const std::string m = message_of<GraphError>([&] { (void)grad({y}, {c}); });
  CHECK(has(m, "grad: input 0 (3, 1)"));
  CHECK(has(m, "does not require grad"));
}

TEST_CASE("mixing float32 and float64") {
  const std::string m = message_of<DtypeError>([&] { (void)(ones({2}) * ones({2}, f64)); });
  CHECK(has(m, "mul"));
  CHECK(has(m, "float32"));
  CHECK(has(m, "float64"));
}

TEST_CASE("requires_grad_ on a non-leaf or an int64 tensor") {
  Tensor x = ones({2}).requires_grad_();
  Tensor y = x * 2.0;
  CHECK(has(message_of<GraphError>([&] { y.requires_grad_(); }), "not a leaf"));
  Tensor labels = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  CHECK(has(message_of<DtypeError>([&] { labels.requires_grad_(); }), "int64"));
}

TEST_CASE("an undefined tensor is an error, not a crash") {
  Tensor undefined;
  CHECK_THROWS_AS((void)undefined.shape(), std::logic_error);
  CHECK(has(message_of<InvalidArgument>([&] { (void)exp(undefined); }), "exp: got an undefined tensor"));
}

TEST_CASE("item of a tensor with several elements") {
  CHECK(has(message_of<ShapeError>([] { (void)ones({2, 2}).item(); }), "(2, 2)"));
}
