// Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm, PyTorch's
// semantics and defaults. Each is a few taped ops (mean, a square, a power),
// so the tape differentiates through the batch statistics too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../autodiff/creation.hpp"
#include "module.hpp"

namespace tg::nn {

/// Options of BatchNorm1d and BatchNorm2d: `BatchNorm2d(64, {.momentum = 0.01})`.
struct BatchNormOptions {
  /// Added to the variance before its square root.
  double eps = 1e-5;
  /// Weight of the new batch in the running statistics:
  /// running = (1 − momentum)·running + momentum·batch. Unset: a cumulative
  /// average over every batch so far (momentum = 1 / num_batches_tracked).
  std::optional<double> momentum = 0.1;
  /// A learnable per-channel scale `weight` (ones) and shift `bias` (zeros).
  bool affine = true;
  /// Keep running_mean and running_var (buffers) and use them in evaluation
  /// mode; without them, evaluation normalises with the batch statistics too.
  bool track_running_stats = true;
  Dtype dtype = f32;
};

/// Batch normalisation over axis 1 (the channels), Ioffe & Szegedy, 2015,
/// "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift":
///
///     y = (x − E[x]) / sqrt(Var[x] + eps) · weight + bias
///
/// E and Var per channel over every other axis. In training mode they are the
/// batch's (Var biased, divided by n), and the running statistics are updated
/// outside the tape with the unbiased variance (divided by n − 1); in
/// evaluation mode the running statistics are used. Training on one value
/// per channel throws, as in PyTorch: its variance would be zero.
///
/// The base of BatchNorm1d and BatchNorm2d, which fix the input ranks.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  std::int64_t num_features;
  BatchNormOptions options;
  Tensor weight;               ///< (C,), ones; undefined without affine
  Tensor bias;                 ///< (C,), zeros; undefined without affine
  Tensor running_mean;         ///< (C,), zeros; undefined without track_running_stats
  Tensor running_var;          ///< (C,), ones; undefined without track_running_stats
  Tensor num_batches_tracked;  ///< (), int64: training steps taken; undefined without track_running_stats

 protected:
  /// `type_name` "BatchNorm1d"; `min_rank`..`max_rank` the ranks accepted,
  /// `layout` the input's axes for messages ("(N, C) or (N, C, L)").
  BatchNorm(std::string type_name, std::int64_t num_features, const BatchNormOptions& options, int min_rank,
            int max_rank, std::string layout);

 private:
  std::string name() const;
  int min_rank_, max_rank_;
  std::string layout_;
};

/// Batch normalisation of (N, C) or (N, C, L) inputs; statistics per channel
/// over N (and L). Output shape = input shape.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, const BatchNormOptions& options = {});
};

/// Batch normalisation of (N, C, H, W) inputs; statistics per channel over
/// N, H and W. Output shape = input shape.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, const BatchNormOptions& options = {});
};

/// Options of LayerNorm.
struct LayerNormOptions {
  double eps = 1e-5;
  /// A learnable `weight` (ones) and `bias` (zeros) of normalized_shape.
  bool elementwise_affine = true;
  /// With elementwise_affine, whether there is a bias.
  bool bias = true;
  Dtype dtype = f32;
};

/// Layer normalisation, Ba, Kiros & Hinton, 2016, "Layer Normalization":
/// each sample is normalised over its last axes, those of `normalized_shape`,
///
///     y = (x − E[x]) / sqrt(Var[x] + eps) · weight + bias
///
/// with the biased variance; the same in training and evaluation mode.
/// x (..., *normalized_shape) -> the same shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, const LayerNormOptions& options = {});
  /// One axis: `LayerNorm(512)`.
  explicit LayerNorm(std::int64_t normalized_size, const LayerNormOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Shape normalized_shape;
  LayerNormOptions options;
  Tensor weight;  ///< normalized_shape, ones; undefined without elementwise_affine
  Tensor bias;    ///< normalized_shape, zeros; undefined without it
};

}  // namespace tg::nn
