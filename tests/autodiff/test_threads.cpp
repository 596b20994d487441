// Recording is per thread: two threads building and differentiating their
// own functions at the same time both get correct gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <thread>

using namespace tg;

namespace {

// Differentiates sum(tanh(x·w)·c) many times; returns the maximum deviation
// from the closed form dL/dw = Σ_i x_i·c·(1 − tanh²(x_i·w)).
double worst_error(double w0, double c, int steps) {
  Generator gen(static_cast<std::uint64_t>(w0 * 1000));
  const Tensor x = randn({64}, gen, f64);
  const auto xs = x.to_vector<double>();
  double worst = 0.0;
  for (int s = 0; s < steps; ++s) {
    Tensor w = scalar(w0, f64).requires_grad_();
    Tensor loss = sum(tanh(x * w) * c);
    loss.backward();
    double expected = 0.0;
    for (double xi : xs) {
      const double t = std::tanh(xi * w0);
      expected += xi * c * (1 - t * t);
    }
    worst = std::max(worst, std::abs(w.grad().item() - expected));
    if (tape_stats().live_records != 0) return 1e9;  // this thread's tape must be empty again
  }
  return worst;
}

}  // namespace

TEST_CASE("two threads differentiate their own functions at the same time") {
  double error_a = -1, error_b = -1;
  std::thread a([&] { error_a = worst_error(0.3, 2.0, 2000); });
  std::thread b([&] { error_b = worst_error(-0.8, -1.0, 2000); });
  a.join();
  b.join();
  CHECK(error_a >= 0);
  CHECK(error_a < 1e-9);
  CHECK(error_b >= 0);
  CHECK(error_b < 1e-9);
}

TEST_CASE("NoGrad in one thread does not affect another") {
  bool other_records = false;
  NoGrad guard;
  std::thread t([&] {
    Tensor x = ones({1}).requires_grad_();
    other_records = (x * 2.0).requires_grad();
  });
  t.join();
  CHECK(other_records);
  CHECK_FALSE(is_grad_enabled());
}
