// float32 exp, tanh and sigmoid run on tapegrad's own vectorised kernels
// (autodiff/kernels/fast_math.hpp): their values against the float64 std::
// functions rounded to float, within a few ulp, over a sweep of the whole
// float range (one float in every 4099 bit patterns) and at the edges: ±0,
// NaN, ±Inf, overflow, results in the subnormal range, the switch between
// tanh's two formulas. float64 keeps std::.
//
// Each check runs on every compilation of the loops this CPU runs
// (float32_loops.hpp): baseline x86-64, AVX2+FMA and AVX-512 (the fused
// multiply-adds round differently from the baseline's; AVX-512 must give
// AVX2+FMA's results bit for bit). The test switches between them with the
// private ScopedSimdLevel.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../../autodiff/kernels/float32_loops.hpp"

using namespace tg;
using kernels::ScopedSimdLevel;
using kernels::SimdLevel;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Distance in representable floats (0 for two NaNs, and for +0 vs -0).
std::int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<std::int64_t>::max();
  if (a == b) return 0;
  // Map the sign-magnitude bit patterns onto one monotonic integer line.
  auto line = [](float v) {
    const auto bits = static_cast<std::int64_t>(std::bit_cast<std::uint32_t>(v));
    return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
  };
  return std::llabs(line(a) - line(b));
}

std::vector<float> sweep() {
  std::vector<float> xs;
  for (std::uint64_t bits = 0; bits <= 0xffffffffu; bits += 4099)
    xs.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
  for (float v : {0.0f, -0.0f, kInf, -kInf, kNaN, 88.7f, 88.73f, -87.3f, -103.9f, -104.0f, -150.0f, 0.625f,
                  -0.625f, 0.62499994f, 1e-30f, -1e-30f, 9.0f, 20.0f, -20.0f})
    xs.push_back(v);
  return xs;
}

struct Worst {
  std::int64_t ulps = 0;
  float x = 0, got = 0, want = 0;
};

Worst worst_error(const std::function<Tensor(const Tensor&)>& op, const std::function<double(double)>& reference) {
  const std::vector<float> xs = sweep();
  const std::vector<float> ys = op(from_vector(xs, Shape{static_cast<std::int64_t>(xs.size())})).to_vector<float>();
  Worst worst;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const float want = static_cast<float>(reference(xs[i]));
    const std::int64_t d = ulp_distance(ys[i], want);
    if (d > worst.ulps) worst = {d, xs[i], ys[i], want};
  }
  return worst;
}

double sigmoid_reference(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

// The levels this CPU runs: baseline, AVX2+FMA and AVX-512 where it has them.
std::vector<SimdLevel> levels() {
  const std::vector<SimdLevel> runnable = kernels::runnable_simd_levels();
  if (runnable.size() < 3) MESSAGE("this CPU runs only " << runnable.size() << " of the 3 loop variants");
  return runnable;
}

std::string level_name(SimdLevel level) { return kernels::float32_loops(level).name; }

// worst_error on each level this CPU runs, checked against `allowed` ulp.
void check_worst_on_each_level(const std::function<Tensor(const Tensor&)>& op,
                               const std::function<double(double)>& reference, std::int64_t allowed) {
  for (SimdLevel level : levels()) {
    const ScopedSimdLevel scoped(level);
    const Worst w = worst_error(op, reference);
    INFO(level_name(level) << ": worst at x = " << w.x << ": got " << w.got << ", want " << w.want << " ("
                           << w.ulps << " ulp)");
    CHECK(w.ulps <= allowed);
  }
}

// Worst errors measured (baseline / AVX2+FMA, same for both; AVX-512 = AVX2+FMA):
//            over sweep()   over every 17th bit pattern (252,645,136 floats)
//   exp      1 / 1 ulp      1 / 1 ulp
//   tanh     1 / 1 ulp      1 / 1 ulp
//   sigmoid  2 / 2 ulp      3 / 3 ulp   (24 floats at 3 ulp, e.g. x = -1.10379)
// The FMA loops differ from the baseline's in the last bit for ~0.05% of the
// floats (1 in 2,000 for exp), a little more often towards exact. The bounds
// below, for both, are the denser sweep's.

}  // namespace

TEST_CASE("float32 exp is within 1 ulp of std::exp over the whole range, NaN and ±Inf included, on every loop variant") {
  check_worst_on_each_level([](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }, 1);
}

TEST_CASE("float32 tanh is within 1 ulp of std::tanh over the whole range, on every loop variant") {
  check_worst_on_each_level([](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }, 1);
}

TEST_CASE("float32 sigmoid is within 3 ulp of 1/(1 + e^-x) over the whole range, on every loop variant") {
  check_worst_on_each_level([](const Tensor& x) { return sigmoid(x); }, sigmoid_reference, 3);
}

TEST_CASE("float32 exp, tanh and sigmoid at the edges, on every loop variant") {
  for (SimdLevel level : levels()) {
    CAPTURE(level_name(level));
    const ScopedSimdLevel scoped(level);
    const std::vector<float> xs = {kNaN, kInf, -kInf, 89.0f, -104.5f, -100.0f, 0.0f, -0.0f};
    const Tensor x = from_vector(xs, Shape{8});
    const std::vector<float> e = exp(x).to_vector<float>();
    CHECK(std::isnan(e[0]));
    CHECK(e[1] == kInf);
    CHECK(e[2] == 0.0f);
    CHECK(e[3] == kInf);  // overflow
    CHECK(e[4] == 0.0f);  // underflow
    CHECK(e[5] > 0.0f);   // a subnormal result, not flushed to zero
    CHECK(e[5] < std::numeric_limits<float>::min());
    CHECK(e[6] == 1.0f);
    const std::vector<float> t = tanh(x).to_vector<float>();
    CHECK(std::isnan(t[0]));
    CHECK(t[1] == 1.0f);
    CHECK(t[2] == -1.0f);
    CHECK(std::signbit(t[7]));  // tanh(-0) = -0
    const std::vector<float> s = sigmoid(x).to_vector<float>();
    CHECK(std::isnan(s[0]));
    CHECK(s[1] == 1.0f);
    CHECK(s[2] == 0.0f);
    CHECK(s[5] > 0.0f);  // e^-100, subnormal, not 0
    CHECK(s[6] == 0.5f);
  }
}

