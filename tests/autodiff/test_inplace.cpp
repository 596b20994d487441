// In-place ops (Note [In-place ops]): for each, the values and the gradients
// equal the out-of-place form's, on a tensor in the graph and through a
// view of one (first and second order), and every refusal names the op, the
// shape and the caller's line.
#include <doctest/doctest.h>

#include <functional>

#include "../support.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// An in-place op applied to `t` with a (4,) operand `w`, and the
// out-of-place expression it must equal.
struct InPlaceCase {
  const char* name;
  std::function<void(Tensor& t, const Tensor& w)> in_place;
  std::function<Tensor(const Tensor& t, const Tensor& w)> out_of_place;
};

Tensor index_14() { return to_dtype(from_vector(std::vector<double>{2, 0}, Shape{2}, f64), i64); }

const std::vector<InPlaceCase>& cases() {
  static const std::vector<InPlaceCase> all = {
      {"add_", [](Tensor& t, const Tensor& w) { t.add_(w, 0.5); }, [](const Tensor& t, const Tensor& w) { return t + w * 0.5; }},
      {"add_ scalar", [](Tensor& t, const Tensor&) { t.add_(2.0); }, [](const Tensor& t, const Tensor&) { return t + 2.0; }},
      {"sub_", [](Tensor& t, const Tensor& w) { t.sub_(w); }, [](const Tensor& t, const Tensor& w) { return t - w; }},
      {"sub_ scalar", [](Tensor& t, const Tensor&) { t.sub_(2.0); }, [](const Tensor& t, const Tensor&) { return t - 2.0; }},
      {"mul_", [](Tensor& t, const Tensor& w) { t.mul_(w); }, [](const Tensor& t, const Tensor& w) { return t * w; }},
      {"mul_ scalar", [](Tensor& t, const Tensor&) { t.mul_(3.0); }, [](const Tensor& t, const Tensor&) { return t * 3.0; }},
      {"div_", [](Tensor& t, const Tensor& w) { t.div_(w + 3.0); }, [](const Tensor& t, const Tensor& w) { return t / (w + 3.0); }},
      {"div_ scalar", [](Tensor& t, const Tensor&) { t.div_(4.0); }, [](const Tensor& t, const Tensor&) { return t / 4.0; }},
      {"pow_", [](Tensor& t, const Tensor& w) { t.add_(3.0).pow_(w); }, [](const Tensor& t, const Tensor& w) { return pow(t + 3.0, w); }},
      {"pow_ scalar", [](Tensor& t, const Tensor&) { t.pow_(3.0); }, [](const Tensor& t, const Tensor&) { return pow(t, 3.0); }},
      {"neg_", [](Tensor& t, const Tensor&) { t.neg_(); }, [](const Tensor& t, const Tensor&) { return -t; }},
      {"exp_", [](Tensor& t, const Tensor&) { t.exp_(); }, [](const Tensor& t, const Tensor&) { return exp(t); }},
      {"clamp_", [](Tensor& t, const Tensor&) { t.clamp_(-0.5, 0.7); }, [](const Tensor& t, const Tensor&) { return clamp(t, -0.5, 0.7); }},
      {"relu_", [](Tensor& t, const Tensor&) { t.relu_(); }, [](const Tensor& t, const Tensor&) { return relu(t); }},
      {"sigmoid_", [](Tensor& t, const Tensor&) { t.sigmoid_(); }, [](const Tensor& t, const Tensor&) { return sigmoid(t); }},
      {"tanh_", [](Tensor& t, const Tensor&) { t.tanh_(); }, [](const Tensor& t, const Tensor&) { return tanh(t); }},
      {"zero_", [](Tensor& t, const Tensor&) { t.zero_(); }, [](const Tensor& t, const Tensor&) { return zeros_like(t); }},
      {"fill_ scalar", [](Tensor& t, const Tensor&) { t.fill_(1.5); }, [](const Tensor& t, const Tensor&) { return full(t.shape(), 1.5, t.dtype()); }},
      {"fill_ tensor", [](Tensor& t, const Tensor& w) { t.fill_(select(w, 0, 1)); },
       [](const Tensor& t, const Tensor& w) { return zeros_like(t) + select(w, 0, 1); }},
      {"copy_", [](Tensor& t, const Tensor& w) { t.copy_(w); }, [](const Tensor& t, const Tensor& w) { return zeros_like(t) + w; }},
      {"masked_fill_ scalar", [](Tensor& t, const Tensor&) { t.masked_fill_(gt(t, scalar(0.0, f64)), -1.0); },
       [](const Tensor& t, const Tensor&) { return where(gt(t, scalar(0.0, f64)), scalar(-1.0, f64), t); }},
      {"masked_fill_ tensor", [](Tensor& t, const Tensor& w) { t.masked_fill_(gt(t, scalar(0.0, f64)), select(w, 0, 0)); },
       [](const Tensor& t, const Tensor& w) { return where(gt(t, scalar(0.0, f64)), select(w, 0, 0), t); }},
      {"index_add_", [](Tensor& t, const Tensor& w) { t.index_add_(1, index_14(), reshape(w, {t.size(0), 2}), 2.0); },
       [](const Tensor& t, const Tensor& w) { return index_add(t, 1, index_14(), reshape(w, {t.size(0), 2}), 2.0); }},
      {"index_put_", [](Tensor& t, const Tensor& w) { t.index_put_({index_14()}, w); },
       [](const Tensor& t, const Tensor& w) { return index_put(t, {index_14()}, w); }},
      {"index_put_ accumulate", [](Tensor& t, const Tensor& w) { t.index_put_({index_14()}, w, true); },
       [](const Tensor& t, const Tensor& w) { return index_put(t, {index_14()}, w, true); }},
      {"+=", [](Tensor& t, const Tensor& w) { t += w; }, [](const Tensor& t, const Tensor& w) { return t + w; }},
      {"-= scalar", [](Tensor& t, const Tensor&) { t -= 2; }, [](const Tensor& t, const Tensor&) { return t - 2.0; }},
      {"*=", [](Tensor& t, const Tensor& w) { t *= w; }, [](const Tensor& t, const Tensor& w) { return t * w; }},
      {"/= scalar", [](Tensor& t, const Tensor&) { t /= 4.0; }, [](const Tensor& t, const Tensor&) { return t / 4.0; }},
  };
  return all;
}

