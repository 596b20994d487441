// Matrix products on cblas gemm. The primitive is op(a) @ op(b) with
// transpose flags, so neither the forward nor the VJPs ever materialise a
// transpose: each VJP is another flagged product.
#include <cblas.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc, float beta = 0) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a,
          std::int64_t lda, const double* b, std::int64_t ldb, double* c, std::int64_t ldc, double beta = 0) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// Note [Strided gemm operands]
// A matrix view whose rows are evenly spaced with unit-stride columns (a row
// slice) is read by gemm as it is, with its row stride as leading dimension;
// one with unit-stride rows (a transpose) is read as the transpose of that,
// by flipping the operand's transpose flag. Only other layouts (a column
// slice of a transpose, an expanded matrix) are copied first.
struct GemmOperand {
  Tensor values;       // what gemm reads: the operand, or its dense copy
  std::int64_t ld;     // leading dimension of `values`' matrices
  bool transposed;     // the flag to hand gemm (the op's flag, maybe flipped)
  kernels::Strides batch{};  // element strides of `values` over the product's batch axes (0: broadcast)
};

GemmOperand gemm_operand(const Tensor& x, bool transpose, const Shape& batch) {
  auto plan = [&](const Tensor& v) -> std::optional<GemmOperand> {
    const TensorImpl& i = *v.impl();
    const int r = i.shape.rank();
    const std::int64_t rows = i.shape[r - 2], cols = i.shape[r - 1];
    const std::int64_t sr = i.strides[static_cast<std::size_t>(r - 2)], sc = i.strides[static_cast<std::size_t>(r - 1)];
    constexpr std::int64_t kMaxLd = std::numeric_limits<int>::max();
    GemmOperand op{v, 0, transpose};
    if ((cols <= 1 || sc == 1) && (rows <= 1 || (sr >= std::max<std::int64_t>(cols, 1) && sr <= kMaxLd))) {
      op.ld = rows <= 1 ? std::max<std::int64_t>(cols, 1) : sr;
    } else if ((rows <= 1 || sr == 1) && (cols <= 1 || (sc >= std::max<std::int64_t>(rows, 1) && sc <= kMaxLd))) {
      op.ld = cols <= 1 ? std::max<std::int64_t>(rows, 1) : sc;
      op.transposed = !transpose;
    } else {
      return std::nullopt;
    }
    const int shift = batch.rank() - (r - 2);
    for (int axis = 0; axis + 2 < r; ++axis) {
      const bool broadcast = i.shape[axis] == 1 && batch[axis + shift] != 1;
      op.batch[static_cast<std::size_t>(axis + shift)] = broadcast ? 0 : i.strides[static_cast<std::size_t>(axis)];
    }
    return op;
  };
  if (auto op = plan(x)) return *op;
  return *plan(detail::copy_values(x));
}

Shape batch_of(const Shape& s) {
  Shape batch;
  for (int i = 0; i + 2 < s.rank(); ++i) batch.push_back(s[i]);
  return batch;
}

std::string operands(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  return a.shape().str() + (ta ? "ᵀ" : "") + " x " + b.shape().str() + (tb ? "ᵀ" : "");
}

// The broadcast of the batch axes (all but the last two), NumPy rules; the
// error names both operands, not just their batch parts.
Shape batch_shape(const Tensor& a, const Tensor& b, bool ta, bool tb, const Site& site) {
  const Shape ba = batch_of(a.shape()), bb = batch_of(b.shape());
  try {
    return broadcast_shapes(ba, bb, "matmul", site);
  } catch (const ShapeError&) {
    throw ShapeError("matmul: batch dimensions do not broadcast: " + operands(a, b, ta, tb) + " (batch " + ba.str() +
                         " vs " + bb.str() + ")",
                     site);
  }
}

// acc += op(x)·op(y) for matrices, by a gemm with beta = 1 (see Note
// [Accumulating in place] in node.hpp). Not recorded.
void gemm_into(Tensor& acc, const Tensor& x, bool tx, const Tensor& y, bool ty) {
  const std::int64_t rx = x.size(0), cx = x.size(1), ry = y.size(0), cy = y.size(1);
  const std::int64_t m = tx ? cx : rx, k = tx ? rx : cx, n = ty ? ry : cy;
  if (m == 0 || n == 0 || k == 0) return;
  const GemmOperand ox = gemm_operand(x, tx, Shape{}), oy = gemm_operand(y, ty, Shape{});
  kernels::dispatch_float(x.dtype(), "matmul", Site(), [&](auto tag) {
    using T = decltype(tag);
    gemm(ox.transposed, oy.transposed, m, n, k, ox.values.impl()->base<T>(), ox.ld, oy.values.impl()->base<T>(), oy.ld,
         acc.impl()->data<T>(), n, T(1));
  });
}

struct ProductDims {
  std::int64_t m, n, k;
};

