// Convolution and pooling layers over tg::conv1d/conv2d and the pooling ops.
#pragma once

#include <string>

#include "../autodiff/creation.hpp"
#include "../autodiff/nn_ops.hpp"
#include "module.hpp"

namespace tg::nn {

/// Options of Conv2d: `Conv2d(1, 8, 3, {.padding = 1})`.
struct Conv2dLayerOptions {
  Extent2 stride{1, 1};
  Extent2 padding{0, 0};
  Extent2 dilation{1, 1};
  bool bias = true;
  /// The weight's initializer (init::by_name); fans count the receptive
  /// field (fan_in = C·kh·kw). Glorot uniform like Keras; "he_normal" for
  /// ReLU nets. The bias starts at zero.
  std::string init = "glorot_uniform";
  Dtype dtype = f32;
  Generator* generator = nullptr;  ///< default_generator() when null
};

/// Options of Conv1d: `Conv1d(16, 32, 5, {.stride = 2})`.
struct Conv1dLayerOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  bool bias = true;
  std::string init = "glorot_uniform";  ///< as Conv2dLayerOptions::init
  Dtype dtype = f32;
  Generator* generator = nullptr;
};

/// 2-D convolution (cross-correlation, as in PyTorch): (N, C_in, H, W) ->
/// (N, C_out, Ho, Wo). weight (C_out, C_in, kh, kw), bias (C_out,).
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Extent2 kernel,
         const Conv2dLayerOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  std::int64_t in_channels, out_channels;
  Extent2 kernel;
  Conv2dOptions geometry;
  Tensor weight, bias;
};

/// 1-D convolution: (N, C_in, L) -> (N, C_out, Lo). weight (C_out, C_in, k).
class Conv1d : public Module {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel,
         const Conv1dLayerOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  std::int64_t in_channels, out_channels, kernel;
  Conv1dOptions geometry;
  Tensor weight, bias;
};

/// 2-D max pooling, (N, C, H, W) -> (N, C, Ho, Wo); stride = kernel unless set.
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Extent2 kernel, const MaxPool2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Extent2 kernel;
  MaxPool2dOptions options;
};

/// 2-D average pooling, (N, C, H, W) -> (N, C, Ho, Wo); stride = kernel unless set.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Extent2 kernel, const AvgPool2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Extent2 kernel;
  AvgPool2dOptions options;
};

}  // namespace tg::nn