// The operand's shape per case: index_add_'s source is (rows, 2), the rest
// broadcast a (4,) operand over the rows.
Shape operand_shape(const std::string& name, std::int64_t rows) {
  return name == "index_add_" ? Shape{rows * 2} : Shape{4};
}

}  // namespace

TEST_CASE("each in-place op gives the out-of-place form's values, in the tensor and through a view") {
  Generator gen(11);
  for (const InPlaceCase& c : cases()) {
    INFO(std::string(c.name));
    const Tensor x = randn({3, 4}, gen, f64);
    const Tensor w = randn(operand_shape(c.name, 3), gen, f64);
    Tensor t = x.clone();
    c.in_place(t, w);
    check_values(t, c.out_of_place(x, w).to_vector<double>());

    // Through a row of a base: only that row changes, and the base sees it.
    const Tensor wide = randn({5, 3, 4}, gen, f64);
    Tensor base = wide.clone();
    Tensor row = select(base, 0, 2);
    c.in_place(row, w);
    const Tensor expected = concat({slice(wide, 0, 0, 2), unsqueeze(c.out_of_place(select(wide, 0, 2), w), 0), slice(wide, 0, 3, 5)}, 0);
    check_values(base, expected.to_vector<double>());
  }
}

TEST_CASE("each in-place op's gradient equals the out-of-place form's: float64 gradcheck, first and second order") {
  Generator gen(5);
  for (const InPlaceCase& c : cases()) {
    INFO(std::string(c.name));
    // On a tensor in the graph (x * 1 is not a leaf), then through a
    // transposed slice of one (CopySlices), the result read through the base.
    auto on_tensor = [&](const std::vector<Tensor>& in) {
      Tensor t = in[0] * 1.0;
      c.in_place(t, in[1]);
      return sin(t);
    };
    auto through_view = [&](const std::vector<Tensor>& in) {
      Tensor base = in[0] * 1.0;                          // (4, 3, 4)
      Tensor window = transpose(slice(base, 0, 1, 4), 0, 1);  // (3, 3, 4) -> rows of it
      Tensor row = select(window, 0, 1);                  // (3, 4), strided
      c.in_place(row, in[1]);
      return sin(base) * 2.0;
    };
    const Tensor x = randn({3, 4}, gen, f64), x3 = randn({4, 3, 4}, gen, f64);
    const Tensor w = randn(operand_shape(c.name, 3), gen, f64);
    const GradcheckOptions loose{.atol = 1e-6, .rtol = 1e-4};
    CHECK_GRADCHECK(gradcheck(on_tensor, {x, w}, loose));
    CHECK_GRADCHECK(gradcheck(through_view, {x3, w}, loose));
    const Tensor seed = randn({3, 4}, gen, f64), seed3 = randn({4, 3, 4}, gen, f64);
    CHECK_GRADCHECK(gradcheck(
        [&](const std::vector<Tensor>& in) {
          std::vector<Tensor> g = grad({sum(on_tensor(in) * seed)}, in, {}, {.create_graph = true, .allow_unused = true});
          return g[0].defined() ? sum(g[0] * g[0]) : sum(in[0] * 0.0);
        },
        {x, w}, loose));
    CHECK_GRADCHECK(gradcheck(
        [&](const std::vector<Tensor>& in) {
          std::vector<Tensor> g = grad({sum(through_view(in) * seed3)}, in, {}, {.create_graph = true, .allow_unused = true});
          return sum(g[0] * g[0]);
        },
        {x3, w}, loose));

    // The gradients themselves against the out-of-place form's.
    Tensor a = x.detach().requires_grad_(), b = w.detach().requires_grad_();
    Tensor t = a * 1.0;
    c.in_place(t, b);
    sum(sin(t)).backward();
    Tensor a2 = x.detach().requires_grad_(), b2 = w.detach().requires_grad_();
    const Tensor loss = sum(sin(c.out_of_place(a2 * 1.0, b2)));
    if (!loss.requires_grad()) {  // zero_, fill_: the old values get a zero gradient
      check_values(a.grad(), std::vector<double>(12, 0.0));
      continue;
    }
    loss.backward();
    CHECK(a.grad().defined() == a2.grad().defined());
    if (a2.grad().defined()) check_values(a.grad(), a2.grad().to_vector<double>());
    CHECK(b.grad().defined() == b2.grad().defined());
    if (b2.grad().defined()) check_values(b.grad(), b2.grad().to_vector<double>());
  }
}

