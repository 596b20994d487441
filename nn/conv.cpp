// Conv1d, Conv2d, MaxPool2d, AvgPool2d: parameters and checks around the ops.
#include "tapegrad/nn/conv.hpp"

#include "layer_support.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn {

namespace {

std::string pair_str(Extent2 e) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "(" + std::to_string(...).
  std::string s = "(";
  s += std::to_string(e.h);
  s += ", ";
  s += std::to_string(e.w);
  s += ")";
  return s;
}

void check_sizes(const char* layer, std::int64_t in, std::int64_t out, bool kernel_ok, const std::string& kernel) {
  if (in <= 0 || out <= 0 || !kernel_ok) {
    throw InvalidArgument(std::string(layer) + ": channels and kernel size must be positive, got in_channels " +
                          std::to_string(in) + ", out_channels " + std::to_string(out) + ", kernel " + kernel);
  }
}

void check_pool_kernel(const char* layer, Extent2 kernel) {
  if (kernel.h <= 0 || kernel.w <= 0) {
    throw InvalidArgument(std::string(layer) + ": kernel size must be positive, got " + pair_str(kernel));
  }
}

// The layer's own check, before the op's: it knows the layer's name and
// configuration, which the op does not.
void check_channels(const Tensor& x, int rank, const char* layout, std::int64_t channels, const Module& layer) {
  detail::check_rank(x, rank, false, layer, [&] { return "an input " + std::string(layout); });
  if (x.size(1) != channels) {
    throw ShapeError(detail::layer_name(layer) + ": expected " + std::to_string(channels) +
                     " input channels on axis 1 of " + layout + ", got " + x.shape().str());
  }
}

}  // namespace

Conv2d::Conv2d(std::int64_t in, std::int64_t out, Extent2 k, const Conv2dLayerOptions& o)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel(k),
      geometry{.stride = o.stride, .padding = o.padding, .dilation = o.dilation} {
  check_sizes("Conv2d", in, out, k.h > 0 && k.w > 0, pair_str(k));
  weight = register_parameter("weight", detail::initialized({out, in, k.h, k.w}, o.init, o.dtype, o.generator));
  if (o.bias) bias = register_parameter("bias", zeros({out}, o.dtype));
}

Tensor Conv2d::forward(const Tensor& x) {
  check_channels(x, 4, "(N, C, H, W)", in_channels, *this);
  return conv2d(x, weight, bias, geometry);
}

std::string Conv2d::describe() const {
  std::string s = std::to_string(in_channels) + " -> " + std::to_string(out_channels) + ", kernel " + pair_str(kernel);
  if (geometry.stride.h != 1 || geometry.stride.w != 1) s += ", stride " + pair_str(geometry.stride);
  if (geometry.padding.h != 0 || geometry.padding.w != 0) s += ", padding " + pair_str(geometry.padding);
  if (geometry.dilation.h != 1 || geometry.dilation.w != 1) s += ", dilation " + pair_str(geometry.dilation);
  if (!bias.defined()) s += ", no bias";
  return s;
}

Conv1d::Conv1d(std::int64_t in, std::int64_t out, std::int64_t k, const Conv1dLayerOptions& o)
    : Module("Conv1d"), in_channels(in), out_channels(out), kernel(k),
      geometry{.stride = o.stride, .padding = o.padding, .dilation = o.dilation} {
  check_sizes("Conv1d", in, out, k > 0, std::to_string(k));
  weight = register_parameter("weight", detail::initialized({out, in, k}, o.init, o.dtype, o.generator));
  if (o.bias) bias = register_parameter("bias", zeros({out}, o.dtype));
}

Tensor Conv1d::forward(const Tensor& x) {
  check_channels(x, 3, "(N, C, L)", in_channels, *this);
  return conv1d(x, weight, bias, geometry);
}

std::string Conv1d::describe() const {
  std::string s = std::to_string(in_channels) + " -> " + std::to_string(out_channels) + ", kernel " +
                  std::to_string(kernel);
  if (geometry.stride != 1) s += ", stride " + std::to_string(geometry.stride);
  if (geometry.padding != 0) s += ", padding " + std::to_string(geometry.padding);
  if (geometry.dilation != 1) s += ", dilation " + std::to_string(geometry.dilation);
  if (!bias.defined()) s += ", no bias";
  return s;
}

MaxPool2d::MaxPool2d(Extent2 k, const MaxPool2dOptions& o) : Module("MaxPool2d"), kernel(k), options(o) {
  check_pool_kernel("MaxPool2d", k);
}

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel, options); }

std::string MaxPool2d::describe() const {
  return "kernel " + pair_str(kernel) + ", stride " + pair_str(options.stride.or_kernel(kernel));
}

AvgPool2d::AvgPool2d(Extent2 k, const AvgPool2dOptions& o) : Module("AvgPool2d"), kernel(k), options(o) {
  check_pool_kernel("AvgPool2d", k);
}

Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, kernel, options); }

std::string AvgPool2d::describe() const {
  return "kernel " + pair_str(kernel) + ", stride " + pair_str(options.stride.or_kernel(kernel));
}

}  // namespace tg::nn
