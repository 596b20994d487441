// Inverted dropout: identity in evaluation and at p = 0, zeros at p = 1, and
// otherwise a bernoulli(1 − p) mask scaled by 1/(1 − p): the fraction
// dropped, the scaling, the mean, the gradient, reproducibility from the
// seed, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// Whether `gen` is where a fresh Generator(seed) is: nothing was drawn.
bool untouched(Generator& gen, std::uint64_t seed) {
  Generator fresh(seed);
  return gen.next() == fresh.next();
}

std::int64_t count_zeros(const Tensor& t) {
  std::int64_t n = 0;
  for (double v : t.to_vector<double>()) n += v == 0.0;
  return n;
}

}  // namespace

TEST_CASE("in evaluation and at p = 0 dropout returns x itself: same storage, no record, no draw") {
  Generator data(1);
  Tensor x = randn({4, 5}, data).requires_grad_();
  for (const auto& [p, training] : std::vector<std::pair<double, bool>>{{0.5, false}, {0.0, true}, {0.0, false}, {1.0, false}}) {
    INFO("p " << p << ", training " << training);
    Generator gen(9);
    const Tensor y = dropout(x, p, gen, training);
    CHECK(y.impl() == x.impl());
    CHECK(y.is_leaf());
    CHECK(y.op_name().empty());
    CHECK(untouched(gen, 9));
  }
  // A non-leaf comes back as itself too, still recorded by the op that made it.
  const Tensor h = x * 2.0;
  Generator gen(9);
  const Tensor y = dropout(h, 0.3, gen, false);
  CHECK(y.impl() == h.impl());
  CHECK(y.op_name() == h.op_name());
}

TEST_CASE("p = 1 gives zeros with a zero gradient") {
  Generator data(2);
  for (Dtype dtype : {f32, f64}) {
    Tensor x = randn({3, 4}, data, dtype).requires_grad_();
    Generator gen(3);
    const Tensor y = dropout(x, 1.0, gen);
    CHECK(y.shape() == x.shape());
    CHECK(y.dtype() == dtype);
    check_values(y, std::vector<double>(12, 0.0));
    CHECK(y.requires_grad());  // still on the tape: the gradient is a zero tensor, not missing
    sum(y * randn(y.shape(), data, dtype)).backward();
    REQUIRE(x.grad().defined());
    CHECK(x.grad().shape() == x.shape());
    check_values(x.grad(), std::vector<double>(12, 0.0));
  }
}

TEST_CASE("the fraction dropped is p and the kept values are scaled by 1/(1 - p)") {
  constexpr std::int64_t n = 200000;
  Generator data(4);
  for (Dtype dtype : {f32, f64}) {
    const Tensor x = uniform({n}, 0.5, 1.5, data, dtype);  // never 0: a 0 in y means dropped
    const std::vector<double> xv = x.to_vector<double>();
    for (double p : {0.1, 0.5, 0.8}) {
      INFO("p " << p << ", " << dtype_name(dtype));
      Generator gen(5);
      const Tensor y = dropout(x, p, gen);
      CHECK(y.shape() == x.shape());
      CHECK(y.dtype() == dtype);
      // Binomial(n, p): within 5 sigma.
      const double sigma = std::sqrt(static_cast<double>(n) * p * (1 - p));
      const double dropped = static_cast<double>(count_zeros(y));
      CHECK(std::abs(dropped - p * n) < 5 * sigma);
      const std::vector<double> yv = y.to_vector<double>();
      std::int64_t wrong = 0;
      for (std::size_t i = 0; i < yv.size(); ++i) {
        const double expected = xv[i] / (1 - p);
        if (yv[i] != 0.0 && std::abs(yv[i] - expected) > 1e-6 * expected) ++wrong;
      }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("dropout preserves the mean") {
  constexpr std::int64_t n = 200000;
  Generator gen(6);
  const Tensor x = ones({n}, f64);
  for (double p : {0.2, 0.5, 0.9}) {
    INFO("p " << p);
    // mean(y) = Σ m_i / (n (1 − p)), m_i ~ bernoulli(1 − p): standard deviation √(p / ((1 − p) n)).
    const double sigma = std::sqrt(p / ((1 - p) * static_cast<double>(n)));
    const double m = mean(dropout(x, p, gen)).item();
    CHECK(std::abs(m - 1.0) < 5 * sigma);
    CHECK(m != 1.0);  // it is a random draw, not the identity
  }
}

TEST_CASE("the gradient is g ⊙ mask / (1 - p): y / x where x is not 0") {
  Generator data(7);
  for (Dtype dtype : {f32, f64}) {
    for (double p : {0.25, 0.6}) {
      INFO("p " << p << ", " << dtype_name(dtype));
      Tensor x = uniform({40, 50}, 0.5, 2.0, data, dtype).requires_grad_();
      Generator gen(8);
      const Tensor y = dropout(x, p, gen);
      CHECK(y.requires_grad());
      const Tensor g = randn(y.shape(), data, dtype);
      y.backward(g);
      // y = x ⊙ mask / (1 − p), so mask / (1 − p) = y / x.
      const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>(), gv = g.to_vector<double>();
      std::vector<double> expected(xv.size());
      std::int64_t dropped = 0;
      for (std::size_t i = 0; i < xv.size(); ++i) {
        expected[i] = gv[i] * yv[i] / xv[i];
        dropped += yv[i] == 0.0;
      }
      CHECK(dropped > 0);
      CHECK(dropped < static_cast<std::int64_t>(xv.size()));
      check_values(x.grad(), expected, 1e-5, 1e-13);
      // Where y is 0 the gradient is exactly 0.
      const std::vector<double> dx = x.grad().to_vector<double>();
      for (std::size_t i = 0; i < xv.size(); ++i)
        if (yv[i] == 0.0) CHECK(dx[i] == 0.0);
    }
  }
}

TEST_CASE("gradcheck: dropout with a freshly seeded generator at every call") {
  Generator data(10);
  const Tensor x = randn({5, 6}, data, f64);
  for (double p : {0.3, 0.7}) {
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { Generator gen(11); return dropout(a, p, gen); }, {x}));
    // Second order: the gradient is linear in g and constant in x.
    CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& a) { Generator gen(11); return grad(sum(pow(dropout(a, p, gen), 2.0)), a, {.create_graph = true}); }, {x}));
  }
}