TEST_CASE("a base and its views share one version counter, bumped by every in-place op") {
  Tensor x = zeros({2, 3}, f64);
  Tensor v = slice(x, 1, 0, 2);
  const auto before = x._version();
  v.add_(1.0);
  CHECK(x._version() == before + 1);
  CHECK(v._version() == x._version());
  x.zero_();
  CHECK(v._version() == before + 2);
  CHECK(clone(x)._version() == 0);
}

TEST_CASE("a view made before an in-place write through another view gets the new history") {
  Tensor x = from_vector(std::vector<double>{1, 2, 3, 4}, Shape{2, 2}, f64).requires_grad_();
  Tensor b = x * 1.0;
  Tensor first = select(b, 0, 0);
  Tensor again = select(b, 0, 0);  // the same window, made before the write
  first.mul_(3.0);
  sum(again).backward();
  check_values(x.grad(), {3, 3, 0, 0});
  check_values(again, {3, 6});

  // The base itself, read after a write through its view.
  Tensor y = from_vector(std::vector<double>{1, 2, 3, 4}, Shape{2, 2}, f64).requires_grad_();
  Tensor c = y * 2.0;
  select(c, 1, 1).mul_(full({2}, 5.0, f64));
  sum(c).backward();
  check_values(y.grad(), {2, 10, 2, 10});

  // A view of a tensor that did not require grad until the write gave it history.
  Tensor w = from_vector(std::vector<double>{7, 8}, Shape{2}, f64).requires_grad_();
  Tensor d = zeros({2, 2}, f64);
  Tensor col = select(d, 1, 0);
  select(d, 0, 1).copy_(w);
  CHECK(col.requires_grad());
  sum(d * d).backward();
  check_values(w.grad(), {14, 16});
}

