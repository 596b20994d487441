// The primitive ops and their thin compositions. Each primitive is defined in
// one place (autodiff/ops/*.cpp) with its forward kernel and its
// vector-Jacobian product written in taped ops, so gradients of gradients
// come for free. Binary ops broadcast like NumPy; their gradients are summed
// back to each input's shape.
//
// Every op takes a defaulted `Site`: the caller's source line, quoted by the
// exception when the arguments are wrong.
//
// Every op of this header is a row of the op table (tests/ops/op_table.hpp),
// which drives the gradcheck, dtype, non-contiguous and bad-input sweeps.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "tensor.hpp"
#include "views.hpp"

namespace tg {

// --- elementwise, unary ------------------------------------------------------
Tensor neg(const Tensor& x, Site site = Site::current());
Tensor exp(const Tensor& x, Site site = Site::current());
/// Natural logarithm; log(0) = -inf.
Tensor log(const Tensor& x, Site site = Site::current());
Tensor sqrt(const Tensor& x, Site site = Site::current());
/// |x|; its gradient at 0 is 0.
Tensor abs(const Tensor& x, Site site = Site::current());
Tensor sin(const Tensor& x, Site site = Site::current());
Tensor cos(const Tensor& x, Site site = Site::current());
Tensor tanh(const Tensor& x, Site site = Site::current());
/// Gauss error function (the building block of GELU).
Tensor erf(const Tensor& x, Site site = Site::current());
/// 1 / (1 + e^-x), computed without overflow for large |x|.
Tensor sigmoid(const Tensor& x, Site site = Site::current());
/// max(x, 0); gradient 0 at x = 0.
Tensor relu(const Tensor& x, Site site = Site::current());
/// x for x > 0, slope·x otherwise.
Tensor leaky_relu(const Tensor& x, double slope = 0.01, Site site = Site::current());
/// x for x > 0, alpha·(e^x − 1) otherwise (Clevert et al., 2015).
Tensor elu(const Tensor& x, double alpha = 1.0, Site site = Site::current());
/// λ·elu(x, α) with α = 1.6732632423543772, λ = 1.0507009873554805
/// (Klambauer et al., 2017, "Self-Normalizing Neural Networks").
Tensor selu(const Tensor& x, Site site = Site::current());
/// log(1 + e^(βx)) / β, linear above βx > threshold for stability.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0,
                Site site = Site::current());
/// x·Φ(x), Φ the standard normal CDF (exact form, Hendrycks & Gimpel, 2016).
Tensor gelu(const Tensor& x, Site site = Site::current());
/// min(max(x, lo), hi); gradient 1 inside [lo, hi], 0 outside.
Tensor clamp(const Tensor& x, double lo, double hi, Site site = Site::current());
/// x^p for a constant exponent.
Tensor pow(const Tensor& x, double p, Site site = Site::current());
/// 1 where x > 0, `at_zero` where x == 0, 0 otherwise. Zero gradient.
Tensor heaviside(const Tensor& x, double at_zero = 0.0, Site site = Site::current());
/// −1, 0 or 1. Zero gradient.
Tensor sign(const Tensor& x, Site site = Site::current());

