#include "tapegrad/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/format.hpp"

namespace tg::optim {
namespace {

// The gradient of params[i], or an undefined tensor; throws for an undefined
// parameter or a gradient that is not float32/float64.
Tensor grad_of(const std::vector<Tensor>& params, std::size_t i, const char* fn) {
  if (!params[i].defined()) {
    throw InvalidArgument(std::string(fn) + ": parameter " + std::to_string(i) + " is an undefined tensor");
  }
  Tensor g = params[i].grad();
  if (g.defined() && !is_floating(g.dtype())) {
    throw DtypeError(std::string(fn) + ": the gradient of parameter " + std::to_string(i) + " is " +
                     dtype_name(g.dtype()) + ", expected float32 or float64");
  }
  return g;
}

template <class T>
bool all_finite(const T* g, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    if (!std::isfinite(g[j])) return false;
  }
  return true;
}

// Σ |g|^p over one gradient (p finite), or max |g| (p infinite), in double.
template <class T>
double accumulate(const T* g, std::int64_t n, double p, double total) {
  if (std::isinf(p)) {
    for (std::int64_t j = 0; j < n; ++j) {
      const double a = std::abs(static_cast<double>(g[j]));
      if (!(a <= total)) total = a;  // a NaN wins, so that the norm is NaN
    }
  } else if (p == 2) {
    for (std::int64_t j = 0; j < n; ++j) total += static_cast<double>(g[j]) * static_cast<double>(g[j]);
  } else if (p == 1) {
    for (std::int64_t j = 0; j < n; ++j) total += std::abs(static_cast<double>(g[j]));
  } else {
    for (std::int64_t j = 0; j < n; ++j) total += std::pow(std::abs(static_cast<double>(g[j])), p);
  }
  return total;
}

template <class T>
void scale(T* g, std::int64_t n, double factor) {
  const T f = static_cast<T>(factor);
  for (std::int64_t j = 0; j < n; ++j) g[j] *= f;
}

template <class T>
void clamp(T* g, std::int64_t n, double clip) {
  const T hi = static_cast<T>(clip), lo = -hi;
  for (std::int64_t j = 0; j < n; ++j) {
    if (g[j] > hi) g[j] = hi;
    else if (g[j] < lo) g[j] = lo;
  }
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0)) throw InvalidArgument("clip_grad_norm: max_norm must be >= 0, got " + number_str(max_norm));
  if (!(norm_type > 0)) {
    throw InvalidArgument("clip_grad_norm: norm_type must be > 0 (or infinity for the max norm), got " +
                          number_str(norm_type));
  }
  double total = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor g = grad_of(params, i, "clip_grad_norm");
    if (!g.defined()) continue;
    total = dispatch_floating(g.dtype(), "clip_grad_norm",
                              [&]<class T>() { return accumulate(g.data<T>(), g.numel(), norm_type, total); });
  }
  const double norm = std::isinf(norm_type) || norm_type == 1 ? total
                      : norm_type == 2                        ? std::sqrt(total)
                                                              : std::pow(total, 1 / norm_type);
  if (!std::isfinite(norm)) {
    if (!error_if_nonfinite) return norm;
    std::size_t first = 0;
    while (first < params.size()) {
      const Tensor g = params[first].grad();
      if (g.defined() &&
          !dispatch_floating(g.dtype(), "clip_grad_norm", [&]<class T>() { return all_finite(g.data<T>(), g.numel()); })) {
        break;
      }
      ++first;
    }
    std::string message = "clip_grad_norm: the total " + number_str(norm_type) + "-norm of the gradients is " +
                          number_str(norm) + ", not finite";
    if (first < params.size()) {
      message += " (the gradient of parameter " + std::to_string(first) + " " + params[first].shape().str() +
                 " holds a NaN or an infinity)";
    } else {
      message += " (their sum of powers overflowed)";
    }
    throw std::runtime_error(message + "; the gradients were left unchanged");
  }
  if (norm > max_norm) {
    const double factor = max_norm / (norm + 1e-6);
    for (std::size_t i = 0; i < params.size(); ++i) {
      Tensor g = params[i].grad();
      if (!g.defined()) continue;
      dispatch_floating(g.dtype(), "clip_grad_norm", [&]<class T>() { scale(g.mutable_data<T>(), g.numel(), factor); });
    }
  }
  return norm;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip) {
  if (!(clip >= 0)) throw InvalidArgument("clip_grad_value: clip must be >= 0, got " + number_str(clip));
  for (std::size_t i = 0; i < params.size(); ++i) grad_of(params, i, "clip_grad_value");  // check all first
  for (std::size_t i = 0; i < params.size(); ++i) {
    Tensor g = grad_of(params, i, "clip_grad_value");
    if (!g.defined()) continue;
    dispatch_floating(g.dtype(), "clip_grad_value", [&]<class T>() { clamp(g.mutable_data<T>(), g.numel(), clip); });
  }
}

}  // namespace tg::optim
