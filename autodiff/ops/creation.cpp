#include "tapegrad/autodiff/creation.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "common.hpp"

namespace tg {

using namespace ops;

Generator& default_generator() {
  thread_local Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(theta);
  has_spare_normal_ = true;
  return r * std::cos(theta);
}

std::uint64_t Generator::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Generator::below: n must be > 0");
  // Rejection keeps every value equally likely.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t v;
  do v = engine_();
  while (v >= limit);
  return v % n;
}

namespace {


template <class F>
Tensor generate(const Shape& shape, Dtype dtype, F next) {
  Tensor t = detail::empty(shape, dtype);
  kernels::dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.impl()->data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(next());
  });
  return t;
}

void check_finite(const char* op, const Site& site, std::initializer_list<std::pair<const char*, double>> args) {
  for (const auto& [name, value] : args) {
    if (!std::isfinite(value)) {
      throw InvalidArgument(std::string(op) + ": " + name + " must be finite, got " + std::to_string(value), site);
    }
  }
}

void check_float_dtype(Dtype dtype, const char* op, const Site& site) {
  if (!is_floating(dtype)) {
    throw DtypeError(std::string(op) + ": random values need a float dtype, got " + dtype_name(dtype), site);
  }
}

}  // namespace

namespace {
Tensor filled(const Shape& shape, double value, Dtype dtype, const char* op, const Site& site) {
  check_numel(shape, dtype, op, site);
  Tensor t = detail::empty(shape, dtype);
  kernels::fill(t, value);
  return t;
}
}  // namespace

Tensor zeros(const Shape& shape, Dtype dtype, Site site) { return filled(shape, 0.0, dtype, "zeros", site); }
Tensor ones(const Shape& shape, Dtype dtype, Site site) { return filled(shape, 1.0, dtype, "ones", site); }
Tensor full(const Shape& shape, double value, Dtype dtype, Site site) { return filled(shape, value, dtype, "full", site); }

Tensor zeros_like(const Tensor& x, Site site) {
  check_defined(x, "zeros_like", site);
  return zeros(x.shape(), x.dtype());
}
Tensor ones_like(const Tensor& x, Site site) {
  check_defined(x, "ones_like", site);
  return ones(x.shape(), x.dtype());
}
Tensor scalar(double value, Dtype dtype) { return full({}, value, dtype); }

Tensor arange(double start, double stop, double step, Dtype dtype, Site site) {
  if (step == 0 || !std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step)) {
    throw InvalidArgument("arange: needs finite bounds and a non-zero step, got (" + std::to_string(start) + ", " +
                              std::to_string(stop) + ", " + std::to_string(step) + ")",
                          site);
  }
  const double count = std::max(0.0, std::ceil((stop - start) / step));
  if (!(count < 0x1.0p62)) {  // also catches an overflow of stop − start to inf
    throw InvalidArgument("arange: (" + std::to_string(start) + ", " + std::to_string(stop) + ", " +
                              std::to_string(step) + ") has too many elements",
                          site);
  }
  const auto n = static_cast<std::int64_t>(count);
  check_numel({n}, dtype, "arange", site);
  std::int64_t i = 0;
  return generate({n}, dtype, [&] { return start + static_cast<double>(i++) * step; });
}

namespace {

// `values` laid out in `shape`; `op` names the caller in the error.
Tensor from_values(const std::vector<double>& values, const Shape& shape, Dtype dtype, const char* op,
                   const Site& site) {
  check_numel(shape, dtype, op, site);
  if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
    throw ShapeError(std::string(op) + ": " + std::to_string(values.size()) + " values do not fill shape " +
                         shape.str() + " (" + std::to_string(shape.numel()) + " elements)",
                     site);
  }
  std::size_t i = 0;
  return generate(shape, dtype, [&] { return values[i++]; });
}

}  // namespace

Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype, Site site) {
  return from_values(values, shape, dtype, "from_vector", site);
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Site site) {
  return from_vector(std::vector<double>(values.begin(), values.end()), shape, f32, site);
}

Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape, Site site) {
  check_numel(shape, i64, "from_vector", site);
  if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) + " values do not fill shape " + shape.str(), site);
  }
  Tensor t = detail::empty(shape, i64);
  std::copy(values.begin(), values.end(), t.impl()->data<std::int64_t>());
  return t;
}

Tensor tensor(std::initializer_list<double> values, Dtype dtype) {
  return from_vector(std::vector<double>(values), {static_cast<std::int64_t>(values.size())}, dtype);
}

Tensor tensor(std::initializer_list<double> values, const Shape& shape, Dtype dtype, Site site) {
  return from_values(std::vector<double>(values), shape, dtype, "tensor", site);
}

Tensor randn(const Shape& shape, Generator& gen, Dtype dtype, Site site) {
  check_float_dtype(dtype, "randn", site);
  check_numel(shape, dtype, "randn", site);
  return generate(shape, dtype, [&] { return gen.normal(); });
}

Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, Dtype dtype, Site site) {
  check_numel(shape, dtype, "normal", site);
  check_float_dtype(dtype, "normal", site);
  check_finite("normal", site, {{"mean", mean}, {"stddev", stddev}});
  if (!(stddev >= 0)) throw InvalidArgument("normal: stddev must be >= 0, got " + std::to_string(stddev), site);
  return generate(shape, dtype, [&] { return mean + stddev * gen.normal(); });
}

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, Dtype dtype, Site site) {
  check_numel(shape, dtype, "uniform", site);
  check_float_dtype(dtype, "uniform", site);
  check_finite("uniform", site, {{"lo", lo}, {"hi", hi}, {"hi - lo", hi - lo}});
  if (!(lo <= hi)) {
    throw InvalidArgument("uniform: lo (" + std::to_string(lo) + ") must not exceed hi (" + std::to_string(hi) + ")", site);
  }
  Tensor t = detail::empty(shape, dtype);
  kernels::dispatch_float(dtype, "uniform", site, [&](auto tag) {
    using T = decltype(tag);
    // lo + (hi − lo)·u with u < 1 still rounds up to hi in T when u is close
    // enough to 1 (in float32, one draw in 2^25 for [0, 1)). Such a value
    // becomes the largest T below hi: the interval stays half-open and every
    // element still takes exactly one draw, so streams stay reproducible.
    const T top = static_cast<T>(hi);
    const T below_top = std::max(static_cast<T>(lo), std::nextafter(top, static_cast<T>(lo)));
    T* p = t.impl()->data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const T v = static_cast<T>(lo + (hi - lo) * gen.uniform());
      p[i] = v < top ? v : below_top;
    }
  });
  return t;
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, Dtype dtype, Site site) {
  check_numel(shape, dtype, "bernoulli", site);
  if (!(p >= 0 && p <= 1)) throw InvalidArgument("bernoulli: p must be in [0, 1], got " + std::to_string(p), site);
  return generate(shape, dtype, [&] { return gen.uniform() < p ? 1.0 : 0.0; });
}

Tensor randperm(std::int64_t n, Generator& gen, Site site) {
  if (n < 0) throw InvalidArgument("randperm: n must be >= 0, got " + std::to_string(n), site);
  check_numel({n}, i64, "randperm", site);
  // Shuffled in the tensor itself: one buffer, and a request past memory
  // fails as every tensor allocation does, naming the op and the shape.
  Tensor result = detail::empty({n}, i64, "randperm");
  std::int64_t* perm = result.impl()->data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) perm[i] = i;
  // Fisher–Yates.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(perm[i], perm[j]);
  }
  return result;
}

}  // namespace tg
