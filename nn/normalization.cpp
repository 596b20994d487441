// BatchNorm1d, BatchNorm2d and LayerNorm: each a few taped ops; the running
// statistics are updated outside the tape.
#include "tapegrad/nn/normalization.hpp"

#include <sstream>
#include <utility>
#include <vector>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

namespace {

void check_float_dtype(Dtype dtype, const std::string& layer) {
  if (!is_floating(dtype)) {
    throw DtypeError(layer + ": the layer holds float32 or float64 values, got dtype " + dtype_name(dtype));
  }
}

// The input is defined, floating, and of the dtype of the layer's tensors
// (`held`, undefined when the layer holds none).
void check_input_dtype(const Tensor& x, const Tensor& held, const std::string& layer) {
  if (!x.defined()) throw InvalidArgument(layer + ": the input is undefined");
  if (!is_floating(x.dtype())) {
    throw DtypeError(layer + ": expected a float32 or float64 input, got " + dtype_name(x.dtype()));
  }
  if (held.defined() && held.dtype() != x.dtype()) {
    throw DtypeError(layer + ": the input is " + dtype_name(x.dtype()) + " but the layer holds " +
                     dtype_name(held.dtype()) + " (convert one of them: module.to(dtype) or to_dtype(x, dtype))");
  }
}

}  // namespace

// --- BatchNorm -------------------------------------------------------------------

BatchNorm::BatchNorm(std::string type, std::int64_t features, const BatchNormOptions& opts, int min_rank,
                     int max_rank, std::string layout)
    : Module(std::move(type)),
      num_features(features),
      options(opts),
      min_rank_(min_rank),
      max_rank_(max_rank),
      layout_(std::move(layout)) {
  if (features <= 0) {
    throw InvalidArgument(type_name() + ": num_features must be positive, got " + std::to_string(features));
  }
  if (!(options.eps >= 0)) throw InvalidArgument(name() + ": eps must be >= 0, got " + number_str(options.eps));
  if (options.momentum && !(*options.momentum >= 0 && *options.momentum <= 1)) {
    throw InvalidArgument(name() + ": momentum must be in [0, 1], got " + number_str(*options.momentum));
  }
  check_float_dtype(options.dtype, name());
  if (options.affine) {
    weight = register_parameter("weight", ones({features}, options.dtype));
    bias = register_parameter("bias", zeros({features}, options.dtype));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({features}, options.dtype));
    running_var = register_buffer("running_var", ones({features}, options.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, i64));
  }
}

std::string BatchNorm::name() const { return type_name() + "(" + std::to_string(num_features) + ")"; }

Tensor BatchNorm::forward(const Tensor& x) {
  check_input_dtype(x, weight.defined() ? weight : running_mean, name());
  if (x.rank() < min_rank_ || x.rank() > max_rank_) {
    throw ShapeError(name() + ": expected an input " + layout_ + ", got " + x.shape().str());
  }
  const std::int64_t channels = num_features;
  if (x.size(1) != channels) {
    throw ShapeError(name() + ": expected " + std::to_string(channels) + " channels on axis 1 of an input " +
                     layout_ + ", got " + x.shape().str());
  }
  // Statistics per channel over every axis but 1; (C,) tensors are viewed
  // as (1, C, 1, ...) to broadcast against x.
  Axes axes{0};
  for (int a = 2; a < x.rank(); ++a) axes.push_back(a);
  std::vector<std::int64_t> per_channel(static_cast<std::size_t>(x.rank()), 1);
  per_channel[1] = channels;
  const Shape stat_shape(per_channel);
  const std::int64_t n = x.numel() / channels;  // values per channel

  Tensor centered, inv_std;
  if (is_training() || !running_mean.defined()) {
    if (is_training() && n <= 1) {
      throw InvalidArgument(name() + ": Expected more than 1 value per channel when training, got input size " +
                            x.shape().str());
    }
    const Tensor batch_mean = mean(x, axes, true);             // (1, C, 1, ...)
    centered = x - batch_mean;
    const Tensor batch_var = mean(centered * centered, axes, true);  // biased: / n
    inv_std = pow(batch_var + options.eps, -0.5);
    if (is_training() && running_mean.defined()) {
      // Outside the tape: running = (1 − m)·running + m·batch, with the
      // unbiased variance (· n / (n − 1)), as PyTorch does.
      NoGrad no_grad;
      std::int64_t& steps = *num_batches_tracked.mutable_data<std::int64_t>();
      ++steps;
      const double m = options.momentum ? *options.momentum : 1.0 / static_cast<double>(steps);
      const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
      running_mean.copy_(running_mean * (1 - m) + reshape(batch_mean.detach(), {channels}) * m);
      running_var.copy_(running_var * (1 - m) + reshape(batch_var.detach(), {channels}) * (m * unbias));
    }
  } else {
    centered = x - reshape(running_mean, stat_shape);
    inv_std = pow(reshape(running_var, stat_shape) + options.eps, -0.5);
  }
  // Scale the (1, C, 1, ...) statistics before touching the whole input.
  const Tensor scale = weight.defined() ? inv_std * reshape(weight, stat_shape) : inv_std;
  Tensor y = centered * scale;
  if (bias.defined()) y = y + reshape(bias, stat_shape);
  return y;
}