TEST_CASE("under NoGrad a leaf that requires grad takes in-place updates, as an optimizer step") {
  Tensor p = ones({3}, f64).requires_grad_();
  {
    NoGrad no_grad;
    p.sub_(from_vector(std::vector<double>{1, 2, 3}, Shape{3}, f64), 0.5);
    select(p, 0, 2).fill_(9.0);
  }
  check_values(p, {0.5, 0.0, 9.0});
  CHECK(p.is_leaf());
  CHECK(p.requires_grad());
}

TEST_CASE("in-place refusals name the op, the shape and the caller's line") {
  Tensor leaf = ones({2, 3}, f64).requires_grad_();
  CHECK_OP_ERROR(GraphError, leaf.add_(1.0), "add_", "(2, 3)", "leaf that requires grad", "NoGrad");
  CHECK_OP_ERROR(GraphError, select(leaf, 0, 1).mul_(2.0), "mul_", "view of a leaf (2, 3)");
  CHECK_OP_ERROR(GraphError, leaf += leaf, "add_", "leaf");

  // A saved tensor changed in place: the backward pass refuses, naming the op.
  Tensor x = ones({2, 3}, f64).requires_grad_();
  Tensor y = x * 2.0;
  Tensor z = sin(y);  // saves y
  y.add_(1.0);
  CHECK_THROWS_WITH_AS(sum(z).backward(), doctest::Contains("sin"), std::runtime_error);
  CHECK_THROWS_WITH_AS(sum(z).backward(), doctest::Contains("modified in place"), std::runtime_error);

  // An operand saved by the op before the write: mul(a, b) keeps both.
  Tensor a = ones({3}, f64).requires_grad_();
  Tensor data = full({3}, 2.0, f64);
  Tensor product = a * data;
  data.mul_(5.0);
  CHECK_THROWS_WITH_AS(sum(product).backward(), doctest::Contains("modified in place"), std::runtime_error);

  // Elements shared by several positions.
  Tensor row = zeros({3}, f64);
  CHECK_OP_ERROR(InvalidArgument, expand(row, {2, 3}).add_(1.0), "add_", "(2, 3)", "expanded axis", "clone()");

  // Operands that broadcast beyond the tensor, or another dtype.
  Tensor small = zeros({3}, f64);
  CHECK_OP_ERROR(ShapeError, small.add_(ones({2, 3}, f64)), "add_", "(2, 3)", "(3,)");
  CHECK_OP_ERROR(DtypeError, small.mul_(ones({3}, f32)), "mul_");
  CHECK_OP_ERROR(InvalidArgument, small.fill_(ones({2}, f64)), "fill_", "one element");

  // A view of a non-contiguous base, under autograd.
  Tensor w = ones({3, 2}, f64).requires_grad_();
  Tensor transposed = transpose(w * 1.0, 0, 1).detach();  // a root with strides (1, 2)
  CHECK_OP_ERROR(InvalidArgument, select(transposed, 0, 0).mul_(sum(w, {0}) * 1.0), "mul_", "non-contiguous", "clone()");
  CHECK_OP_ERROR(std::invalid_argument, Tensor().add_(1.0), "add_");
  // A result of another dtype than the tensor written (fill_ does not convert).
  CHECK_OP_ERROR(DtypeError, small.fill_(scalar(1.0, f32)), "fill_", "float32", "float64", "written in place");
  CHECK_THROWS_AS((void)Tensor()._version(), std::logic_error);

  // A view of a non-contiguous root whose history an in-place op rewrote
  // through the root itself: the view's record cannot be rebuilt.
  Tensor root = transpose(ones({3, 2}, f64) * 1.0, 0, 1).detach();  // strides (1, 2)
  Tensor early = select(root, 0, 0);
  root.mul_(ones({3}, f64).requires_grad_() * 2.0);
  CHECK_ERROR(GraphError, (void)early.requires_grad(), "non-contiguous", "(2, 3)", "clone()");
}

