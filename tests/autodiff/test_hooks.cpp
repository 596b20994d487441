// Gradient hooks (Note [Hooks]): a hook that watches, one that scales, one
// removed before backward, leaf hooks seeing the whole pass's sum once,
// post-accumulate hooks, retain_grad, second order, and the refusals.
#include <doctest/doctest.h>

#include "../support.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

Tensor vec(std::vector<double> v) { return from_vector(v, Shape{static_cast<std::int64_t>(v.size())}, f64); }

}  // namespace

TEST_CASE("a hook on an intermediate sees its gradient and may replace it for everything upstream") {
  Tensor x = vec({1, 2, 3}).requires_grad_();
  Tensor h = x * 2.0;
  std::vector<double> seen;
  h.register_hook([&](const Tensor& g) {
    seen = g.to_vector<double>();
    return g * 10.0;  // scales what reaches x
  });
  sum(h * vec({1, 1, 2})).backward();
  CHECK(seen == std::vector<double>{1, 1, 2});
  check_values(x.grad(), {20, 20, 40});
}

TEST_CASE("a hook that returns nothing keeps the gradient; a removed hook does not run") {
  Tensor x = vec({1, 2}).requires_grad_();
  Tensor h = exp(x);
  int calls = 0;
  RemovableHandle kept = h.register_hook([&](const Tensor&) {
    ++calls;
    return Tensor();
  });
  RemovableHandle removed = h.register_hook([&](const Tensor& g) { return g * 0.0; });
  removed.remove();
  removed.remove();  // twice: nothing
  sum(h).backward();
  CHECK(calls == 1);
  check_values(x.grad(), {std::exp(1.0), std::exp(2.0)});
  kept.remove();
}

TEST_CASE("hooks run in registration order, each on what the one before left") {
  Tensor x = vec({1}).requires_grad_();
  Tensor h = x * 1.0;
  std::vector<double> order;
  h.register_hook([&](const Tensor& g) {
    order.push_back(g.item());
    return g + 1.0;
  });
  h.register_hook([&](const Tensor& g) {
    order.push_back(g.item());
    return g * 3.0;
  });
  sum(h).backward();
  CHECK(order == std::vector<double>{1, 2});
  check_values(x.grad(), {6});
}

TEST_CASE("a leaf's hook runs once, on the gradient summed over every use, before .grad") {
  Tensor w = vec({1, 2}).requires_grad_();
  int calls = 0;
  std::vector<double> seen;
  w.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_vector<double>();
    return g * 2.0;
  });
  const Tensor y = sum(w * 3.0) + sum(w * w) + sum(w);  // three uses
  y.backward();
  CHECK(calls == 1);
  CHECK(seen == std::vector<double>{6, 8});
  check_values(w.grad(), {12, 16});
  // A second backward accumulates the hooked gradient onto the first.
  (sum(w) * 1.0).backward();
  CHECK(calls == 2);
  check_values(w.grad(), {14, 18});
}

TEST_CASE("a post-accumulate hook runs once the leaf's .grad holds this pass's sum") {
  Tensor a = vec({1, 2}).requires_grad_();
  Tensor b = vec({3}).requires_grad_();
  std::vector<std::string> events;
  a.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    events.push_back("a " + std::to_string(leaf.grad().to_vector<double>()[1]));
    CHECK(leaf.impl() == a.impl());
  });
  b.register_post_accumulate_grad_hook([&](const Tensor& leaf) { events.push_back("b " + std::to_string(leaf.grad().item())); });
  // a is used late in the forward pass (early in backward): its hook runs
  // before b's gradient, used by the first op, is complete.
  Tensor h = b * 2.0;
  for (int i = 0; i < 3; ++i) h = tanh(h) * 1.0;
  sum(h * a + a).backward();
  REQUIRE(events.size() == 2);
  CHECK(events[0].rfind("a ", 0) == 0);
  CHECK(events[1].rfind("b ", 0) == 0);
  // tg::grad() writes no .grad, so no post-accumulate hook runs; tensor hooks do.
  int tensor_hook = 0;
  a.register_hook([&](const Tensor&) {
    ++tensor_hook;
    return Tensor();
  });
  const std::vector<Tensor> g = grad(std::vector<Tensor>{sum(a * 2.0)}, std::vector<Tensor>{a});
  check_values(g[0], {2, 2});
  CHECK(tensor_hook == 1);
  CHECK(events.size() == 2);
}

TEST_CASE("retain_grad keeps an intermediate's gradient, after its hooks, summed over passes") {
  Tensor x = vec({1, 2}).requires_grad_();
  Tensor h = x * x;
  CHECK_FALSE(h.retains_grad());
  h.retain_grad();
  CHECK(h.retains_grad());
  h.register_hook([](const Tensor& g) { return g * 2.0; });
  Tensor other = x * 3.0;  // not retained
  const Tensor y = sum(h * vec({1, 3})) + sum(other);
  y.backward({.retain_graph = true});
  check_values(h.grad(), {2, 6});
  CHECK_FALSE(other.grad().defined());
  check_values(x.grad(), {2 * 2 * 1 + 3, 6 * 2 * 2 + 3});
  y.backward();
  check_values(h.grad(), {4, 12});
  x.retain_grad();  // a leaf: nothing to do
  CHECK_FALSE(x.retains_grad());
}

TEST_CASE("hooks under create_graph: a replaced gradient differentiates again") {
  Tensor x = vec({0.5, -1.0}).requires_grad_();
  Tensor h = x * x * x;
  h.register_hook([x](const Tensor& g) { return g * x; });  // d/dx of the hooked first derivative picks x up
  const Tensor first = grad(sum(h), x, {.create_graph = true});  // 3x² · x
  check_values(first, {3 * 0.125, -3.0});
  const Tensor second = grad(sum(first), x);  // 9 x²: the hook is not on this pass's path
  check_values(second, {9 * 0.25, 9.0});
}

TEST_CASE("hook refusals: no gradient to see, a non-leaf for post-accumulate, a replacement of another shape") {
  const Tensor constant = vec({1, 2});
  CHECK_ERROR(GraphError, constant.register_hook([](const Tensor& g) { return g; }), "register_hook", "(2,)", "does not require grad");
  CHECK_ERROR(GraphError, constant.retain_grad(), "retain_grad", "does not require grad");
  Tensor x = vec({1, 2}).requires_grad_();
  CHECK_ERROR(InvalidArgument, x.register_hook(TensorHook()), "register_hook", "empty");
  CHECK_ERROR(InvalidArgument, x.register_post_accumulate_grad_hook(PostAccumulateGradHook()),
              "register_post_accumulate_grad_hook", "empty");
  Tensor h = x * 2.0;
  CHECK_ERROR(GraphError, h.register_post_accumulate_grad_hook([](const Tensor&) {}), "register_post_accumulate_grad_hook", "not a leaf");
  h.register_hook([](const Tensor& g) { return sum(g); });
  CHECK_ERROR(GraphError, sum(h).backward(), "hook", "()", "(2,)", "shape");
}