// The extents of op(a)·op(b) for operands of rank >= 2 (their last two
// axes), after checking that the inner ones agree and that BLAS can take them.
ProductDims product_dims(const Tensor& a, const Tensor& b, bool ta, bool tb, const char* op, const Site& site) {
  const std::int64_t ra = a.size(-2), ca = a.size(-1), rb = b.size(-2), cb = b.size(-1);
  const std::int64_t m = ta ? ca : ra, k = ta ? ra : ca;
  const std::int64_t k2 = tb ? cb : rb, n = tb ? rb : cb;
  if (k != k2) {
    throw ShapeError(std::string(op) + ": inner dimensions differ: " + operands(a, b, ta, tb) + " (" +
                         std::to_string(k) + " vs " + std::to_string(k2) + ")",
                     site);
  }
  constexpr std::int64_t kBlasMax = std::numeric_limits<int>::max();
  if (std::max({ra, ca, rb, cb}) > kBlasMax) {
    throw ShapeError(std::string(op) + ": " + operands(a, b, ta, tb) + " has an extent above " +
                         std::to_string(kBlasMax) + ", the largest BLAS's int arguments can take",
                     site);
  }
  return {m, n, k};
}

// The gradients of C = op(A)·op(B), A and B in input slots ia and ib: dA =
// G·op(B)ᵀ, dB = op(A)ᵀ·G, each rearranged so that it is one flagged
// product. `a` is needed only for dB and `b` only for dA.
void product_vjp(const Tensor& g, VjpContext& ctx, std::size_t ia, std::size_t ib, const Tensor& a, const Tensor& b,
                 const Shape& sa, const Shape& sb, bool ta, bool tb) {
  // Matrices: added straight into a gradient already summed (an RNN's
  // weights, used at every step).
  if (ctx.needs(ia)) {
    if (Tensor* sum = g.rank() == 2 ? ctx.accumulated(ia) : nullptr) {
      if (!ta) gemm_into(*sum, g, false, b, !tb);
      else gemm_into(*sum, b, tb, g, true);
    } else {
      const Tensor ga = !ta ? matmul(g, b, false, !tb) : matmul(b, g, tb, true);
      ctx.set(ia, sum_to(ga, sa));
    }
  }
  if (ctx.needs(ib)) {
    if (Tensor* sum = g.rank() == 2 ? ctx.accumulated(ib) : nullptr) {
      if (!tb) gemm_into(*sum, a, !ta, g, false);
      else gemm_into(*sum, g, true, a, ta);
    } else {
      const Tensor gb = !tb ? matmul(a, g, !ta, false) : matmul(g, a, true, ta);
      ctx.set(ib, sum_to(gb, sb));
    }
  }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, Site site) {
  check_pair(a, b, "matmul", site);
  if (a.rank() < 2 || b.rank() < 2) {
    throw ShapeError("matmul: the transposing form needs operands of rank >= 2, got " +
                         operands(a, b, ta, tb),
                     site);
  }
  // Named copies, not a structured binding: clang 14 cannot capture one in the lambdas below.
  const ProductDims dims = product_dims(a, b, ta, tb, "matmul", site);
  const std::int64_t m = dims.m, n = dims.n, k = dims.k;
  const Shape batch = batch_shape(a, b, ta, tb, site);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor y = detail::empty(out_shape, a.dtype());

  if (m > 0 && n > 0 && k == 0) kernels::fill(y, 0.0);
  if (m > 0 && n > 0 && k > 0) {
    const GemmOperand oa = gemm_operand(a, ta, batch), ob = gemm_operand(b, tb, batch);
    kernels::dispatch_float(a.dtype(), "matmul", site, [&](auto tag) {
      using T = decltype(tag);
      const T* pa = oa.values.impl()->base<T>();
      const T* pb = ob.values.impl()->base<T>();
      T* py = y.impl()->data<T>();
      kernels::Strides sy = kernels::contiguous_strides(batch);
      for (int i = 0; i < batch.rank(); ++i) sy[static_cast<std::size_t>(i)] *= m * n;
      kernels::for_each_run<3>(batch, {sy, oa.batch, ob.batch}, [&](const auto& off, std::int64_t count, const auto& step) {
        for (std::int64_t j = 0; j < count; ++j) {
          gemm(oa.transposed, ob.transposed, m, n, k, pa + off[1] + j * step[1], oa.ld, pb + off[2] + j * step[2], ob.ld,
               py + off[0] + j * step[0], n);
        }
      });
    });
  }

  if (should_record(a, b)) {
    record("matmul", site, y,
           [saved_a = detail::Saved(needs_grad(b) ? a : Tensor()), saved_b = detail::Saved(needs_grad(a) ? b : Tensor()),
            sa = a.shape(), sb = b.shape(), ta, tb](const Tensor& g, VjpContext& ctx) {
             product_vjp(g, ctx, 0, 1, saved_a.get(), saved_b.get(), sa, sb, ta, tb);
           },
           a, b);
  }
  return y;
}

