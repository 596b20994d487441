// Anomaly detection: the first NaN or Inf is blamed on the op that made it,
// forward or backward, with the caller's line; nothing is checked when it is
// off, and the switch is per thread.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// A net whose ReLU is dead for every input: its output is all zeros.
nn::Sequential dead_net(Generator& gen) {
  nn::Sequential net(nn::Linear(3, 2, {.generator = &gen}), nn::ReLU());
  tg::test::assign(std::static_pointer_cast<nn::Linear>(net[0])->bias, full({2}, -100.0));
  return net;
}

}  // namespace

TEST_CASE("a net that takes the log of zero: the forward error names log, its shape and the line") {
  Generator gen(1);
  nn::Sequential net = dead_net(gen);
  const Tensor x = randn({4, 3}, gen);
  DetectAnomaly guard;
  CHECK(is_anomaly_enabled());
  const Tensor h = net(x);  // zeros, finite: no error
  CHECK_OP_ERROR(AnomalyError, log(h), "anomaly detected in the forward pass", "'log'", "-inf at [0, 0]", "(4, 2) float32", "(8 of 8 values)");
  try {
    (void)log(h);
  } catch (const AnomalyError& e) {
    CHECK(e.op() == "log");
    CHECK(e.pass() == AnomalyError::Pass::forward);
  }
}

TEST_CASE("off (the default) nothing is checked, and the guard restores the previous setting") {
  Generator gen(1);
  nn::Sequential net = dead_net(gen);
  CHECK_FALSE(is_anomaly_enabled());
  const Tensor y = log(net(randn({4, 3}, gen)));
  CHECK(std::isinf(y.to_vector<double>()[0]));
  {
    DetectAnomaly on;
    {
      DetectAnomaly off(false);
      CHECK_FALSE(is_anomaly_enabled());
      CHECK_NOTHROW((void)log(net(randn({4, 3}, gen))));
    }
    CHECK(is_anomaly_enabled());
  }
  CHECK_FALSE(is_anomaly_enabled());
  set_anomaly_enabled(true);
  CHECK(is_anomaly_enabled());
  set_anomaly_enabled(false);
}

TEST_CASE("backward: sqrt at 0 gives an infinite gradient, blamed on sqrt's VJP") {
  const Tensor x = tensor({0.0, 1.0, 4.0}, f64).requires_grad_();
  const Tensor r = sqrt(x); const CallSite sqrt_site = TG_TEST_HERE;
  const Tensor loss = sum(r);
  DetectAnomaly guard;
  const std::string message = thrown<AnomalyError>([&] { loss.backward(); });
  check_message(message, {"anomaly detected in the backward pass", "the VJP of 'sqrt'", "input 0", "inf at [0]",
                          "(1 of 3 values)", "the gradient of its output was finite"},
                sqrt_site);
}

TEST_CASE("backward: log's VJP at 0 is blamed on log, with and without create_graph") {
  const Tensor x = tensor({0.0, 2.0}, f64).requires_grad_();
  const Tensor loss = sum(log(x)); const CallSite log_site = TG_TEST_HERE;  // recorded while off: -inf is not checked
  {
    DetectAnomaly guard;
    try {
      loss.backward({.retain_graph = true});
      FAIL("no AnomalyError");
    } catch (const AnomalyError& e) {
      CHECK(e.op() == "log");
      CHECK(e.pass() == AnomalyError::Pass::backward);
      check_message(e.what(), {"the VJP of 'log' (output (2,)) returned a non-finite gradient", "inf at [0]"}, log_site);
    }
    // With create_graph the VJP's own ops record and are checked as they run:
    // the division inside log's VJP is found, and log's VJP is blamed.
    try {
      loss.backward({.create_graph = true});
      FAIL("no AnomalyError");
    } catch (const AnomalyError& e) {
      CHECK(e.op() == "log");
      CHECK(e.pass() == AnomalyError::Pass::backward);
      check_message(e.what(), {"backward pass", "the VJP of 'log' (output (2,)) computed a non-finite value in an op it recorded: 'div' produced"}, log_site);
      CHECK_FALSE(contains(e.what(), "forward pass"));
      CHECK_FALSE(contains(e.what(), "unary.cpp"));  // the library's line inside the VJP is not quoted
    }
  }
}

TEST_CASE("a leaf that already holds NaN is named as the source, and a non-finite seed is caught") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({nan, 1.0}, f64).requires_grad_();
  DetectAnomaly guard;
  CHECK_OP_ERROR(AnomalyError, exp(x), "'exp'", "nan at [0]", "its input 0 (a leaf) already held non-finite values");
  const Tensor w = tensor({1.0, 2.0}, f64).requires_grad_();
  const Tensor y = w * 3.0;
  check_contains(thrown<AnomalyError>([&] { y.backward(tensor({nan, 1.0}, f64)); }),
                 {"the gradient arriving at the output of 'mul'", "seed of backward()"});
}

TEST_CASE("a finite training step passes under the guard, and a second thread is not watched") {
  Generator gen(3);
  nn::Sequential net(nn::Linear(4, 8, {.init = "he_normal", .generator = &gen}), nn::ReLU(),
                     nn::Linear(8, 3, {.generator = &gen}));
  const Tensor x = randn({16, 4}, gen);
  const Tensor labels = from_vector(std::vector<std::int64_t>(16, 1), {16});
  DetectAnomaly guard;
  const Tensor loss = nn::cross_entropy(net(x), labels);
  CHECK_NOTHROW(loss.backward());
  CHECK(net.parameters().front().grad().defined());

  bool other_thread_on = true, other_thread_threw = false;
  std::thread other([&] {
    other_thread_on = is_anomaly_enabled();
    try {
      const Tensor z = tensor({0.0}).requires_grad_();
      (void)log(z);
    } catch (const AnomalyError&) {
      other_thread_threw = true;
    }
  });
  other.join();
  CHECK_FALSE(other_thread_on);
  CHECK_FALSE(other_thread_threw);
}
