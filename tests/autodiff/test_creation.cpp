// Creation: constants, ranges, tensors from values, and random tensors from
// a seeded Generator (reproducibility, distributions, errors).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

using V = std::vector<double>;
using I = std::vector<std::int64_t>;

struct Moments {
  double mean = 0, var = 0;
};
Moments moments(const V& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size());
  return m;
}

}  // namespace

TEST_CASE("zeros, ones, full, scalar and the _like forms in every dtype") {
  for (Dtype dtype : {f32, f64, i64}) {
    CAPTURE(dtype_name(dtype));
    const Tensor z = zeros({2, 3}, dtype);
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.dtype() == dtype);
    CHECK(z.to_vector<double>() == V(6, 0.0));
    CHECK(ones({4}, dtype).to_vector<double>() == V(4, 1.0));
    CHECK(full({2, 2}, 7.0, dtype).to_vector<double>() == V(4, 7.0));
    CHECK(zeros({0, 3}, dtype).numel() == 0);
    const Tensor s = scalar(3.0, dtype);
    CHECK(s.rank() == 0);
    CHECK(s.item() == 3.0);
  }
  CHECK(full({3}, -2.5, f64).to_vector<double>() == V(3, -2.5));
  CHECK(full({1}, 0.1).to_vector<float>() == std::vector<float>{0.1f});
  CHECK(zeros({}).rank() == 0);
  CHECK(zeros({}).numel() == 1);
  CHECK(zeros({2}).dtype() == f32);  // the default

  Tensor x = full({2, 3}, 5.0, f64).requires_grad_();
  const Tensor zl = zeros_like(x), ol = ones_like(x);
  CHECK(zl.shape() == x.shape());
  CHECK(zl.dtype() == f64);
  CHECK(zl.to_vector<double>() == V(6, 0.0));
  CHECK(ol.to_vector<double>() == V(6, 1.0));
  CHECK_FALSE(zl.requires_grad());  // a new constant, not part of x's graph
  CHECK(zl.storage_use_count() == 1);
  CHECK(zeros_like(ones({2}, i64)).dtype() == i64);
}

TEST_CASE("arange") {
  CHECK(arange(0, 5).to_vector<double>() == V{0, 1, 2, 3, 4});
  CHECK(arange(0, 5).dtype() == f32);
  CHECK(arange(2, 3, 0.25, f64).to_vector<double>() == V{2, 2.25, 2.5, 2.75});
  CHECK(arange(5, 0, -2).to_vector<double>() == V{5, 3, 1});
  CHECK(arange(0, 1, 0.3, f64).numel() == 4);  // 0, 0.3, 0.6, 0.9
  CHECK(arange(3, 1).shape() == Shape{0});
  CHECK(arange(1, 1).shape() == Shape{0});
  const Tensor ints = arange(-2, 3, 1, i64);
  CHECK(ints.dtype() == i64);
  CHECK(ints.to_vector<std::int64_t>() == I{-2, -1, 0, 1, 2});

  CHECK_OP_ERROR(InvalidArgument, arange(0, 5, 0), "arange", "step");
  CHECK_OP_ERROR(InvalidArgument, arange(0, INFINITY), "arange");
  CHECK_OP_ERROR(InvalidArgument, arange(0, NAN), "arange");
  // More elements than any tensor can hold: an error naming arange, not a
  // negative extent from an overflowed count.
  CHECK_OP_ERROR(InvalidArgument, arange(0, 1e30, 1e-30), "arange");
}