namespace {

// addmm's body; `c_is_spare`: c's buffer may become the result's (see the
// rvalue overload).
Tensor addmm_into(const Tensor& c, bool c_is_spare, const Tensor& a, const Tensor& b, bool ta, bool tb,
                  const Site& site) {
  check_pair(a, b, "addmm", site);
  check_pair(c, a, "addmm", site);
  if (a.rank() != 2 || b.rank() != 2) {
    throw ShapeError("addmm: expected matrices (rank 2), got " + operands(a, b, ta, tb), site);
  }
  // Named copies, not a structured binding: clang 14 cannot capture one in the lambdas below.
  const ProductDims dims = product_dims(a, b, ta, tb, "addmm", site);
  const std::int64_t m = dims.m, n = dims.n, k = dims.k;
  const Shape out_shape{m, n};
  if (!broadcasts_to(c.shape(), out_shape)) {
    throw ShapeError("addmm: the addend " + c.shape().str() + " does not broadcast to the product's " +
                         out_shape.str() + " (" + operands(a, b, ta, tb) + ")",
                     site);
  }
  // c broadcast into the output, or the output in c's own buffer when c is
  // spare (and not a parameter: a leaf that requires grad keeps its values),
  // then the product added on it by gemm's beta = 1.
  const bool reuse = c_is_spare && c.shape() == out_shape && c.dtype() == a.dtype() &&
                     !(c.requires_grad() && !c.impl()->grad_fn) &&
                     c.impl_ptr().use_count() == 1 && c.storage_use_count() == 1 && c.is_contiguous();
  Tensor y = reuse ? detail::alias(c, out_shape)
                   : kernels::gather_strided(c, out_shape, kernels::operand_strides(c, out_shape));
  if (reuse) y.impl()->storage->bump_version();
  if (m > 0 && n > 0 && k > 0) {
    const GemmOperand oa = gemm_operand(a, ta, Shape{}), ob = gemm_operand(b, tb, Shape{});
    kernels::dispatch_float(a.dtype(), "addmm", site, [&](auto tag) {
      using T = decltype(tag);
      gemm(oa.transposed, ob.transposed, m, n, k, oa.values.impl()->base<T>(), oa.ld, ob.values.impl()->base<T>(), ob.ld,
           y.impl()->data<T>(), n, T(1));
    });
  }

  if (should_record(c, a, b)) {
    record("addmm", site, y,
           [saved_a = detail::Saved(needs_grad(b) ? a : Tensor()), saved_b = detail::Saved(needs_grad(a) ? b : Tensor()),
            sc = c.shape(), sa = a.shape(), sb = b.shape(), ta, tb](const Tensor& g, VjpContext& ctx) {
             if (ctx.needs(0)) ctx.set(0, sum_to(g, sc));
             product_vjp(g, ctx, 1, 2, saved_a.get(), saved_b.get(), sa, sb, ta, tb);
           },
           c, a, b);
  }
  return y;
}

}  // namespace

Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, bool ta, bool tb, Site site) {
  return addmm_into(c, false, a, b, ta, tb, site);
}

Tensor addmm(Tensor&& c, const Tensor& a, const Tensor& b, bool ta, bool tb, Site site) {
  Tensor y = addmm_into(c, true, a, b, ta, tb, site);
  c = Tensor();
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b, Site site) {
  check_pair(a, b, "matmul", site);
  if (a.rank() == 0 || b.rank() == 0) {
    throw ShapeError("matmul: operands must have rank >= 1, got " + a.shape().str() + " x " +
                         b.shape().str(),
                     site);
  }
  const std::int64_t k_a = a.size(-1);
  const std::int64_t k_b = b.rank() == 1 ? b.size(0) : b.size(-2);
  if (k_a != k_b) {
    throw ShapeError("matmul: inner dimensions differ: " + a.shape().str() + " x " + b.shape().str() +
                         " (" + std::to_string(k_a) + " vs " + std::to_string(k_b) + ")",
                     site);
  }
  if (a.rank() == 1 && b.rank() == 1) {
    return reshape(matmul(reshape(a, {1, k_a}, site), reshape(b, {k_b, 1}, site), false, false, site), {}, site);
  }
  if (a.rank() == 1) {
    return squeeze(matmul(reshape(a, {1, k_a}, site), b, false, false, site), -2, site);
  }
  if (b.rank() == 1) {
    return squeeze(matmul(a, reshape(b, {k_b, 1}, site), false, false, site), -1, site);
  }
  if (b.rank() == 2 && a.rank() > 2) {
    // (..., n, k) @ (k, m): one gemm over all rows instead of one per batch.
    // The row count is spelled out rather than inferred (-1 cannot be
    // inferred when k = 0).
    Shape out_shape = a.shape();
    out_shape[out_shape.rank() - 1] = b.size(1);
    std::int64_t rows = 1;
    for (int i = 0; i + 1 < a.rank(); ++i) rows *= a.size(i);
    return reshape(matmul(reshape(a, {rows, k_a}, site), b, false, false, site), out_shape, site);
  }
  return matmul(a, b, false, false, site);
}

}  // namespace tg