TEST_CASE("float64 exp, tanh and sigmoid keep the std:: functions") {
  const std::vector<double> xs = {-700.0, -3.7, -0.3, 0.1, 2.5, 30.0};
  const Tensor x = from_vector(xs, Shape{6}, f64);
  const std::vector<double> e = exp(x).to_vector<double>();
  const std::vector<double> t = tanh(x).to_vector<double>();
  const std::vector<double> s = sigmoid(x).to_vector<double>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    CHECK(e[i] == std::exp(xs[i]));
    CHECK(t[i] == std::tanh(xs[i]));
    CHECK(s[i] == doctest::Approx(sigmoid_reference(xs[i])).epsilon(1e-15));
  }
}

TEST_CASE("the loops in use are the widest the CPU runs, unless TAPEGRAD_SIMD caps them") {
  const char* asked = std::getenv("TAPEGRAD_SIMD");
  INFO("TAPEGRAD_SIMD=" << (asked ? asked : "(unset)") << ", widest: " << level_name(kernels::widest_simd_level()));
  CHECK(kernels::active_simd_level() == kernels::choose_simd_level(asked, kernels::widest_simd_level()));
  for (SimdLevel widest : {SimdLevel::baseline, SimdLevel::avx2_fma, SimdLevel::avx512}) {
    CAPTURE(level_name(widest));
    CHECK(kernels::choose_simd_level(nullptr, widest) == widest);
    CHECK(kernels::choose_simd_level("", widest) == widest);
    CHECK(kernels::choose_simd_level("auto", widest) == widest);
    CHECK(kernels::choose_simd_level("baseline", widest) == SimdLevel::baseline);
    CHECK(kernels::choose_simd_level("avx2", widest) == std::min(widest, SimdLevel::avx2_fma));
  }
  CHECK_THROWS_WITH_AS(kernels::choose_simd_level("avx512", SimdLevel::avx512),
                       "TAPEGRAD_SIMD: expected 'baseline', 'avx2' or 'auto' (or unset), got 'avx512'",
                       InvalidArgument);
  // A level always runs the ones narrower than it.
  CHECK(kernels::cpu_runs(SimdLevel::baseline));
  if (kernels::cpu_runs(SimdLevel::avx512)) CHECK(kernels::cpu_runs(SimdLevel::avx2_fma));
}

TEST_CASE("AVX-512 loops give the AVX2+FMA results bit for bit") {
  if (!kernels::cpu_runs(SimdLevel::avx512)) {
    MESSAGE("this CPU has no AVX-512: not checked");
    return;
  }
  const std::vector<float> xs = sweep();
  const Tensor x = from_vector(xs, Shape{static_cast<std::int64_t>(xs.size())});
  const Tensor seed = from_vector(std::vector<float>(xs.size(), 0.75f), x.shape());
  auto results = [&](SimdLevel level) {
    const ScopedSimdLevel scoped(level);
    std::vector<std::vector<float>> out;
    for (auto f : {+[](const Tensor& v) { return exp(v); }, +[](const Tensor& v) { return tanh(v); },
                   +[](const Tensor& v) { return sigmoid(v); }}) {
      out.push_back(f(x).to_vector<float>());
      Tensor leaf = x.detach().requires_grad_();
      out.push_back(grad({f(leaf)}, {leaf}, {seed})[0].to_vector<float>());
    }
    return out;
  };
  const auto narrow = results(SimdLevel::avx2_fma), wide = results(SimdLevel::avx512);
  for (std::size_t k = 0; k < narrow.size(); ++k) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
      differ += std::bit_cast<std::uint32_t>(narrow[k][i]) != std::bit_cast<std::uint32_t>(wide[k][i]);
    CAPTURE(k);  // exp, its VJP, tanh, its VJP, sigmoid, its VJP
    CHECK(differ == 0);
  }
}

TEST_CASE("ScopedSimdLevel switches the loops the ops run and restores them") {
  const SimdLevel before = kernels::active_simd_level();
  for (SimdLevel level : levels()) {
    const ScopedSimdLevel scoped(level);
    CHECK(kernels::active_simd_level() == level);
    CHECK(&kernels::float32_loops() == &kernels::float32_loops(level));
  }
  CHECK(kernels::active_simd_level() == before);
  if (!kernels::cpu_runs(SimdLevel::avx2_fma)) return;
  // The two compilations round differently somewhere in the sweep: the
  // switch reaches the public ops, not only the table.
  const std::vector<float> xs = sweep();
  const Tensor x = from_vector(xs, Shape{static_cast<std::int64_t>(xs.size())});
  std::vector<float> plain, fused;
  {
    const ScopedSimdLevel scoped(SimdLevel::baseline);
    plain = exp(x).to_vector<float>();
  }
  {
    const ScopedSimdLevel scoped(SimdLevel::avx2_fma);
    fused = exp(x).to_vector<float>();
  }
  std::size_t differ = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) differ += std::bit_cast<std::uint32_t>(plain[i]) != std::bit_cast<std::uint32_t>(fused[i]);
  CHECK(differ > 0);
  CHECK(differ < xs.size() / 100);
}
