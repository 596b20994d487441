// The bad-input table: for each public op and layer, the cases that feed it
// what a user gets wrong (undefined, wrong dtype or rank, mismatched shapes,
// out-of-range axes, indices and sizes) and the edge values that have a
// meaning (empty tensors, zero-size batches, NaN, ±inf). A case checks the
// exception (type, the op's name, the shapes or what was expected) or the
// exact result; test_bad_input.cpp runs them and checks that every op of the
// op table, and every function and layer the other headers declare, has one.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "../support.hpp"

namespace tg::test {

/// One entry of the table: `name` is the op, function or layer as the
/// headers declare it ("relu", "operator+", "Linear").
struct BadInputCase {
  std::string name;
  std::function<void()> run;
};

std::vector<BadInputCase> op_cases();
std::vector<BadInputCase> layer_cases();
/// The elementwise ops, the reductions and matmul: part of the op table.
std::vector<BadInputCase> elementwise_cases();
/// The losses and the initializers (nn/losses.hpp, nn/init.hpp), with the ops.
std::vector<BadInputCase> loss_and_init_cases();
/// The in-place ops and the indexing ops they lean on.
std::vector<BadInputCase> in_place_cases();

/// Declared names with no case, and why none is needed.
std::map<std::string, std::string> op_exemptions();
std::map<std::string, std::string> layer_exemptions();

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// `t` has `shape` and `dtype`.
inline void check_shape(const Tensor& t, const Shape& shape, Dtype dtype = f32) {
  REQUIRE(t.defined());
  CHECK(t.shape() == shape);
  CHECK(t.dtype() == dtype);
}

/// Every element of `t` is NaN (and there is at least one).
inline void check_all_nan(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  INFO(t.str());
  CHECK(!v.empty());
  for (double x : v) CHECK(std::isnan(x));
}

/// `t` against `expected`, NaN matching NaN and infinities exactly.
inline void check_values_nan(const Tensor& t, const std::vector<double>& expected, double eps = 1e-6) {
  const std::vector<double> got = t.to_vector<double>();
  INFO(t.str());
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
    else if (std::isinf(expected[i])) CHECK(got[i] == expected[i]);
    else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(eps));
  }
}

/// Backward from sum(y) gives `x` a gradient of zeros of its shape: a
/// zero-size batch trains nothing, and crashes nothing, on the way back.
inline void check_zero_grad(const Tensor& y, const Tensor& x) {
  sum(y).backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().shape() == x.shape());
  for (double g : x.grad().to_vector<double>()) CHECK(g == 0);
}

inline Tensor i64_tensor(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector(values, shape);
}

}  // namespace tg::test