TEST_CASE("the same seed gives the same mask; another seed or a later draw a different one") {
  Generator data(12);
  const Tensor x = randn({1000}, data);
  Generator a(42), b(42), c(43);
  const std::vector<float> ya = dropout(x, 0.5, a).to_vector<float>();
  CHECK(ya == dropout(x, 0.5, b).to_vector<float>());
  CHECK(ya != dropout(x, 0.5, c).to_vector<float>());
  // The generator advanced: the next draw from it is another mask.
  CHECK(ya != dropout(x, 0.5, a).to_vector<float>());
  // The mask depends on the shape and the seed only, not on the values.
  Generator d(42), e(42);
  const std::vector<double> m1 = dropout(ones({1000}), 0.5, d).to_vector<double>();
  const std::vector<double> m2 = dropout(full({1000}, 3.0), 0.5, e).to_vector<double>();
  for (std::size_t i = 0; i < m1.size(); ++i) CHECK((m1[i] == 0.0) == (m2[i] == 0.0));
  for (std::size_t i = 0; i < m1.size(); ++i) CHECK((m1[i] == 0.0) == (ya[i] == 0.0f));
}

TEST_CASE("dropout errors: p outside [0, 1] or NaN, integer input") {
  const Tensor x = zeros({2, 3});
  Generator gen(13);
  CHECK_OP_ERROR(InvalidArgument, dropout(x, -0.1, gen), "dropout: p must be in [0, 1], got -0.1 (x of shape (2, 3))");
  CHECK_OP_ERROR(InvalidArgument, dropout(x, 1.5, gen), "dropout: p must be in [0, 1], got 1.5 (x of shape (2, 3))");
  CHECK_OP_ERROR(InvalidArgument, dropout(x, std::nan(""), gen), "dropout: p must be in [0, 1], got nan");
  CHECK_OP_ERROR(InvalidArgument, dropout(x, std::numeric_limits<double>::infinity(), gen), "dropout: p must be in [0, 1], got inf");
  // Checked in evaluation too, where p is otherwise unused.
  CHECK_OP_ERROR(InvalidArgument, dropout(x, 2.0, gen, false), "dropout: p must be in [0, 1], got 2");
  CHECK_OP_ERROR(DtypeError, dropout(zeros({2, 3}, i64), 0.5, gen), "dropout: expected a float32 or float64 tensor, got int64 (2, 3)");
  CHECK_OP_ERROR(InvalidArgument, dropout(Tensor(), 0.5, gen), "dropout: got an undefined tensor");
  CHECK(untouched(gen, 13));  // no error draws from the generator
}
