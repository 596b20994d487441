// Gradient clipping: clip_grad_norm (2-, 1-, p- and ∞-norms over all
// gradients together, the norm before clipping returned, directions kept,
// non-finite norms) and clip_grad_value; both in place, with no allocation.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "../support.hpp"
#include "count_allocations.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// Parameters a (2,) and b (1,) with gradients (3, −4) and (12): global 2-norm
// √(9 + 16 + 144) = 13, 1-norm 19, ∞-norm 12.
struct TwoParams {
  Tensor a, b;
  explicit TwoParams(Dtype b_dtype = f64)
      : a(zeros({2}, f64).requires_grad_()), b(zeros({1}, b_dtype).requires_grad_()) {
    a.set_grad(tensor({3.0, -4.0}, f64));
    b.set_grad(tensor({12.0}, b_dtype));
  }
  std::vector<Tensor> params() const { return {a, b}; }
};

double global_norm(const std::vector<Tensor>& params) {
  double ss = 0;
  for (const Tensor& p : params) {
    for (double g : p.grad().to_vector<double>()) ss += g * g;
  }
  return std::sqrt(ss);
}

}  // namespace

TEST_CASE("clip_grad_norm scales every gradient by max_norm / norm when the global norm is larger") {
  TwoParams t;
  CHECK(optim::clip_grad_norm(t.params(), 6.5) == doctest::Approx(13.0).epsilon(1e-15));  // the norm before
  const double f = 6.5 / (13.0 + 1e-6);
  check_values(t.a.grad(), {3.0 * f, -4.0 * f});  // same direction, one factor for all
  check_values(t.b.grad(), {12.0 * f});
  CHECK(global_norm(t.params()) == doctest::Approx(6.5).epsilon(1e-6));
  // Now within the bound: unchanged, and the (new) norm is returned.
  const std::vector<double> a_before = t.a.grad().to_vector<double>();
  CHECK(optim::clip_grad_norm(t.params(), 6.5) == doctest::Approx(13.0 * f).epsilon(1e-15));
  CHECK(t.a.grad().to_vector<double>() == a_before);
}

TEST_CASE("clip_grad_norm leaves gradients below the bound exactly as they are") {
  TwoParams t;
  CHECK(optim::clip_grad_norm(t.params(), 20.0) == 13.0);
  CHECK(t.a.grad().to_vector<double>() == std::vector<double>{3.0, -4.0});
  CHECK(t.b.grad().to_vector<double>() == std::vector<double>{12.0});
  CHECK(optim::clip_grad_norm(t.params(), 13.0) == 13.0);  // equal: not larger
  CHECK(t.b.grad().to_vector<double>() == std::vector<double>{12.0});
}

TEST_CASE("clip_grad_norm with the infinity-, 1- and 3-norms") {
  const double inf = std::numeric_limits<double>::infinity();
  TwoParams t;
  CHECK(optim::clip_grad_norm(t.params(), 6.0, inf) == 12.0);  // max |g|
  const double f = 6.0 / (12.0 + 1e-6);
  check_values(t.a.grad(), {3.0 * f, -4.0 * f});
  check_values(t.b.grad(), {12.0 * f});
  TwoParams u;
  CHECK(optim::clip_grad_norm(u.params(), 100.0, 1.0) == 19.0);  // Σ |g|
  CHECK(optim::clip_grad_norm(u.params(), 100.0, 3.0) == doctest::Approx(std::cbrt(27.0 + 64.0 + 1728.0)));
  CHECK(optim::clip_grad_norm(u.params(), 9.5, 1.0) == 19.0);
  check_values(u.a.grad(), {3.0 * 9.5 / (19.0 + 1e-6), -4.0 * 9.5 / (19.0 + 1e-6)});
}

TEST_CASE("clip_grad_norm: float32 gradients, parameters without a gradient, no gradients at all") {
  TwoParams t(f32);
  Tensor unused = zeros({5}).requires_grad_();
  std::vector<Tensor> params = t.params();
  params.push_back(unused);
  CHECK(optim::clip_grad_norm(params, 1.0) == doctest::Approx(13.0).epsilon(1e-12));  // summed in float64
  check_values(t.b.grad(), {12.0 / (13.0 + 1e-6)});
  CHECK(t.b.grad().dtype() == f32);
  CHECK_FALSE(unused.grad().defined());
  CHECK(optim::clip_grad_norm({unused}, 1.0) == 0.0);
  CHECK(optim::clip_grad_norm({}, 1.0) == 0.0);
}

