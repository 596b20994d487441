// gradcheck itself: it passes correct gradients, catches wrong ones, and its
// report names the input, the element, both values and the error.
#include <doctest/doctest.h>

#include <sstream>
#include <tapegrad/tapegrad.hpp>

using namespace tg;

namespace {

// A deliberately wrong "custom op": the forward is x², but the gradient is
// 3x (instead of 2x), computed with a detach trick that swaps the gradient.
Tensor wrong_square(const Tensor& x) {
  Tensor right = x * x;
  Tensor wrong_path = x * x.detach() * 3.0;  // gradient 3x
  return right.detach() + wrong_path - wrong_path.detach();
}

}  // namespace

TEST_CASE("a correct custom loss passes in one line") {
  Generator gen(42);
  const Tensor logits = randn({4, 10}, gen, f64);
  const Tensor labels = from_vector(std::vector<std::int64_t>{1, 0, 9, 3}, {4});
  auto focal = [&](const Tensor& z) {
    Tensor logp = z - logsumexp(z, -1, true);
    Tensor logp_t = gather(logp, -1, labels);
    return mean(-(pow(1.0 - exp(logp_t), 2.0) * logp_t));
  };
  GradcheckReport report = gradcheck([&](Tensor& z) { return focal(z); }, {logits});
  INFO(report);
  CHECK(report.ok());
  CHECK(report.entries.size() == 1);
  CHECK(report.entries[0].abs_error < 1e-8);
}

TEST_CASE("a wrong gradient is caught and located") {
  const Tensor x = tensor({0.5, -1.0, 2.0}, f64);
  GradcheckReport report = gradcheck([](Tensor& v) { return sum(wrong_square(v)); }, {x});
  CHECK_FALSE(report.ok());
  const GradcheckEntry& e = report.entries.at(0);
  CHECK(e.failures == 3);
  // The worst element is the largest |x|: analytic 3x = 6, numeric 2x = 4.
  CHECK(e.worst_index == 2);
  CHECK(e.worst_position == std::vector<std::int64_t>{2});
  CHECK(e.analytic == doctest::Approx(6.0));
  CHECK(e.numeric == doctest::Approx(4.0).epsilon(1e-6));
  CHECK(e.abs_error == doctest::Approx(2.0).epsilon(1e-5));
  std::ostringstream out;
  out << report;
  CHECK(out.str().find("FAILED") != std::string::npos);
  CHECK(out.str().find("input 0") != std::string::npos);
  CHECK(out.str().find("[2]") != std::string::npos);
}

TEST_CASE("several inputs, names, and non-scalar outputs") {
  Generator gen(1);
  const Tensor a = randn({3, 2}, gen, f64), b = randn({2}, gen, f64);
  GradcheckReport report = detail::gradcheck_vector(
      [](const std::vector<Tensor>& in) { return tanh(in[0] * in[1]); }, {a, b}, {}, {"weight", "bias"});
  INFO(report);
  CHECK(report.ok());
  CHECK(report.entries[0].name == "weight");
  CHECK(report.entries[1].name == "bias");
  CHECK(report.entries[1].shape == Shape{2});
}

TEST_CASE("float32 inputs are checked in float64") {
  const Tensor x = tensor({0.3, 0.7});  // float32
  GradcheckReport report = gradcheck([](Tensor& v) {
    CHECK(v.dtype() == f64);
    return sum(exp(v));
  }, {x});
  CHECK(report.ok());
}

TEST_CASE("a function that drops to float32 is reported") {
  CHECK_THROWS_WITH_AS(gradcheck([](Tensor& v) { return sum(to_dtype(v, f32)); }, {tensor({1.0, 2.0}, f64)}),
                       doctest::Contains("float32"), DtypeError);
}

TEST_CASE("ops with zero gradient check as zero") {
  GradcheckReport report = gradcheck([](Tensor& v) { return sum(sign(v) + heaviside(v)); },
                                     {tensor({0.5, -0.25}, f64)});
  CHECK(report.ok());
  CHECK(report.entries[0].analytic == 0.0);
}

TEST_CASE("the caller's inputs are left untouched") {
  Tensor x = tensor({1.0, 2.0}, f64);
  (void)gradcheck([](Tensor& v) { return sum(v * v); }, {x});
  CHECK(x.to_vector<double>() == std::vector<double>{1.0, 2.0});
  CHECK_FALSE(x.requires_grad());
}
