// Elementwise unary primitives: forward kernel and VJP side by side. VJPs
// reuse the output where the derivative allows (exp, sqrt, tanh, sigmoid,
// relu, elu). tanh, sigmoid and relu, the activations of every network, run
// their VJP as one fused pass when the backward pass is not recorded (the
// taped form otherwise, for higher derivatives): one pass and one buffer
// instead of two or three. Their float32 forms run the loops of
// kernels/float32_loops.hpp (AVX2 or AVX-512 where the CPU has it). A mask (x > 0,
// lo <= x <= hi) is a constant: its derivative is zero almost everywhere, so
// it is computed off the tape.
#include <cmath>
#include <numbers>
#include <sstream>

#include "../kernels/float32_loops.hpp"
#include "common.hpp"
#include "tapegrad/autodiff/format.hpp"

namespace tg {

using namespace ops;

namespace {

// A constant tensor (no record) with f applied to each element of x.
template <class F>
Tensor constant_map(const Tensor& x, const char* op, F f) {
  NoGrad no_grad;
  return map_unary(x, op, Site(), f);
}

Tensor positive_mask(const Tensor& x) {
  return constant_map(x, "mask", [](auto v) { return v > 0 ? 1.0 : 0.0; });
}

}  // namespace

Tensor neg(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "neg", site, [](auto v) { return -v; });
  if (should_record(x)) record("neg", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, neg(g)); }, x);
  return y;
}

Tensor exp(const Tensor& x, Site site) {
  Tensor y = kernels::is_float32(x) ? kernels::map_float32(x, kernels::float32_loops().exp)
                                  : map_unary(x, "exp", site, [](auto v) { return std::exp(v); });
  if (should_record(x)) {
    record("exp", site, y, [ys = saved(y)](const Tensor& g, VjpContext& ctx) { ctx.set(0, g * ctx.output(ys)); }, x);
  }
  return y;
}

Tensor log(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "log", site, [](auto v) { return std::log(v); });
  if (should_record(x)) record("log", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get(); ctx.set(0, g / x); }, x);
  return y;
}

Tensor sqrt(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "sqrt", site, [](auto v) { return std::sqrt(v); });
  if (should_record(x)) {
    record("sqrt", site, y, [ys = saved(y)](const Tensor& g, VjpContext& ctx) {
      ctx.set(0, (g * 0.5) / ctx.output(ys));
    }, x);
  }
  return y;
}

Tensor abs(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "abs", site, [](auto v) { return std::abs(v); });
  if (should_record(x)) {
    record("abs", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get(); ctx.set(0, g * sign(x)); }, x);
  }
  return y;
}

Tensor sin(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "sin", site, [](auto v) { return std::sin(v); });
  if (should_record(x)) record("sin", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get(); ctx.set(0, g * cos(x)); }, x);
  return y;
}

Tensor cos(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "cos", site, [](auto v) { return std::cos(v); });
  if (should_record(x)) record("cos", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get(); ctx.set(0, -(g * sin(x))); }, x);
  return y;
}

Tensor tanh(const Tensor& x, Site site) {
  Tensor y = kernels::is_float32(x) ? kernels::map_float32(x, kernels::float32_loops().tanh)
                                  : map_unary(x, "tanh", site, [](auto v) { return std::tanh(v); });
  if (should_record(x)) {
    record("tanh", site, y, [ys = saved(y), site](const Tensor& g, VjpContext& ctx) {
      if (!ctx.create_graph()) {
        ctx.set(0, kernels::same_shape_float32(g, ys.get())
                     ? kernels::map_float32(g, ys.get(), kernels::float32_loops().tanh_vjp)
                     : map_binary(g, ys.get(), "tanh", site, [](auto gv, auto yv) { return gv * (1 - yv * yv); }));
        return;
      }
      const Tensor out = ctx.output(ys);
      ctx.set(0, g * (1.0 - out * out));
    }, x);
  }
  return y;
}

