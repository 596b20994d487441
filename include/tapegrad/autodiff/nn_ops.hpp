// Network primitives: softmax, convolution, pooling, dropout, the LSTM cell.
// Each is a taped op (a primitive with its VJP, or a composition of
// primitives), so its gradients differentiate again like any other op's.
//
// Every op of this header is a row of the op table (tests/ops/op_table.hpp),
// which drives the gradcheck, dtype, non-contiguous and bad-input sweeps.
#pragma once

#include <cstdint>
#include <optional>

#include "creation.hpp"
#include "tensor.hpp"

namespace tg {

// --- convolution (autodiff/ops/conv.cpp) ---------------------------------------

/// Two extents, (height, width); one value means both, so `.stride = 2` is
/// `.stride = {2, 2}`.
struct Extent2 {
  std::int64_t h = 0, w = 0;
  constexpr Extent2() = default;
  constexpr Extent2(std::int64_t both) : h(both), w(both) {}  // NOLINT: implicit, so `.padding = 1` reads naturally
  constexpr Extent2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
};

/// Options of conv2d, unfold and fold, PyTorch's defaults:
/// `conv2d(x, w, b, {.stride = 2, .padding = {1, 0}})`.
struct Conv2dOptions {
  Extent2 stride{1, 1};
  Extent2 padding{0, 0};   ///< zeros added on both sides
  Extent2 dilation{1, 1};  ///< spacing between kernel taps
};

/// Options of conv1d.
struct Conv1dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
};

/// im2col: every kernel window of x as a column.
/// (N, C, H, W) -> (N, C·kh·kw, Ho·Wo), rows ordered (c, ki, kj), columns
/// (oh, ow), with Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1 (Wo alike) and
/// zeros where a window reaches into the padding. A primitive for speed (conv
/// through gemm); its VJP is fold.
Tensor unfold(const Tensor& x, Extent2 kernel, const Conv2dOptions& options = {},
              Site site = Site::current());
/// col2im, the adjoint of unfold: sums each column back into its window of
/// an (N, C, H, W) tensor, (H, W) = output_size, overlaps added up.
/// (N, C·kh·kw, Ho·Wo) -> (N, C, H, W). A primitive; its VJP is unfold.
Tensor fold(const Tensor& cols, Extent2 output_size, Extent2 kernel, const Conv2dOptions& options = {},
            Site site = Site::current());
/// 2-D cross-correlation (PyTorch's conv2d):
/// y[n, o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj]·x[n, c, i·sh − ph + ki·dh, j·sw − pw + kj·dw].
/// x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or an undefined Tensor for
/// none -> (N, O, Ho, Wo), Ho as in unfold. Composed: the whole batch's
/// windows unfolded side by side as (C·kh·kw, N·Ho·Wo), one gemm against the
/// weight as (O, C·kh·kw), the bias, then a permute to (N, O, Ho, Wo).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, const Conv2dOptions& options = {},
              Site site = Site::current());
/// 1-D cross-correlation: x (N, C, L), weight (O, C, k), bias (O,) or
/// undefined -> (N, O, Lo), Lo = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
/// Runs as conv2d over a height of 1.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, const Conv1dOptions& options = {},
              Site site = Site::current());

// --- recurrent cells (autodiff/ops/lstm_cell.cpp) -----------------------------

/// One LSTM step after its gemms: gates (N, 4H), the pre-activations in
/// PyTorch's order [i f g o]; c_prev (N, H) the previous cell state, or an
/// undefined Tensor for a zero state. Returns [h | c], (N, 2H), with
/// c = σ(f) ⊙ c_prev + σ(i) ⊙ tanh(g) and h = σ(o) ⊙ tanh(c); slice h and c
/// out of it (one output, like every op).
///
/// A primitive for speed: one pass forward, and one pass for the VJP (from
/// activations saved by the forward pass) where the composition of slices,
/// sigmoid, tanh, mul and add records 13 ops. A recorded backward pass
/// (create_graph) runs the VJP in taped ops, so higher derivatives work.
/// float32 uses the same fast sigmoid and tanh as tg::sigmoid and tg::tanh.
Tensor lstm_cell(const Tensor& gates, const Tensor& c_prev = {}, Site site = Site::current());

// --- softmax, pooling, dropout ------------------------------------------------