TEST_CASE("a non-finite norm is returned with the gradients untouched, or an error when asked") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  TwoParams t;
  t.b.set_grad(tensor({nan}, f64));
  CHECK(std::isnan(optim::clip_grad_norm(t.params(), 1.0)));
  CHECK(t.a.grad().to_vector<double>() == std::vector<double>{3.0, -4.0});
  CHECK(std::isnan(optim::clip_grad_norm(t.params(), 1.0, inf)));  // NaN wins over the max
  t.b.set_grad(tensor({-inf}, f64));
  CHECK(optim::clip_grad_norm(t.params(), 1.0) == inf);
  CHECK(t.a.grad().to_vector<double>() == std::vector<double>{3.0, -4.0});
  CHECK_ERROR(std::runtime_error, optim::clip_grad_norm(t.params(), 1.0, 2.0, /*error_if_nonfinite=*/true),
              "clip_grad_norm: the total 2-norm of the gradients is inf, not finite",
              "the gradient of parameter 1 (1,) holds a NaN or an infinity", "left unchanged");
  CHECK(t.a.grad().to_vector<double>() == std::vector<double>{3.0, -4.0});
  // Finite gradients whose squares overflow.
  TwoParams big;
  big.a.set_grad(tensor({1e200, 1e200}, f64));
  CHECK_ERROR(std::runtime_error, optim::clip_grad_norm(big.params(), 1.0, 2.0, true), "their sum of powers overflowed");
}

TEST_CASE("clip_grad_value clamps every element into [-clip, clip]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = zeros({5}, f64).requires_grad_(), b = zeros({2}).requires_grad_(), c = zeros({1}).requires_grad_();
  a.set_grad(tensor({-3.0, -0.5, 0.0, 0.7, 2.0}, f64));
  b.set_grad(tensor({nan, -1.5}));
  optim::clip_grad_value({a, b, c}, 1.0);
  check_values(a.grad(), {-1.0, -0.5, 0.0, 0.7, 1.0});
  const std::vector<float> bg = b.grad().to_vector<float>();
  CHECK(std::isnan(bg[0]));
  CHECK(bg[1] == -1.0f);
  CHECK_FALSE(c.grad().defined());
  optim::clip_grad_value({a}, 0.0);
  check_values(a.grad(), {0.0, 0.0, 0.0, 0.0, 0.0});
}

TEST_CASE("clipping allocates nothing") {
  Tensor a = zeros({64, 32}).requires_grad_(), b = zeros({32}, f64).requires_grad_();
  const std::vector<Tensor> params = {a, b};
  const auto reset = [&] {
    a.set_grad(full({64, 32}, 2.0));
    b.set_grad(full({32}, -3.0, f64));
  };
  reset();
  CHECK(tg::test::allocations_during([] { (void)zeros({3}); }) > 0);  // the counter counts
  CHECK(tg::test::allocations_during([&] { optim::clip_grad_norm(params, 1.0); }) == 0);
  CHECK(global_norm(params) == doctest::Approx(1.0).epsilon(1e-6));
  reset();
  CHECK(tg::test::allocations_during([&] { optim::clip_grad_norm(params, 1.0, 1.0); }) == 0);
  reset();
  CHECK(tg::test::allocations_during([&] { optim::clip_grad_value(params, 0.01); }) == 0);
  CHECK(global_norm(params) == doctest::Approx(0.01 * std::sqrt(64.0 * 32 + 32)).epsilon(1e-6));
}

TEST_CASE("clipping errors name the function and the argument") {
  TwoParams t;
  CHECK_ERROR(InvalidArgument, optim::clip_grad_norm(t.params(), -1.0), "clip_grad_norm: max_norm must be >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::clip_grad_norm(t.params(), 1.0, 0.0),
              "clip_grad_norm: norm_type must be > 0 (or infinity for the max norm), got 0");
  CHECK_ERROR(InvalidArgument, optim::clip_grad_norm(t.params(), 1.0, std::nan("")), "norm_type must be > 0", "got nan");
  CHECK_ERROR(InvalidArgument, optim::clip_grad_value(t.params(), -0.5), "clip_grad_value: clip must be >= 0, got -0.5");
  CHECK_ERROR(InvalidArgument, optim::clip_grad_value({t.a, Tensor()}, 1.0),
              "clip_grad_value: parameter 1 is an undefined tensor");
  CHECK(t.a.grad().to_vector<double>() == std::vector<double>{3.0, -4.0});  // checked before clamping
  CHECK_ERROR(InvalidArgument, optim::clip_grad_norm({Tensor()}, 1.0), "clip_grad_norm: parameter 0 is an undefined tensor");
}