TEST_CASE("index_put_ with repeated positions: accumulate adds them, and the gradient reaches each value") {
  Tensor x = zeros({3, 2}, f64);
  const Tensor rows = to_dtype(from_vector(std::vector<double>{0, 2, 0}, Shape{3}, f64), i64);
  Tensor v = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, Shape{3, 2}, f64).requires_grad_();
  Tensor y = x * 1.0;
  y.index_put_({rows}, v, true);
  check_values(y, {6, 8, 0, 0, 3, 4});
  sum(y * y).backward();
  check_values(v.grad(), {12, 16, 6, 8, 12, 16});
  // Two index tensors broadcast together; a negative index counts from the end.
  Tensor z = zeros({2, 3}, f64);
  z.index_put_({to_dtype(from_vector(std::vector<double>{1}, Shape{1}, f64), i64),
                to_dtype(from_vector(std::vector<double>{-1, 0}, Shape{2}, f64), i64)},
               scalar(7.0, f64));
  check_values(z, {0, 0, 0, 7, 0, 7});
  CHECK_OP_ERROR(AxisError, z.index_put_({to_dtype(from_vector(std::vector<double>{3}, Shape{1}, f64), i64)}, scalar(1.0, f64)), "index_put", "out of range", "(2, 3)");
}

TEST_CASE("the README's example: in place through a view, a hook, an update under NoGrad") {
  Generator gen(1);
  const Tensor x = randn({4, 2}, gen, f64);
  tg::Tensor w = tg::randn({3, 4}, gen, tg::f64).requires_grad_();
  tg::Tensor h = w.matmul(x) * 2.0;
  h.slice(0, 0, 2).mul_(0.5);
  h.register_hook([](const tg::Tensor& g) { return g.clamp(-1, 1); });
  h.relu().sum().backward();
  // The same gradient from the out-of-place form: rows 0-1 of 2 w x halved.
  Tensor w2 = w.detach().requires_grad_();
  const Tensor scale = from_vector(std::vector<double>{0.5, 0.5, 1.0}, Shape{3, 1}, f64);
  sum(relu(matmul(w2, x) * 2.0 * scale)).backward();
  check_values(w.grad(), w2.grad().to_vector<double>());
  const std::vector<double> before = w.to_vector<double>(), g = w.grad().to_vector<double>();
  {
    tg::NoGrad no_grad;
    w.sub_(w.grad(), 0.1);
  }
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(w.to_vector<double>()[i] == doctest::Approx(before[i] - 0.1 * g[i]));
  // Writing h2 after sin saved it: the next backward refuses (relu keeps its output, not h2).
  Tensor h2 = w2 * 1.0;
  const Tensor r = h2.sin();
  h2.mul_(2.0);
  CHECK_THROWS_WITH_AS(sum(r).backward(), doctest::Contains("modified in place"), GraphError);
}
