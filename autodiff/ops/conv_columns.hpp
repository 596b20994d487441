// The batch layout of unfold and fold, behind conv1d and conv2d: every
// image's windows side by side in one matrix, so a convolution over the batch
// is one gemm. Private; declared here for the tests.
#pragma once

#include "tapegrad/autodiff/nn_ops.hpp"

namespace tg::detail {

/// unfold with the images side by side: (N, C, H, W) -> (C·kh·kw, N·Ho·Wo),
/// rows ordered (c, ki, kj), column n·Ho·Wo + oh·Wo + ow; the values of
/// unfold(x) permuted. A primitive; its VJP is fold_batch.
Tensor unfold_batch(const Tensor& x, Extent2 kernel, const Conv2dOptions& options = {},
                    Site site = Site::current());
/// The adjoint of unfold_batch: (C·kh·kw, N·Ho·Wo) -> (N, C, H, W) with
/// N = batch and (H, W) = output_size, overlaps added up. A primitive; its
/// VJP is unfold_batch.
Tensor fold_batch(const Tensor& cols, std::int64_t batch, Extent2 output_size, Extent2 kernel,
                  const Conv2dOptions& options = {}, Site site = Site::current());

}  // namespace tg::detail