Tensor erf(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "erf", site, [](auto v) { return std::erf(v); });
  if (should_record(x)) {
    record("erf", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      // d/dx erf(x) = 2/√π · e^(−x²)
      ctx.set(0, g * (exp(-(x * x)) * (2.0 / std::sqrt(std::numbers::pi))));
    }, x);
  }
  return y;
}

Tensor sigmoid(const Tensor& x, Site site) {
  Tensor y = kernels::is_float32(x) ? kernels::map_float32(x, kernels::float32_loops().sigmoid)
                                  : map_unary(x, "sigmoid", site, [](auto v) { return stable_sigmoid(v); });
  if (should_record(x)) {
    record("sigmoid", site, y, [ys = saved(y), site](const Tensor& g, VjpContext& ctx) {
      if (!ctx.create_graph()) {
        ctx.set(0, kernels::same_shape_float32(g, ys.get())
                     ? kernels::map_float32(g, ys.get(), kernels::float32_loops().sigmoid_vjp)
                     : map_binary(g, ys.get(), "sigmoid", site, [](auto gv, auto yv) { return gv * (yv * (1 - yv)); }));
        return;
      }
      const Tensor out = ctx.output(ys);
      ctx.set(0, g * (out * (1.0 - out)));
    }, x);
  }
  return y;
}

Tensor relu(const Tensor& x, Site site) {
  // v <= 0 rather than v > 0: NaN is neither, and stays NaN (PyTorch).
  Tensor y = kernels::is_float32(x) ? kernels::map_float32(x, kernels::float32_loops().relu)
                                  : map_unary(x, "relu", site, [](auto v) { return v <= 0 ? decltype(v)(0) : v; });
  if (should_record(x)) {
    record("relu", site, y, [ys = saved(y), site](const Tensor& g, VjpContext& ctx) {
      if (!ctx.create_graph()) {
        ctx.set(0, kernels::same_shape_float32(g, ys.get())
                     ? kernels::map_float32(g, ys.get(), kernels::float32_loops().relu_vjp)
                     : map_binary(g, ys.get(), "relu", site, [](auto gv, auto yv) { return yv > 0 ? gv : decltype(gv)(0); }));
        return;
      }
      ctx.set(0, g * positive_mask(ys.get()));
    }, x);
  }
  return y;
}

Tensor leaky_relu(const Tensor& x, double slope, Site site) {
  Tensor y = map_unary(x, "leaky_relu", site, [slope](auto v) {
    return v > 0 ? v : static_cast<decltype(v)>(slope) * v;
  });
  if (should_record(x)) {
    record("leaky_relu", site, y, [sx = detail::Saved(x), slope](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      ctx.set(0, g * constant_map(x, "leaky_relu", [slope](auto v) { return v > 0 ? 1.0 : slope; }));
    }, x);
  }
  return y;
}

Tensor elu(const Tensor& x, double alpha, Site site) {
  Tensor y = map_unary(x, "elu", site, [alpha](auto v) {
    using T = decltype(v);
    return v > 0 ? v : static_cast<T>(alpha) * std::expm1(v);
  });
  if (should_record(x)) {
    record("elu", site, y, [sx = detail::Saved(x), ys = saved(y), alpha](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      // d/dx = 1 for x > 0, α·e^x = y + α otherwise.
      const Tensor pos = positive_mask(x);
      ctx.set(0, g * where(pos, scalar(1.0, x.dtype()), ctx.output(ys) + alpha));
    }, x);
  }
  return y;
}

Tensor selu(const Tensor& x, Site site) {
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  check_float(x, "selu", site);  // name selu, not the elu it is made of
  return elu(x, kAlpha, site) * kScale;
}