TEST_CASE("tensor and from_vector") {
  const Tensor t = tensor({1, 2, 3});
  CHECK(t.shape() == Shape{3});
  CHECK(t.dtype() == f32);
  CHECK(t.to_vector<double>() == V{1, 2, 3});
  const Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, f64);
  CHECK(m.shape() == Shape{2, 3});
  CHECK(m.dtype() == f64);
  CHECK(m.to_vector<double>() == V{1, 2, 3, 4, 5, 6});
  CHECK(tensor({4}, {}, f64).rank() == 0);
  CHECK(tensor({1.9, -1.9}, i64).to_vector<std::int64_t>() == I{1, -1});

  const Tensor d = from_vector(V{0.5, 1.5, 2.5, 3.5}, {2, 2}, f64);
  CHECK(d.to_vector<double>() == V{0.5, 1.5, 2.5, 3.5});
  const Tensor f = from_vector(std::vector<float>{0.1f, 0.2f}, {2, 1});
  CHECK(f.dtype() == f32);
  CHECK(f.to_vector<float>() == std::vector<float>{0.1f, 0.2f});
  const Tensor i = from_vector(I{5, -7, (1LL << 60) + 1}, {3});
  CHECK(i.dtype() == i64);
  CHECK(i.to_vector<std::int64_t>() == I{5, -7, (1LL << 60) + 1});  // exact: not through a double
  CHECK(from_vector(V{}, {0, 4}).shape() == Shape{0, 4});

  CHECK_OP_ERROR(ShapeError, from_vector(V{1, 2, 3}, {2, 3}), "from_vector", "3", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, from_vector(std::vector<float>{1, 2}, {3}), "from_vector", "(3,)");
  CHECK_OP_ERROR(ShapeError, from_vector(I{1, 2, 3, 4}, {2, 3}), "from_vector", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, tensor({1, 2, 3}, {2, 2}), "tensor:", "(2, 2)");
}

TEST_CASE("Generator: a standard mt19937_64 engine and the documented transforms") {
  // The C++ standard fixes the 10,000th output of a default-seeded mt19937_64.
  Generator standard(5489);
  std::uint64_t v = 0;
  for (int i = 0; i < 10000; ++i) v = standard.next();
  CHECK(v == 9981545732273789042ULL);

  // uniform(): the top 53 bits; normal(): Box–Muller, cos then sin.
  Generator gen(123);
  std::mt19937_64 ref(123);
  auto ref_uniform = [&] { return static_cast<double>(ref() >> 11) * 0x1.0p-53; };
  for (int i = 0; i < 5; ++i) CHECK(gen.uniform() == ref_uniform());
  for (int i = 0; i < 3; ++i) {
    const double r = std::sqrt(-2.0 * std::log(1.0 - ref_uniform()));
    const double theta = 2.0 * std::numbers::pi * ref_uniform();
    CHECK(gen.normal() == doctest::Approx(r * std::cos(theta)).epsilon(1e-14));
    CHECK(gen.normal() == doctest::Approx(r * std::sin(theta)).epsilon(1e-14));
  }
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const std::uint64_t b = gen.below(7);
    REQUIRE(b < 7);
    ++seen[b];
  }
  for (int count : seen) CHECK(std::abs(count - 1000) < 150);  // sd 29
  CHECK_THROWS_AS(gen.below(0), std::invalid_argument);

  // seed() restarts the stream, dropping a pending second normal value.
  Generator a(9), b(9);
  a.normal();
  a.seed(9);
  CHECK(a.normal() == b.normal());
  CHECK(a.normal() == b.normal());
}

TEST_CASE("the same seed gives the same tensors; another seed gives others") {
  auto draw = [](std::uint64_t seed, Dtype dtype) {
    Generator gen(seed);
    std::vector<V> out;
    out.push_back(randn({3, 5}, gen, dtype).to_vector<double>());
    out.push_back(uniform({7}, -2, 3, gen, dtype).to_vector<double>());
    out.push_back(normal({4}, 1.0, 0.5, gen, dtype).to_vector<double>());
    out.push_back(bernoulli({64}, 0.5, gen, dtype).to_vector<double>());
    const I perm = randperm(20, gen).to_vector<std::int64_t>();
    out.emplace_back(perm.begin(), perm.end());
    return out;
  };
  for (Dtype dtype : {f32, f64}) {
    CAPTURE(dtype_name(dtype));
    const auto first = draw(42, dtype), again = draw(42, dtype), other = draw(43, dtype);
    for (std::size_t i = 0; i < first.size(); ++i) {
      CAPTURE(i);
      CHECK(first[i] == again[i]);
      CHECK(first[i] != other[i]);
    }
  }
  // float32 values are the float64 ones rounded: one stream, two precisions.
  Generator g32(5), g64(5);
  const std::vector<float> r32 = randn({100}, g32, f32).to_vector<float>();
  const V r64 = randn({100}, g64, f64).to_vector<double>();
  for (std::size_t i = 0; i < r32.size(); ++i) CHECK(r32[i] == static_cast<float>(r64[i]));
  // Consecutive draws continue the stream rather than repeating it.
  Generator gen(5);
  CHECK(randn({10}, gen, f64).to_vector<double>() != randn({10}, gen, f64).to_vector<double>());
}

