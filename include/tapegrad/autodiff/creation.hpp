// Creating tensors: constants, ranges, and random values from an explicit,
// seedable generator, so that a run is reproducible.
//
// Every op of this header is a row of the op table (tests/ops/op_table.hpp),
// which drives the gradcheck, dtype, non-contiguous and bad-input sweeps.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "tensor.hpp"

namespace tg {

/// A seeded random source. Tensors drawn from generators seeded alike are
/// identical on every platform: the engine is std::mt19937_64 (fully
/// specified by the C++ standard) and the transforms to uniform and normal
/// values are tapegrad's own, not the library's unspecified distributions.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
  void seed(std::uint64_t seed) { engine_.seed(seed); has_spare_normal_ = false; }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box–Muller, both values used).
  double normal();
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

/// The calling thread's generator, used where none is passed (e.g. to
/// initialise a layer's weights). Each thread has its own, seeded with 0 when
/// the thread first uses it, so a thread's results never depend on another's.
Generator& default_generator();
/// Reseeds the calling thread's default generator.
void manual_seed(std::uint64_t seed);

Tensor zeros(const Shape& shape, Dtype dtype = f32, Site site = Site::current());
Tensor ones(const Shape& shape, Dtype dtype = f32, Site site = Site::current());
Tensor full(const Shape& shape, double value, Dtype dtype = f32, Site site = Site::current());
Tensor zeros_like(const Tensor& x, Site site = Site::current());
Tensor ones_like(const Tensor& x, Site site = Site::current());
/// A 0-d tensor.
Tensor scalar(double value, Dtype dtype = f32);
/// start, start+step, ... < stop.
Tensor arange(double start, double stop, double step = 1.0, Dtype dtype = f32,
              Site site = Site::current());
/// Values from a flat list in row-major order; shape defaults to 1-D.
Tensor tensor(std::initializer_list<double> values, Dtype dtype = f32);
Tensor tensor(std::initializer_list<double> values, const Shape& shape, Dtype dtype = f32,
              Site site = Site::current());
Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype = f32,
                   Site site = Site::current());
Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                   Site site = Site::current());
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape,
                   Site site = Site::current());

/// Standard normal values.
Tensor randn(const Shape& shape, Generator& gen, Dtype dtype = f32, Site site = Site::current());
/// Normal values with the given mean and standard deviation.
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, Dtype dtype = f32,
              Site site = Site::current());
/// Uniform values in [lo, hi).
Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, Dtype dtype = f32,
               Site site = Site::current());
/// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, Generator& gen, Dtype dtype = f32,
                 Site site = Site::current());
/// A random permutation of 0..n-1 (int64).
Tensor randperm(std::int64_t n, Generator& gen, Site site = Site::current());

}  // namespace tg