Tensor softplus(const Tensor& x, double beta, double threshold, Site site) {
  check_float(x, "softplus", site);
  if (!(beta > 0)) {
    throw InvalidArgument("softplus: beta must be > 0, got " + number_str(beta) + " (x of shape " +
                              x.shape().str() + ")",
                          site);
  }
  Tensor y = map_unary(x, "softplus", site, [beta, threshold](auto v) {
    using T = decltype(v);
    const T bv = static_cast<T>(beta) * v;
    return bv > static_cast<T>(threshold) ? v : std::log1p(std::exp(bv)) / static_cast<T>(beta);
  });
  if (should_record(x)) {
    record("softplus", site, y, [sx = detail::Saved(x), beta, threshold](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      // σ(βx), and 1 where the forward is linear (βx > threshold), so the gradient is that of y.
      const Tensor linear = constant_map(x, "softplus", [beta, threshold](auto v) {
        using T = decltype(v);
        return static_cast<T>(beta) * v > static_cast<T>(threshold) ? 1.0 : 0.0;
      });
      ctx.set(0, g * where(linear, scalar(1.0, x.dtype()), sigmoid(x * beta)));
    }, x);
  }
  return y;
}

Tensor gelu(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "gelu", site, [](auto v) {
    using T = decltype(v);
    return T(0.5) * v * (T(1) + std::erf(v * static_cast<T>(std::numbers::sqrt2 / 2)));
  });
  if (should_record(x)) {
    record("gelu", site, y, [sx = detail::Saved(x)](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      // d/dx xΦ(x) = Φ(x) + x·φ(x)
      const Tensor cdf = (erf(x * (std::numbers::sqrt2 / 2)) + 1.0) * 0.5;
      const Tensor pdf = exp(x * x * -0.5) * (1.0 / std::sqrt(2.0 * std::numbers::pi));
      ctx.set(0, g * (cdf + x * pdf));
    }, x);
  }
  return y;
}

Tensor clamp(const Tensor& x, double lo, double hi, Site site) {
  check_float(x, "clamp", site);
  if (!(lo <= hi)) {  // NaN bounds too
    throw InvalidArgument("clamp: expected lo <= hi, got lo = " + number_str(lo) + ", hi = " + number_str(hi) +
                              " (x of shape " + x.shape().str() + ")",
                          site);
  }
  Tensor y = map_unary(x, "clamp", site, [lo, hi](auto v) {
    using T = decltype(v);
    return std::min(std::max(v, static_cast<T>(lo)), static_cast<T>(hi));
  });
  if (should_record(x)) {
    record("clamp", site, y, [sx = detail::Saved(x), lo, hi](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      ctx.set(0, g * constant_map(x, "clamp", [lo, hi](auto v) { return v >= lo && v <= hi ? 1.0 : 0.0; }));
    }, x);
  }
  return y;
}

Tensor pow(const Tensor& x, double p, Site site) {
  Tensor y = map_unary(x, "pow", site, [p](auto v) {
    using T = decltype(v);
    if (p == 2.0) return v * v;
    return static_cast<T>(std::pow(v, static_cast<T>(p)));
  });
  if (should_record(x)) {
    record("pow", site, y, [sx = detail::Saved(x), p](const Tensor& g, VjpContext& ctx) {
      const Tensor& x = sx.get();
      if (p == 0.0) ctx.set(0, zeros_like(g));
      else if (p == 1.0) ctx.set(0, g);
      else if (p == 2.0) ctx.set(0, g * (x * 2.0));
      else ctx.set(0, g * (pow(x, p - 1.0) * p));
    }, x);
  }
  return y;
}

// Step functions are recorded with a zero gradient (as in PyTorch), so that
// grad(sum(sign(x)), x) is zeros rather than an error.
Tensor heaviside(const Tensor& x, double at_zero, Site site) {
  Tensor y = map_unary(x, "heaviside", site, [at_zero](auto v) {
    using T = decltype(v);
    // NaN is neither side of the step: it stays NaN (NumPy).
    return v > 0 ? T(1) : (v < 0 ? T(0) : (v == 0 ? static_cast<T>(at_zero) : v));
  });
  if (should_record(x)) record("heaviside", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, zeros_like(g)); }, x);
  return y;
}

Tensor sign(const Tensor& x, Site site) {
  Tensor y = map_unary(x, "sign", site, [](auto v) {
    using T = decltype(v);
    return v > 0 ? T(1) : (v < 0 ? T(-1) : (v == 0 ? T(0) : v));  // NaN stays NaN (NumPy)
  });
  if (should_record(x)) record("sign", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, zeros_like(g)); }, x);
  return y;
}

}  // namespace tg