TEST_CASE("randn and normal: mean, variance, shape of the distribution") {
  for (Dtype dtype : {f32, f64}) {
    CAPTURE(dtype_name(dtype));
    Generator gen(2024);
    const Tensor x = randn({100000}, gen, dtype);
    CHECK(x.dtype() == dtype);
    const V v = x.to_vector<double>();
    const Moments m = moments(v);
    CHECK(std::abs(m.mean) < 0.02);  // standard error 0.003
    CHECK(std::abs(m.var - 1.0) < 0.03);
    // Normal, not just unit variance: P(|x| < 1) = 0.6827, P(|x| < 2) = 0.9545.
    const auto within = [&](double k) {
      return static_cast<double>(std::count_if(v.begin(), v.end(), [k](double e) { return std::abs(e) < k; })) /
             static_cast<double>(v.size());
    };
    CHECK(std::abs(within(1.0) - 0.6827) < 0.006);  // standard errors 0.0015 and 0.0007
    CHECK(std::abs(within(2.0) - 0.9545) < 0.003);
    // Consecutive values (the two halves of a Box–Muller pair) are uncorrelated.
    double corr = 0.0;
    for (std::size_t i = 0; i + 1 < v.size(); i += 2) corr += v[i] * v[i + 1];
    CHECK(std::abs(corr / static_cast<double>(v.size() / 2)) < 0.02);
  }
  Generator gen(7);
  const Moments m = moments(normal({100000}, 3.0, 0.5, gen, f64).to_vector<double>());
  CHECK(std::abs(m.mean - 3.0) < 0.01);  // standard errors 0.0016 and 0.0011
  CHECK(std::abs(m.var - 0.25) < 0.006);
  CHECK(normal({10}, 1.5, 0.0, gen).to_vector<double>() == V(10, 1.5));
}

TEST_CASE("uniform: range, mean and variance") {
  for (Dtype dtype : {f32, f64}) {
    CAPTURE(dtype_name(dtype));
    Generator gen(11);
    const V v = uniform({100000}, -1.0, 3.0, gen, dtype).to_vector<double>();
    CHECK(*std::min_element(v.begin(), v.end()) >= -1.0);
    CHECK(*std::max_element(v.begin(), v.end()) < 3.0);
    CHECK(*std::min_element(v.begin(), v.end()) < -0.99);
    CHECK(*std::max_element(v.begin(), v.end()) > 2.99);
    const Moments m = moments(v);
    CHECK(std::abs(m.mean - 1.0) < 0.02);  // standard errors 0.0037 and 0.0038
    CHECK(std::abs(m.var - 16.0 / 12.0) < 0.02);
  }
  Generator gen(3);
  CHECK(uniform({5}, 2.0, 2.0, gen).to_vector<double>() == V(5, 2.0));
}

TEST_CASE("uniform in float32 never returns hi") {
  // Seed 1 draws u = 0.99999998994 (within 2^-25 of 1) at position 517,518:
  // lo + (hi − lo)·u rounds to hi in float32 there unless the op guards it.
  for (auto [lo, hi] : {std::pair{0.0, 1.0}, std::pair{1.0, 2.0}, std::pair{-1.0, 1.0}}) {
    CAPTURE(lo);
    CAPTURE(hi);
    Generator gen(1);
    const std::vector<float> v = uniform({600000}, lo, hi, gen, f32).to_vector<float>();
    CHECK(*std::max_element(v.begin(), v.end()) < static_cast<float>(hi));
    CHECK(*std::min_element(v.begin(), v.end()) >= static_cast<float>(lo));
  }
}

TEST_CASE("bernoulli: frequency and values") {
  for (Dtype dtype : {f32, f64, i64}) {
    CAPTURE(dtype_name(dtype));
    Generator gen(17);
    const Tensor b = bernoulli({100000}, 0.3, gen, dtype);
    CHECK(b.dtype() == dtype);
    const V v = b.to_vector<double>();
    CHECK(std::all_of(v.begin(), v.end(), [](double e) { return e == 0.0 || e == 1.0; }));
    const double freq = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    CHECK(std::abs(freq - 0.3) < 0.006);  // standard error 0.0014
  }
  Generator gen(1);
  CHECK(bernoulli({1000}, 0.0, gen).to_vector<double>() == V(1000, 0.0));
  CHECK(bernoulli({1000}, 1.0, gen).to_vector<double>() == V(1000, 1.0));
}

