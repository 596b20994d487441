// The tape: what records, what backward does with the records, and what it
// releases.
#include <doctest/doctest.h>

#include <cmath>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;

namespace {
double grad_at(const Tensor& t, std::size_t i = 0) { return t.grad().to_vector<double>().at(i); }
}  // namespace

TEST_CASE("a scalar loss seeds 1 and fills the leaves' grads") {
  Tensor x = tensor({2.0, 3.0}, f64).requires_grad_();
  Tensor y = sum(x * x);  // dy/dx = 2x
  y.backward();
  CHECK(grad_at(x, 0) == doctest::Approx(4.0));
  CHECK(grad_at(x, 1) == doctest::Approx(6.0));
}

TEST_CASE("recording happens only when some input requires grad") {
  Tensor a = ones({2});
  Tensor b = ones({2});
  CHECK_FALSE((a + b).requires_grad());
  CHECK((a + b).is_leaf());
  b.requires_grad_();
  Tensor c = a + b;
  CHECK(c.requires_grad());
  CHECK_FALSE(c.is_leaf());
  CHECK(c.op_name() == "add");
}

TEST_CASE("NoGrad turns recording off and restores it") {
  Tensor x = ones({2}).requires_grad_();
  {
    NoGrad guard;
    CHECK_FALSE(is_grad_enabled());
    CHECK_FALSE((x * 2.0).requires_grad());
    {
      EnableGrad inner;
      CHECK((x * 2.0).requires_grad());
    }
    CHECK_FALSE(is_grad_enabled());
  }
  CHECK(is_grad_enabled());
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("a diamond accumulates both paths") {
  Tensor x = scalar(3.0, f64).requires_grad_();
  Tensor a = x * 2.0;   // used twice below
  Tensor y = a * a + a;  // y = 4x² + 2x, dy/dx = 8x + 2 = 26
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(26.0));
}

TEST_CASE("a leaf used twice in one op gets both contributions") {
  Tensor x = tensor({1.5, -2.0}, f64).requires_grad_();
  sum(x * x).backward();
  CHECK(grad_at(x, 0) == doctest::Approx(3.0));
  CHECK(grad_at(x, 1) == doctest::Approx(-4.0));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  Tensor x = tensor({1.0}, f64).requires_grad_();
  sum(x * 3.0).backward();
  sum(x * 3.0).backward();
  CHECK(grad_at(x) == doctest::Approx(6.0));
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  sum(x * 5.0).backward();
  CHECK(grad_at(x) == doctest::Approx(5.0));
}

TEST_CASE("a leaf's grad does not alias another leaf's grad") {
  // add's VJP passes the incoming gradient through to both inputs; each leaf
  // must still own its buffer, or accumulating into one would change the other.
  Tensor a = tensor({1.0}, f64).requires_grad_();
  Tensor b = tensor({1.0}, f64).requires_grad_();
  sum(a + b).backward();
  sum(a * 10.0).backward();
  CHECK(grad_at(a) == doctest::Approx(11.0));
  CHECK(grad_at(b) == doctest::Approx(1.0));
}

TEST_CASE("a non-scalar output takes an explicit seed") {
  Tensor x = tensor({1.0, 2.0, 3.0}, f64).requires_grad_();
  Tensor y = x * x;
  y.backward(tensor({1.0, 0.0, 2.0}, f64));
  CHECK(grad_at(x, 0) == doctest::Approx(2.0));
  CHECK(grad_at(x, 1) == doctest::Approx(0.0));
  CHECK(grad_at(x, 2) == doctest::Approx(12.0));
}

TEST_CASE("backward releases the records; retain_graph keeps them for a second pass") {
  Tensor x = tensor({2.0}, f64).requires_grad_();
  const auto before = tape_stats().live_records;
  Tensor y = sum(exp(x) * x);
  CHECK(tape_stats().live_records > before);
  y.backward({.retain_graph = true});
  CHECK(tape_stats().live_records > before);
  const double first = grad_at(x);
  y.backward();
  CHECK(grad_at(x) == doctest::Approx(2 * first));
  CHECK(tape_stats().live_records == before);
  CHECK_THROWS_AS(y.backward(), GraphError);
}