std::string BatchNorm::describe() const {
  std::string out = std::to_string(num_features) + ", eps = " + number_str(options.eps) + ", momentum = " +
                    (options.momentum ? number_str(*options.momentum) : std::string("cumulative"));
  if (!options.affine) out += ", no affine";
  if (!options.track_running_stats) out += ", no running stats";
  return out;
}

BatchNorm1d::BatchNorm1d(std::int64_t features, const BatchNormOptions& opts)
    : BatchNorm("BatchNorm1d", features, opts, 2, 3, "(N, " + std::to_string(features) + ") or (N, " +
                                                         std::to_string(features) + ", L)") {}

BatchNorm2d::BatchNorm2d(std::int64_t features, const BatchNormOptions& opts)
    : BatchNorm("BatchNorm2d", features, opts, 4, 4, "(N, " + std::to_string(features) + ", H, W)") {}

// --- LayerNorm -----------------------------------------------------------------

LayerNorm::LayerNorm(Shape shape, const LayerNormOptions& opts)
    : Module("LayerNorm"), normalized_shape(shape), options(opts) {
  bool positive = shape.rank() > 0;
  for (std::int64_t extent : shape) positive = positive && extent > 0;
  if (!positive) {
    throw InvalidArgument("LayerNorm: normalized_shape must have at least one axis, each of positive extent, got " +
                          shape.str());
  }
  if (!(options.eps >= 0)) throw InvalidArgument("LayerNorm: eps must be >= 0, got " + number_str(options.eps));
  check_float_dtype(options.dtype, "LayerNorm");
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(shape, options.dtype));
    if (options.bias) bias = register_parameter("bias", zeros(shape, options.dtype));
  }
}

LayerNorm::LayerNorm(std::int64_t size, const LayerNormOptions& opts) : LayerNorm(Shape{size}, opts) {}

Tensor LayerNorm::forward(const Tensor& x) {
  const std::string layer = "LayerNorm(" + normalized_shape.str() + ")";
  check_input_dtype(x, weight, layer);
  const int k = normalized_shape.rank();
  bool fits = x.rank() >= k;
  for (int i = 0; fits && i < k; ++i) fits = x.size(x.rank() - k + i) == normalized_shape[i];
  if (!fits) {
    std::string expected = "(...";
    for (std::int64_t extent : normalized_shape) expected += ", " + std::to_string(extent);
    throw ShapeError(layer + ": expected an input " + expected + ") ending in the normalized shape, got " +
                     x.shape().str());
  }
  Axes axes;
  for (int a = x.rank() - k; a < x.rank(); ++a) axes.push_back(a);
  const Tensor centered = x - mean(x, axes, true);
  const Tensor variance = mean(centered * centered, axes, true);  // biased: / n
  Tensor y = centered * pow(variance + options.eps, -0.5);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

std::string LayerNorm::describe() const {
  return normalized_shape.str() + ", eps = " + number_str(options.eps) +
         (options.elementwise_affine ? (options.bias ? "" : ", no bias") : ", no affine");
}

}  // namespace tg::nn