TEST_CASE("randperm: a permutation, every order equally likely") {
  Generator gen(8);
  const Tensor p = randperm(50, gen);
  CHECK(p.dtype() == i64);
  CHECK(p.shape() == Shape{50});
  I v = p.to_vector<std::int64_t>();
  I sorted = v;
  std::sort(sorted.begin(), sorted.end());
  I identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(v != identity);
  CHECK(randperm(0, gen).shape() == Shape{0});
  CHECK(randperm(1, gen).to_vector<std::int64_t>() == I{0});

  // 24,000 permutations of 4: each of the 24 orders about 1,000 times (sd 31).
  std::map<I, int> counts;
  for (int i = 0; i < 24000; ++i) ++counts[randperm(4, gen).to_vector<std::int64_t>()];
  CHECK(counts.size() == 24);
  for (const auto& [order, count] : counts) CHECK(std::abs(count - 1000) < 160);
}

TEST_CASE("randperm past memory fails like a tensor allocation, naming the op and the shape (issue 20, defect 13)") {
  // Its permutation was a std::vector first, whose failure was a bare
  // std::bad_alloc ("std::bad_alloc", nothing else).
  Generator gen(8);
  const std::string m = thrown<std::bad_alloc>([&] { (void)randperm(std::int64_t{1} << 46, gen); });
  CHECK(contains(m, "randperm: cannot allocate 562949953421312 bytes for a int64 tensor of shape (70368744177664,)"));
  // The permutation is unchanged by shuffling in the tensor: same seed, same order.
  Generator a(3), b(3);
  const I p = randperm(10, a).to_vector<std::int64_t>();
  I expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  for (std::int64_t i = 9; i > 0; --i) std::swap(expected[static_cast<std::size_t>(i)], expected[b.below(static_cast<std::uint64_t>(i + 1))]);
  CHECK(p == expected);
}

TEST_CASE("errors of the random creators") {
  Generator gen(0);
  CHECK_OP_ERROR(InvalidArgument, uniform({3}, 2.0, 1.0, gen), "uniform", "lo", "hi");
  CHECK_OP_ERROR(InvalidArgument, uniform({3}, 0.0, NAN, gen), "uniform");
  CHECK_OP_ERROR(InvalidArgument, uniform({3}, 0.0, INFINITY, gen), "uniform");
  CHECK_OP_ERROR(InvalidArgument, uniform({3}, -1e308, 1e308, gen, f64), "uniform");
  CHECK_OP_ERROR(DtypeError, uniform({3}, 0.0, 1.0, gen, i64), "uniform", "int64");

  CHECK_OP_ERROR(InvalidArgument, bernoulli({3}, -0.1, gen), "bernoulli", "-0.1");
  CHECK_OP_ERROR(InvalidArgument, bernoulli({3}, 1.5, gen), "bernoulli", "1.5");
  CHECK_OP_ERROR(InvalidArgument, bernoulli({3}, NAN, gen), "bernoulli");

  CHECK_OP_ERROR(InvalidArgument, normal({3}, 0.0, -1.0, gen), "normal", "stddev");
  CHECK_OP_ERROR(InvalidArgument, normal({3}, NAN, 1.0, gen), "normal", "mean");
  CHECK_OP_ERROR(DtypeError, normal({3}, 0.0, 1.0, gen, i64), "normal", "int64");

  CHECK_OP_ERROR(DtypeError, randn({3}, gen, i64), "randn", "int64");
  CHECK_OP_ERROR(InvalidArgument, randperm(-1, gen), "randperm", "-1");
  CHECK_OP_ERROR(ShapeError, zeros({2, -1}), "zeros", "(2, -1)");
  CHECK_OP_ERROR(ShapeError, randn({-3}, gen), "randn", "(-3,)");

  // A refused call draws nothing: the stream continues as if it never happened.
  Generator fresh(0), used(0);
  CHECK_THROWS(uniform({3}, 1.0, 0.0, used));
  CHECK_THROWS(bernoulli({3}, 2.0, used));
  CHECK(randn({4}, used).to_vector<double>() == randn({4}, fresh).to_vector<double>());
}
