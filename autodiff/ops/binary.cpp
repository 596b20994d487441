// Elementwise binary primitives with NumPy broadcasting. Each VJP reduces the
// incoming gradient to its input's shape with sum_to (see Note [sum_to] in
// reduce.cpp), so a gradient never has a shape its tensor does not have.
// float32 add, sub and mul of one shape run the loops of
// kernels/float32_loops.hpp (AVX2 or AVX-512 where the CPU has it).
#include <cmath>

#include "../kernels/float32_loops.hpp"
#include "common.hpp"

namespace tg {

using namespace ops;

namespace {

// Keeps `t` for a VJP only when the gradient it serves is wanted.
detail::Saved keep_if(bool wanted, const Tensor& t) { return wanted ? t : Tensor(); }

template <class F>
Tensor compare(const Tensor& a, const Tensor& b, const char* op, const Site& site, F f) {
  return map_binary(a, b, op, site, [f](auto x, auto y) {
    using T = decltype(x);
    return f(x, y) ? T(1) : T(0);
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = kernels::same_shape_float32(a, b) ? kernels::map_float32(a, b, kernels::float32_loops().add)
                                              : map_binary(a, b, "add", site, [](auto x, auto z) { return x + z; });
  if (should_record(a, b)) {
    record("add", site, y, [sa = a.shape(), sb = b.shape()](const Tensor& g, VjpContext& ctx) {
      if (ctx.needs(0)) ctx.set(0, sum_to(g, sa));
      if (ctx.needs(1)) ctx.set(1, sum_to(g, sb));
    }, a, b);
  }
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = kernels::same_shape_float32(a, b) ? kernels::map_float32(a, b, kernels::float32_loops().sub)
                                              : map_binary(a, b, "sub", site, [](auto x, auto z) { return x - z; });
  if (should_record(a, b)) {
    record("sub", site, y, [sa = a.shape(), sb = b.shape()](const Tensor& g, VjpContext& ctx) {
      if (ctx.needs(0)) ctx.set(0, sum_to(g, sa));
      if (ctx.needs(1)) ctx.set(1, sum_to(neg(g), sb));
    }, a, b);
  }
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = kernels::same_shape_float32(a, b) ? kernels::map_float32(a, b, kernels::float32_loops().mul)
                                              : map_binary(a, b, "mul", site, [](auto x, auto z) { return x * z; });
  if (should_record(a, b)) {
    record("mul", site, y,
           [a = keep_if(needs_grad(b), a), b = keep_if(needs_grad(a), b), sa = a.shape(),
            sb = b.shape()](const Tensor& g, VjpContext& ctx) {
             if (ctx.needs(0)) ctx.set(0, sum_to(g * b.get(), sa));
             if (ctx.needs(1)) ctx.set(1, sum_to(g * a.get(), sb));
           },
           a, b);
  }
  return y;
}

Tensor div(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = map_binary(a, b, "div", site, [](auto x, auto z) { return x / z; });
  if (should_record(a, b)) {
    record("div", site, y,
           [sb = detail::Saved(b), ys = keep_if(needs_grad(b), saved(y).get()), sa = a.shape()](const Tensor& g, VjpContext& ctx) {
             const Tensor& b = sb.get();
             const Tensor g_over_b = g / b;
             if (ctx.needs(0)) ctx.set(0, sum_to(g_over_b, sa));
             // d(a/b)/db = −a/b² = −y/b
             if (ctx.needs(1)) ctx.set(1, sum_to(-(g_over_b * ctx.output(ys)), b.shape()));
           },
           a, b);
  }
  return y;
}

Tensor pow(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = map_binary(a, b, "pow", site, [](auto x, auto z) { return std::pow(x, z); });
  if (should_record(a, b)) {
    record("pow", site, y, [sa = detail::Saved(a), sb = detail::Saved(b), ys = keep_if(needs_grad(b), saved(y).get())](const Tensor& g, VjpContext& ctx) {
      const Tensor& a = sa.get();
      const Tensor& b = sb.get();
      if (ctx.needs(0)) ctx.set(0, sum_to(g * (b * pow(a, b - 1.0)), a.shape()));
      if (ctx.needs(1)) {
        // d(a^b)/db = a^b·log a, taken as 0 where a <= 0 (log of a safe stand-in there,
        // so no NaN reaches a second derivative).
        const Tensor positive = gt(a, scalar(0.0, a.dtype()));
        const Tensor safe_a = where(positive, a, scalar(1.0, a.dtype()));
        ctx.set(1, sum_to(g * (ctx.output(ys) * log(safe_a)) * positive, b.shape()));
      }
    }, a, b);
  }
  return y;
}

Tensor maximum(const Tensor& a, const Tensor& b, Site site) {
  // A NaN in x wins as one in z does (PyTorch): x > z is false for both.
  Tensor y = map_binary(a, b, "maximum", site, [](auto x, auto z) { return x > z || x != x ? x : z; });
  if (should_record(a, b)) {
    record("maximum", site, y, [sa = detail::Saved(a), sb = detail::Saved(b)](const Tensor& g, VjpContext& ctx) {
      const Tensor& a = sa.get();
      const Tensor& b = sb.get();
      // Share of the gradient going to a: 1 where a > b, ½ at ties.
      const Tensor to_a = map_binary(a.detach(), b.detach(), "maximum", Site(), [](auto x, auto z) {
        using T = decltype(x);
        return x > z ? T(1) : (x == z ? T(0.5) : T(0));
      });
      if (ctx.needs(0)) ctx.set(0, sum_to(g * to_a, a.shape()));
      if (ctx.needs(1)) ctx.set(1, sum_to(g * (1.0 - to_a), b.shape()));
    }, a, b);
  }
  return y;
}

Tensor minimum(const Tensor& a, const Tensor& b, Site site) {
  Tensor y = map_binary(a, b, "minimum", site, [](auto x, auto z) { return x < z || x != x ? x : z; });
  if (should_record(a, b)) {
    record("minimum", site, y, [sa = detail::Saved(a), sb = detail::Saved(b)](const Tensor& g, VjpContext& ctx) {
      const Tensor& a = sa.get();
      const Tensor& b = sb.get();
      const Tensor to_a = map_binary(a.detach(), b.detach(), "minimum", Site(), [](auto x, auto z) {
        using T = decltype(x);
        return x < z ? T(1) : (x == z ? T(0.5) : T(0));
      });
      if (ctx.needs(0)) ctx.set(0, sum_to(g * to_a, a.shape()));
      if (ctx.needs(1)) ctx.set(1, sum_to(g * (1.0 - to_a), b.shape()));
    }, a, b);
  }
  return y;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, Site site) {
  check_defined(cond, "where", site);
  check_pair(a, b, "where", site);
  const Shape ab = broadcast_shapes(a.shape(), b.shape(), "where", site);
  const Shape shape = broadcast_shapes(cond.shape(), ab, "where", site);
  const Tensor c = cond.dtype() == a.dtype() ? cond : kernels::convert(cond, a.dtype());
  Tensor y = detail::empty(shape, a.dtype());
  kernels::dispatch_float(a.dtype(), "where", site, [&](auto tag) {
    using T = decltype(tag);
    const T* pc = c.impl()->base<T>();
    const T* pa = a.impl()->base<T>();
    const T* pb = b.impl()->base<T>();
    T* po = y.impl()->data<T>();
    kernels::for_each_run<4>(
        shape,
        {kernels::contiguous_strides(shape), kernels::operand_strides(c, shape),
         kernels::operand_strides(a, shape), kernels::operand_strides(b, shape)},
        [&](const auto& off, std::int64_t n, const auto& step) {
          for (std::int64_t i = 0; i < n; ++i) {
            po[off[0] + i] = pc[off[1] + i * step[1]] != T(0) ? pa[off[2] + i * step[2]]
                                                              : pb[off[3] + i * step[3]];
          }
        });
  });
  if (should_record(a, b)) {
    record("where", site, y, [sc = detail::Saved(c.detach()), sa = a.shape(), sb = b.shape()](const Tensor& g, VjpContext& ctx) {
      const Tensor& c = sc.get();
      const Tensor zero = scalar(0.0, g.dtype());
      if (ctx.needs(0)) ctx.set(0, sum_to(where(c, g, zero), sa));
      if (ctx.needs(1)) ctx.set(1, sum_to(where(c, zero, g), sb));
    }, a, b);
  }
  return y;
}

Tensor add(const Tensor& a, double b, Site site) {
  Tensor y = map_unary(a, "add", site, [b](auto x) { return x + static_cast<decltype(x)>(b); });
  if (should_record(a)) record("add", site, y, [](const Tensor& g, VjpContext& ctx) { ctx.set(0, g); }, a);
  return y;
}

Tensor mul(const Tensor& a, double b, Site site) {
  Tensor y = map_unary(a, "mul", site, [b](auto x) { return x * static_cast<decltype(x)>(b); });
  if (should_record(a)) record("mul", site, y, [b](const Tensor& g, VjpContext& ctx) { ctx.set(0, g * b); }, a);
  return y;
}

Tensor div(const Tensor& a, double b, Site site) {
  Tensor y = map_unary(a, "div", site, [b](auto x) { return x / static_cast<decltype(x)>(b); });
  if (should_record(a)) record("div", site, y, [b](const Tensor& g, VjpContext& ctx) { ctx.set(0, g / b); }, a);
  return y;
}

Tensor gt(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "gt", site, [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "ge", site, [](auto x, auto y) { return x >= y; }); }
Tensor lt(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "lt", site, [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "le", site, [](auto x, auto y) { return x <= y; }); }
Tensor eq(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "eq", site, [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, const Tensor& b, Site site) { return compare(a, b, "ne", site, [](auto x, auto y) { return x != y; }); }

}  // namespace tg