TEST_CASE("1,000 training steps leave the tape where it started") {
  Generator gen(7);
  Tensor w = randn({8, 4}, gen).requires_grad_();
  Tensor b = zeros({4}).requires_grad_();
  const Tensor x = randn({16, 8}, gen);
  const Tensor target = randn({16, 4}, gen);
  const auto start = tape_stats().live_records;
  for (int step = 0; step < 1000; ++step) {
    Tensor err = tanh(matmul(x, w) + b) - target;
    Tensor loss = mean(err * err);
    loss.backward();
    REQUIRE(tape_stats().live_records == start);
    NoGrad no_grad;
    float* pw = w.mutable_data<float>();
    const float* gw = w.grad().data<float>();
    for (std::int64_t i = 0; i < w.numel(); ++i) pw[i] -= 0.05f * gw[i];
    w.zero_grad();
    b.zero_grad();
  }
  CHECK(tape_stats().live_records == start);
}

TEST_CASE("dropping an unused graph frees its records") {
  Tensor x = ones({3}).requires_grad_();
  const auto before = tape_stats().live_records;
  {
    Tensor y = exp(x) * 2.0 + 1.0;
    CHECK(tape_stats().live_records == before + 3);
  }
  CHECK(tape_stats().live_records == before);
}

TEST_CASE("a 100,000-op chain differentiates and is destroyed without recursion") {
  Tensor x = scalar(1.0, f64).requires_grad_();
  const auto before = tape_stats().live_records;
  {
    Tensor h = x;
    for (int i = 0; i < 100000; ++i) h = h * 1.00001;
    CHECK(tape_stats().live_records == before + 100000);
    h.backward();
    CHECK(x.grad().item() == doctest::Approx(std::pow(1.00001, 100000)).epsilon(1e-9));
  }
  CHECK(tape_stats().live_records == before);
  // Built and dropped without any backward: destruction alone must not recurse.
  {
    Tensor h = x;
    for (int i = 0; i < 100000; ++i) h = tanh(h) + 0.5;
  }
  CHECK(tape_stats().live_records == before);
}

TEST_CASE("grad() returns gradients without touching .grad") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor w = tensor({3.0, 4.0}, f64).requires_grad_();
  Tensor y = sum(x * w);
  auto g = grad({y}, {x, w});
  CHECK(g[0].to_vector<double>() == std::vector<double>{3.0, 4.0});
  CHECK(g[1].to_vector<double>() == std::vector<double>{1.0, 2.0});
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("grad() with respect to an intermediate tensor") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor h = x * 3.0;
  Tensor y = sum(h * h);  // dy/dh = 2h = 6x
  Tensor gh = grad(y, h);
  CHECK(gh.to_vector<double>() == std::vector<double>{6.0, 12.0});
}

TEST_CASE("grad() of unused inputs: an error, or zeros when allowed") {
  Tensor x = tensor({1.0}, f64).requires_grad_();
  Tensor unused = tensor({1.0}, f64).requires_grad_();
  Tensor y = sum(x * 2.0);
  CHECK_THROWS_AS(grad({y}, {unused}, {}, {.retain_graph = true}), GraphError);
  auto g = grad({y}, {x, unused}, {}, {.allow_unused = true});
  CHECK(g[1].to_vector<double>() == std::vector<double>{0.0});
}

TEST_CASE("several outputs, each with its seed") {
  Tensor x = tensor({2.0}, f64).requires_grad_();
  Tensor a = x * x;      // 2x = 4
  Tensor b = x * 10.0;   // 10
  auto g = grad({a, b}, {x}, {tensor({1.0}, f64), tensor({0.5}, f64)});
  CHECK(g[0].item() == doctest::Approx(9.0));
}

TEST_CASE("detach cuts the graph and shares the values") {
  Tensor x = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.to_vector<double>() == y.to_vector<double>());
  Tensor z = sum(y * d);  // d is a constant: dz/dx = 2d = 4x
  z.backward();
  CHECK(grad_at(x, 1) == doctest::Approx(8.0));
}

TEST_CASE("float32 and float64 both differentiate") {
  for (Dtype dtype : {f32, f64}) {
    Tensor x = tensor({0.5}, dtype).requires_grad_();
    sum(sigmoid(x)).backward();
    CHECK(x.grad().dtype() == dtype);
    const double s = 1.0 / (1.0 + std::exp(-0.5));
    CHECK(x.grad().item() == doctest::Approx(s * (1 - s)).epsilon(1e-6));
  }
}