// --- elementwise, binary (broadcasting) ---------------------------------------
Tensor add(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor sub(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor mul(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor div(const Tensor& a, const Tensor& b, Site site = Site::current());
/// a^b elementwise; the gradient for b is taken as 0 where a <= 0.
Tensor pow(const Tensor& a, const Tensor& b, Site site = Site::current());
/// Elementwise max; at ties the gradient is split evenly.
Tensor maximum(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor minimum(const Tensor& a, const Tensor& b, Site site = Site::current());
/// a where cond != 0, b elsewhere; all three broadcast. No gradient for cond.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor add(const Tensor& a, double b, Site site = Site::current());
Tensor mul(const Tensor& a, double b, Site site = Site::current());
Tensor div(const Tensor& a, double b, Site site = Site::current());

/// Comparisons give 1 or 0 in a's dtype; no gradient flows through them.
Tensor gt(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor ge(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor lt(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor le(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor eq(const Tensor& a, const Tensor& b, Site site = Site::current());
Tensor ne(const Tensor& a, const Tensor& b, Site site = Site::current());

// --- reductions ------------------------------------------------------------------
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdims = false,
           Site site = Site::current());
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdims = false,
            Site site = Site::current());
/// Largest element over `axes`; the gradient goes to the maxima, split evenly at ties.
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdims = false,
           Site site = Site::current());
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdims = false,
           Site site = Site::current());
/// var's correction: Σ(x − mean)² / (n − correction), PyTorch's keyword
/// argument with its default, 1 (the unbiased estimate); 0 gives the
/// population variance.
struct VarOptions {
  std::int64_t correction = 1;
};
/// Σ(x − mean)² / (n − correction) over `axes`. keepdims sits where every
/// reduction has it and the correction is in `options`, so a PyTorch user's
/// positional `var(x, -1, true)` keeps the axis here, as `sum(x, -1, true)`
/// does, instead of silently meaning another correction.
Tensor var(const Tensor& x, const Axes& axes = {}, bool keepdims = false, VarOptions options = {},
           Site site = Site::current());
/// log Σ e^x over `axes`, computed as m + log Σ e^(x−m) with m the max, so it
/// never overflows. A primitive for that stability.
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdims = false,
                 Site site = Site::current());
/// Sums `x` down to `shape` (the reverse of broadcasting); the helper every
/// binary op's gradient uses.
Tensor sum_to(const Tensor& x, const Shape& shape, Site site = Site::current());

// --- linear algebra ----------------------------------------------------------------
/// Matrix product with NumPy semantics: (n,k)@(k,m) -> (n,m); leading batch
/// dimensions broadcast, (..., n, k)@(..., k, m) -> (..., n, m); a 1-D operand
/// is a vector. Runs on cblas gemm with transpose flags: no transpose is ever
/// materialised, forward or backward.
Tensor matmul(const Tensor& a, const Tensor& b, Site site = Site::current());
/// op(a) @ op(b) where op transposes the last two axes when the flag is set;
/// both operands of rank >= 2. The primitive under matmul.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
              Site site = Site::current());
/// c + op(a) @ op(b) for matrices a and b (PyTorch's addmm), c broadcasting
/// to the product's (m, n): a bias (n,), a row (1, n), a column (m, 1) or a
/// full (m, n). One gemm that accumulates onto c, so a layer's bias add
/// costs no pass of its own.
Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false,
             Site site = Site::current());
/// The same for an addend handed over with std::move (or a temporary): when
/// nothing else holds its values and it has the product's shape and dtype,
/// its buffer becomes the result's instead of being copied (a recurrent
/// step's addmm(std::move(pre), h, W_hh)). c is left undefined either way.
Tensor addmm(Tensor&& c, const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false,
             Site site = Site::current());

// --- shape (the views are in views.hpp) --------------------------------------------------
/// The entries `indices` (an int64 tensor of rank 1) along `axis`.
Tensor index_select(const Tensor& x, int axis, const Tensor& indices,
                    Site site = Site::current());
/// out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis`; index is
/// int64 of x's rank. With an index of rank x.rank()-1 (class labels of shape
/// (N,) into logits (N, C)), picks one entry per row and drops `axis`.
Tensor gather(const Tensor& x, int axis, const Tensor& index, Site site = Site::current());
/// Joins tensors along an existing axis.
Tensor concat(const std::vector<Tensor>& tensors, int axis = 0, Site site = Site::current());
/// Joins tensors along a new axis.
Tensor stack(const std::vector<Tensor>& tensors, int axis = 0, Site site = Site::current());
/// Constant padding: `widths` holds (before, after) for each axis from the
/// first; axes past its end are not padded.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& widths,
           double value = 0.0, Site site = Site::current());
// --- indexing -------------------------------------------------------------------------
/// x with alpha * source's slices along `axis` added at the positions `index`
/// (int64, rank 1; repeats add up); source has x's shape with index.numel()
/// along `axis`. PyTorch's index_add.
Tensor index_add(const Tensor& x, int axis, const Tensor& index, const Tensor& source, double alpha = 1.0,
                 Site site = Site::current());
/// x with its slices along `axis` at `index` replaced by source's (PyTorch's
/// index_copy; with repeated positions one of them is kept, which one is
/// unspecified, as there).
Tensor index_copy(const Tensor& x, int axis, const Tensor& index, const Tensor& source, Site site = Site::current());
/// x with x[indices...] = values (accumulate: +=): one int64 index tensor per
/// leading axis, broadcast together (negative entries count from the end),
/// values broadcast to the indexed shape. PyTorch's index_put.
Tensor index_put(const Tensor& x, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate = false,
                 Site site = Site::current());
/// A copy with storage of its own (contiguous); the gradient passes through.
Tensor clone(const Tensor& x, Site site = Site::current());
// --- dtype -----------------------------------------------------------------------------
/// Converts to `dtype` (x itself when it already has it); between float
/// types the gradient converts back.
Tensor to_dtype(const Tensor& x, Dtype dtype, Site site = Site::current());

// --- operators --------------------------------------------------------------------------

Tensor operator-(At x);
Tensor operator+(At a, const Tensor& b);
Tensor operator-(At a, const Tensor& b);
Tensor operator*(At a, const Tensor& b);
Tensor operator/(At a, const Tensor& b);
Tensor operator+(At a, double b);
Tensor operator-(At a, double b);
Tensor operator*(At a, double b);
Tensor operator/(At a, double b);
Tensor operator+(double a, At b);
Tensor operator-(double a, At b);
Tensor operator*(double a, At b);
Tensor operator/(double a, At b);

}  // namespace tg
