#include "tapegrad/optim/rmsprop.hpp"

#include <cmath>

#include "lerp.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : Optimizer("RMSprop"), defaults_(options) {
  add(RMSpropGroup{.params = std::move(params)}, false);
  check_not_empty();
}

RMSprop::RMSprop(std::vector<RMSpropGroup> groups, const RMSpropOptions& defaults)
    : Optimizer("RMSprop"), defaults_(defaults) {
  for (RMSpropGroup& group : groups) add(std::move(group), true);
  check_not_empty();
}

void RMSprop::add_param_group(RMSpropGroup group) { add(std::move(group), true); }

void RMSprop::add(RMSpropGroup group, bool explicit_groups) {
  RMSpropOptions o = defaults_;
  o.lr = group.lr.value_or(o.lr);
  o.alpha = group.alpha.value_or(o.alpha);
  o.eps = group.eps.value_or(o.eps);
  o.weight_decay = group.weight_decay.value_or(o.weight_decay);
  o.momentum = group.momentum.value_or(o.momentum);
  o.centered = group.centered.value_or(o.centered);
  const std::string where = group_label(group_count(), explicit_groups);
  check_option(o.lr >= 0 && std::isfinite(o.lr), "lr", "finite and >= 0", o.lr, where);
  check_option(o.alpha >= 0 && o.alpha <= 1, "alpha", "in [0, 1]", o.alpha, where);
  check_option(o.eps >= 0 && std::isfinite(o.eps), "eps", "finite and >= 0", o.eps, where);
  check_option(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "weight_decay", "finite and >= 0",
               o.weight_decay, where);
  check_option(o.momentum >= 0 && std::isfinite(o.momentum), "momentum", "finite and >= 0", o.momentum, where);
  std::vector<std::string> kinds{"step", "square_avg"};
  if (o.momentum > 0) kinds.push_back("momentum_buffer");
  if (o.centered) kinds.push_back("grad_avg");
  add_group(std::move(group.params), o.lr, std::move(kinds));
  options_.push_back(o);
}

RMSpropOptions RMSprop::options(std::size_t group) const {
  const double rate = lr(group);  // throws for a group out of range
  RMSpropOptions o = options_[group];
  o.lr = rate;
  return o;
}

namespace {

struct RMSpropCoefficients {
  double alpha, rest, wd, eps, mu, rate;
};

// One parameter: torch.optim.RMSprop's _single_tensor_rmsprop, elementwise.
// The variants are template arguments, so that each loop is straight-line
// code the compiler can vectorize; `buf` and `grad_avg` are null when
// unused.
template <class T, bool kL2, bool kCentered, bool kMomentum>
void rmsprop_update(T* __restrict p, const T* __restrict grad, T* __restrict square_avg, T* __restrict buf,
                    T* __restrict grad_avg, std::int64_t n, const RMSpropCoefficients& k) {
  const T alpha = static_cast<T>(k.alpha), rest = static_cast<T>(k.rest), wd = static_cast<T>(k.wd);
  const T eps = static_cast<T>(k.eps), mu = static_cast<T>(k.mu), rate = static_cast<T>(k.rate);
  for (std::int64_t j = 0; j < n; ++j) {
    T g = grad[j];
    if constexpr (kL2) g += wd * p[j];                       // grad = grad.add(param, alpha=weight_decay)
    const T v = square_avg[j] * alpha + rest * (g * g);     // square_avg.mul_(α).addcmul_(g, g, value=1-α)
    square_avg[j] = v;
    T avg;
    if constexpr (kCentered) {
      const T mean = torch_lerp(grad_avg[j], g, rest);  // grad_avg.lerp_(g, 1-α)
      grad_avg[j] = mean;
      avg = std::sqrt(v - mean * mean);  // square_avg.addcmul(ḡ, ḡ, value=-1).sqrt_()
    } else {
      avg = std::sqrt(v);
    }
    avg += eps;
    if constexpr (kMomentum) {
      const T b = buf[j] * mu + g / avg;  // buf.mul_(μ).addcdiv_(g, avg)
      buf[j] = b;
      p[j] -= rate * b;  // param.add_(buf, alpha=-lr)
    } else {
      p[j] -= rate * (g / avg);  // param.addcdiv_(g, avg, value=-lr)
    }
  }
}

template <class T, bool kL2>
void rmsprop_dispatch(bool centered, bool momentum, T* p, const T* grad, T* square_avg, T* buf, T* grad_avg,
                      std::int64_t n, const RMSpropCoefficients& k) {
  if (centered && momentum) rmsprop_update<T, kL2, true, true>(p, grad, square_avg, buf, grad_avg, n, k);
  else if (centered) rmsprop_update<T, kL2, true, false>(p, grad, square_avg, buf, grad_avg, n, k);
  else if (momentum) rmsprop_update<T, kL2, false, true>(p, grad, square_avg, buf, grad_avg, n, k);
  else rmsprop_update<T, kL2, false, false>(p, grad, square_avg, buf, grad_avg, n, k);
}

}  // namespace

void RMSprop::step() {
  NoGrad no_grad;
  check_step();
  Update u;
  for (std::size_t g = 0; g < group_count(); ++g) {
    const RMSpropOptions& o = options_[g];
    const double rate = lr(g);
    for (std::size_t i = 0; i < params(g).size(); ++i) {
      if (!prepare(g, i, u)) continue;
      u.state[0].mutable_data<std::int64_t>()[0] += 1;
      const RMSpropCoefficients k{.alpha = o.alpha, .rest = 1 - o.alpha, .wd = o.weight_decay, .eps = o.eps,
                                  .mu = o.momentum, .rate = rate};
      const bool momentum = o.momentum > 0;
      dispatch_floating(u.param.dtype(), name().c_str(), [&]<class T>() {
        std::size_t slot = 2;
        T* buf = momentum ? u.state[slot++].mutable_data<T>() : nullptr;
        T* grad_avg = o.centered ? u.state[slot++].mutable_data<T>() : nullptr;
        T* p = u.param.mutable_data<T>();
        const T* grad = u.grad.data<T>();
        T* square_avg = u.state[1].mutable_data<T>();
        const std::int64_t n = u.param.numel();
        if (o.weight_decay != 0) rmsprop_dispatch<T, true>(o.centered, momentum, p, grad, square_avg, buf, grad_avg, n, k);
        else rmsprop_dispatch<T, false>(o.centered, momentum, p, grad, square_avg, buf, grad_avg, n, k);
      });
    }
  }
  count_step();
}

}  // namespace tg::optim