/// softmax(x)_j = exp(x_j / T) / Σ_i exp(x_i / T) along `axis` (negative
/// counts from the end); same shape as x, each slice along `axis` sums to 1.
/// T > 0: T > 1 flattens the distribution, T < 1 sharpens it.
///
/// A primitive, for speed and stability: the forward pass shifts each slice
/// by its max (no overflow at any magnitude) and reads x once per slice, and
/// the VJP reuses the output instead of saving x:
/// dx = s ⊙ (g − Σ_axis g ⊙ s) / T, written in taped ops (second
/// derivatives work). The composition exp(log_softmax(x)) would take four
/// ops and keep x and the logsumexp alive for the backward pass.
Tensor softmax(const Tensor& x, int axis = -1, double temperature = 1.0,
               Site site = Site::current());
/// log softmax(x) = x/T − logsumexp(x/T) along `axis`: a composition, exact
/// where log(softmax(x)) would round a tiny probability to 0 and give −inf.
Tensor log_softmax(const Tensor& x, int axis = -1, double temperature = 1.0,
                   Site site = Site::current());

/// A pooling stride that may be left unset, meaning "the kernel size":
/// `.stride = 2` and `.stride = {2, 3}` set it.
struct PoolStride {
  std::optional<Extent2> value;
  constexpr PoolStride() = default;
  constexpr PoolStride(std::int64_t both) : value(Extent2(both)) {}  // NOLINT: implicit, like Extent2
  constexpr PoolStride(std::int64_t height, std::int64_t width) : value(Extent2(height, width)) {}
  constexpr PoolStride(Extent2 extent) : value(extent) {}  // NOLINT
  /// The stride, or `kernel` when unset.
  constexpr Extent2 or_kernel(Extent2 kernel) const { return value.value_or(kernel); }
};

/// Options of max_pool2d (PyTorch's defaults): `max_pool2d(x, 3, {.stride = 2, .padding = 1})`.
struct MaxPool2dOptions {
  PoolStride stride{};     ///< the kernel when unset
  Extent2 padding{0, 0};   ///< −inf on both sides: at most half the kernel
  Extent2 dilation{1, 1};         ///< spacing between window taps
};

/// Options of avg_pool2d (PyTorch's defaults): `avg_pool2d(x, 2, {.stride = 1})`.
struct AvgPool2dOptions {
  PoolStride stride{};     ///< the kernel when unset
  Extent2 padding{0, 0};   ///< zeros on both sides: at most half the kernel
  /// Divide by kernel.h·kernel.w (true), or by the number of input elements
  /// in the window (false): they differ only where a window reaches into the
  /// padding.
  bool count_include_pad = true;
};

/// 2-D max pooling: (N, C, H, W) -> (N, C, Ho, Wo), the max of each window,
/// Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1 (floor mode; Wo alike).
/// The padding is −inf (never the max); every window must hold an input
/// element. The gradient goes to the first maximum of each window in
/// row-major order (PyTorch's rule for ties); NaN propagates.
/// The forward kernel finds the argmax of each window (flat indices into
/// H·W) and the output is a gather of x at them: the VJP is a scatter-add of
/// the gradient to the argmax, whose own VJP is the gather again, so second
/// derivatives work.
Tensor max_pool2d(const Tensor& x, Extent2 kernel, const MaxPool2dOptions& options = {},
                  Site site = Site::current());
/// 2-D average pooling: (N, C, H, W) -> (N, C, Ho, Wo), the mean of each
/// window, Ho as in max_pool2d (no dilation); the padding is zeros. A
/// primitive; being linear, its VJP is its adjoint (each output's gradient
/// spread evenly over its window), whose VJP is average pooling again.
Tensor avg_pool2d(const Tensor& x, Extent2 kernel, const AvgPool2dOptions& options = {},
                  Site site = Site::current());

/// Inverted dropout: while `training`, x ⊙ m / (1 − p) with m drawn from
/// bernoulli(1 − p) by `gen`, so each element is zeroed with probability p,
/// the expectation is x, and evaluation needs no scaling. The gradient is
/// g ⊙ m / (1 − p). Returns x itself (no record, no draw from `gen`) when
/// `training` is false or p == 0; p == 1 gives zeros (with a zero gradient).
/// p must be in [0, 1].
Tensor dropout(const Tensor& x, double p, Generator& gen, bool training = true,
               Site site = Site::current());

}  // namespace tg
