// Every way to change a tensor a record saved for its backward pass is seen:
// the VJP refuses to run instead of computing a gradient from the new values
// (Note [Saved tensors] and Note [Saved tensors and set_data] in node.hpp).
#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;
using tg::test::contains;
using tg::test::thrown;

namespace {

// y = sum(x * w): mul saves w for x's gradient and x for w's.
struct Product {
  Tensor x = tensor({3.0, 4.0}, f64).requires_grad_();
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = sum(x * w);
};

}  // namespace

TEST_CASE("set_data with the same shape: the saved weight is seen to change (it used to give x.grad = [100, 200])") {
  Product p;
  p.w.set_data(tensor({100.0, 200.0}, f64));
  const std::string m = thrown<GraphError>([&] { p.y.backward(); });
  check_contains(m, {"'mul'", "set_data()", "(2,)", "run the forward pass again"});
  CHECK_FALSE(p.x.grad().defined());
}

TEST_CASE("set_data with the same shape, storage and version alike: still seen") {
  // The new storage has been written as often as the old one: equal version numbers.
  Tensor x = tensor({3.0, 4.0}, f64).requires_grad_();
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor fresh = tensor({5.0, 6.0}, f64);
  Tensor y = sum(x * w);
  w.mutable_data<double>();  // w's storage at version 1: y's record saved version 0
  fresh.mutable_data<double>();
  const std::string m = thrown<GraphError>([&] { y.backward({.retain_graph = true}); });
  check_contains(m, {"'mul'", "modified in place"});
  w.set_data(fresh);
  check_contains(thrown<GraphError>([&] { y.backward(); }), {"'mul'", "set_data()"});
}

TEST_CASE("set_data with another shape names set_data, not the op's VJP") {
  SUBCASE("the leaf was saved") {
    Product p;
    p.w.set_data(tensor({1.0, 2.0, 3.0}, f64));
    const std::string m = thrown<GraphError>([&] { p.y.backward(); });
    check_contains(m, {"'mul'", "set_data()", "now (3,)"});
    CHECK_FALSE(contains(m, "a bug in"));
  }
  SUBCASE("the leaf was not saved: its gradient no longer fits it") {
    Tensor a = tensor({1.0, 2.0}, f64).requires_grad_();
    Tensor b = tensor({1.0, 2.0}, f64).requires_grad_();
    Tensor y = sum(a + b);  // add saves nothing
    b.set_data(zeros({3}, f64));
    const std::string m = thrown<GraphError>([&] { y.backward(); });
    check_contains(m, {"input 1 of 'add'", "set_data() changed to (3,) float64", "as (2,) float64",
                       "test_saved.cpp"});
    CHECK_FALSE(contains(m, "a bug in"));
  }
  SUBCASE("another dtype") {
    Tensor a = tensor({1.0, 2.0}, f64).requires_grad_();
    Tensor y = sum(a * 2.0);
    a.set_data(zeros({2}, f32));
    check_contains(thrown<GraphError>([&] { y.backward(); }),
                   {"input 0 of 'mul'", "set_data() changed to (2,) float32", "as (2,) float64"});
  }
}

TEST_CASE("set_data of a leaf no VJP reads leaves the gradient right; a new forward pass sees the new values") {
  Tensor a = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor b = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = sum(a + b);
  b.set_data(tensor({7.0, 8.0}, f64));
  y.backward();
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1.0, 1.0});
  Product p;
  p.w.set_data(tensor({100.0, 200.0}, f64));
  sum(p.x * p.w).backward();
  CHECK(p.x.grad().to_vector<double>() == std::vector<double>{100.0, 200.0});
}

TEST_CASE("copy_ into a saved tensor") {
  Product p;
  {
    NoGrad no_grad;  // a leaf that requires grad takes in-place writes only there
    p.w.copy_(tensor({100.0, 200.0}, f64));
  }
  check_contains(thrown<GraphError>([&] { p.y.backward(); }), {"'mul'", "modified in place", "(2,)"});
}

TEST_CASE("a write through mutable_data into a saved tensor") {
  Product p;
  p.w.mutable_data<double>()[1] = 5.0;
  check_contains(thrown<GraphError>([&] { p.y.backward(); }), {"'mul'", "modified in place", "version 0, now 1"});
}

TEST_CASE("a write through another tensor that shares the storage (reshape, detach)") {
  Tensor x = tensor({3.0, 4.0}, f64).requires_grad_();
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = sum(reshape(w, {2, 1}) * reshape(x, {2, 1}));  // mul saves the reshaped aliases
  SUBCASE("through the leaf") { w.mutable_data<double>()[0] = 9.0; }
  SUBCASE("through a detached alias") { w.detach().copy_(zeros({2}, f64)); }
  check_contains(thrown<GraphError>([&] { y.backward(); }), {"'mul'", "modified in place", "(2, 1)"});
}

TEST_CASE("max and min keep their output through a saved tensor: a write into it is seen") {
  for (bool is_max : {true, false}) {
    CAPTURE(is_max);
    Tensor x = tensor({1.0, 5.0, 3.0}, f64).requires_grad_();
    Tensor y = is_max ? max(x) : min(x);
    Tensor loss = y * 2.0;  // mul of a scalar saves nothing
    y.mutable_data<double>()[0] = 3.0;  // the old VJP then sent the gradient to x[2]
    check_contains(thrown<GraphError>([&] { loss.backward(); }),
                   {is_max ? "'max'" : "'min'", "modified in place"});
  }
  // Unchanged, the gradient goes to the extremum.
  Tensor x = tensor({1.0, 5.0, 3.0}, f64).requires_grad_();
  max(x, {0}, true).backward(ones({1}, f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 1.0, 0.0});
}

TEST_CASE("a write into a saved output (exp keeps its result)") {
  Tensor x = tensor({0.0, 1.0}, f64).requires_grad_();
  Tensor y = exp(x);
  Tensor loss = sum(y);
  y.mutable_data<double>()[0] = 0.0;
  check_contains(thrown<GraphError>([&] { loss.backward(); }), {"'exp'", "modified in place"});
}