TEST_CASE("an exception inside a VJP leaves the graph usable") {
  // A seed of the wrong dtype is refused before any record runs.
  Tensor x = tensor({1.0}, f64).requires_grad_();
  Tensor y = x * 2.0;
  CHECK_THROWS_AS(y.backward(tensor({1.0}, f32)), ShapeError);
  y.backward(tensor({1.0}, f64));
  CHECK(x.grad().item() == doctest::Approx(2.0));
}

TEST_CASE("a saved tensor modified in place refuses to be differentiated through") {
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor x = tensor({3.0, 4.0}, f64);
  Tensor y = sum(w * x);  // mul saves x: w's gradient reads it
  y.backward({.retain_graph = true});
  x.mutable_data<double>()[0] = 10.0;  // an in-place write between two backward passes
  std::string message;
  try {
    y.backward();
  } catch (const GraphError& e) {
    message = e.what();
  }
  CHECK(message.find("'mul'") != std::string::npos);
  CHECK(message.find("modified in place") != std::string::npos);
  CHECK(message.find("(2,)") != std::string::npos);
  // Reading is not writing.
  Tensor z = sum(exp(x) * w);
  (void)x.data<double>();
  (void)z.item();
  z.backward();
  CHECK(w.grad().defined());
}

TEST_CASE("writes to what a VJP does not read are harmless") {
  Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  Tensor x = tensor({3.0, 4.0}, f64);
  Tensor y = sum(w * x);  // only w requires grad: mul keeps x, not w
  w.mutable_data<double>()[0] = 10.0;
  y.backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{3.0, 4.0});
}

TEST_CASE("an op that saved nothing it reads is indifferent to later writes") {
  Tensor a = tensor({1.0}, f64).requires_grad_();
  Tensor b = tensor({2.0}, f64).requires_grad_();
  Tensor y = sum(a + b);  // add's VJP reads no input
  b.mutable_data<double>()[0] = 5.0;
  y.backward();
  CHECK(a.grad().item() == 1.0);
}

// Note [Accumulating in place]: slices of one tensor and a weight used in
// several products add their gradients into the sum already there. The
// sums must equal what backward() gives without that (create_graph), what
// grad() captures, and the hand-derived values.
TEST_CASE("gradients summed in place: overlapping slices and a weight used at every step") {
  Generator gen(7);
  const Tensor x0 = randn({3, 9}, gen, f64), w0 = randn({4, 4}, gen, f64), h0 = randn({3, 4}, gen, f64);
  auto loss_of = [&](const Tensor& x, const Tensor& w) {
    Tensor h = h0;
    const Tensor doubled = x * 2.0;  // slices of a record's output, and of a leaf
    for (int t = 0; t < 3; ++t) {
      h = tanh(matmul(h, w) + slice(x, 1, 2 * t, 2 * t + 4) + slice(doubled, 1, 2 * t + 1, 2 * t + 5));  // windows overlap
    }
    return sum(h * h);
  };
  Tensor x = x0.detach(), w = w0.detach();
  x.requires_grad_();
  w.requires_grad_();
  loss_of(x, w).backward();
  // A recorded backward sums nothing in place (grad(), so that no .grad
  // holds a graph of its own leaf).
  const std::vector<Tensor> recorded = grad({loss_of(x, w)}, {x, w}, {}, {.create_graph = true});
  const std::vector<Tensor> captured = grad({loss_of(x, w)}, {x, w});
  for (auto [got, want] : {std::pair{x.grad(), recorded[0]}, std::pair{w.grad(), recorded[1]},
                           std::pair{captured[0], recorded[0]}, std::pair{captured[1], recorded[1]}}) {
    const std::vector<double> g = got.to_vector<double>(), r = want.to_vector<double>();
    REQUIRE(g.size() == r.size());
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(r[i]).epsilon(1e-12));
  }
  CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& xi, Tensor& wi) { return loss_of(xi, wi); }, {x0, w0}));
  // A second backward adds to .grad in place: twice the first.
  const std::vector<double> once = w.grad().to_vector<double>();
  loss_of(x, w).backward();
  const std::vector<double> twice = w.grad().to_vector<double>();
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]).epsilon(1e-12));
}
