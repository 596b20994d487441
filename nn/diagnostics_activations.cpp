// Dead ReLU units and saturated sigmoid/tanh outputs.
#include <cmath>
#include <sstream>

#include "diagnostics_support.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn {
namespace detail {
namespace {

// f(values, n) on the float32 or float64 elements of t.
template <class F>
auto visit_values(const Tensor& t, const char* what, F&& f) {
  return dispatch_floating(t.dtype(), what, [&]<class T>() { return f(t.data<T>(), t.numel()); });
}

}  // namespace

std::int64_t units_of(const Tensor& y) {
  if (y.rank() < 2 || y.size(0) == 0) return y.numel();
  return y.numel() / y.size(0);
}

std::int64_t mark_alive_units(const Tensor& y, std::vector<char>& alive) {
  const std::int64_t units = units_of(y);
  return visit_values(y, "dead_unit_fraction", [&](const auto* v, std::int64_t n) {
    std::int64_t alive_here = 0;
    std::vector<char> seen(static_cast<std::size_t>(units), 0);
    // (N, units) row by row: each read is contiguous.
    for (std::int64_t row = 0; units > 0 && row < n / units; ++row) {
      const auto* x = v + row * units;
      for (std::int64_t u = 0; u < units; ++u) seen[static_cast<std::size_t>(u)] |= static_cast<char>(x[u] != 0);
    }
    for (std::size_t u = 0; u < seen.size(); ++u) {
      alive_here += seen[u];
      alive[u] = static_cast<char>(alive[u] | seen[u]);
    }
    return alive_here;
  });
}

std::int64_t count_saturated(const Tensor& y, Squashing kind, double epsilon) {
  return visit_values(y, "saturated_fraction", [&](const auto* v, std::int64_t n) {
    std::int64_t count = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(v[i]);
      count += kind == Squashing::sigmoid ? (x < epsilon || x > 1 - epsilon) : (std::abs(x) > 1 - epsilon);
    }
    return count;
  });
}

}  // namespace detail

double dead_unit_fraction(const Tensor& relu_output) {
  if (!relu_output.defined()) throw InvalidArgument("dead_unit_fraction: got an undefined tensor");
  const std::int64_t units = detail::units_of(relu_output);
  if (units == 0) return kNotMeasured;
  std::vector<char> alive(static_cast<std::size_t>(units), 0);
  const std::int64_t alive_units = detail::mark_alive_units(relu_output, alive);
  return static_cast<double>(units - alive_units) / static_cast<double>(units);
}

double saturated_fraction(const Tensor& output, Squashing kind, double epsilon) {
  if (!output.defined()) throw InvalidArgument("saturated_fraction: got an undefined tensor");
  if (!(epsilon > 0 && epsilon < 0.5)) {
    std::ostringstream got;
    got << epsilon;
    throw InvalidArgument("saturated_fraction: epsilon must be in (0, 0.5), got " + got.str());
  }
  if (output.numel() == 0) return kNotMeasured;
  return static_cast<double>(detail::count_saturated(output, kind, epsilon)) / static_cast<double>(output.numel());
}

}  // namespace tg::nn
