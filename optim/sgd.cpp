#include "tapegrad/optim/sgd.hpp"

#include <cmath>

#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options) : Optimizer("SGD"), defaults_(options) {
  add(SGDGroup{.params = std::move(params)}, false);
  check_not_empty();
}

SGD::SGD(std::vector<SGDGroup> groups, const SGDOptions& defaults) : Optimizer("SGD"), defaults_(defaults) {
  for (SGDGroup& group : groups) add(std::move(group), true);
  check_not_empty();
}

void SGD::add_param_group(SGDGroup group) { add(std::move(group), true); }

void SGD::add(SGDGroup group, bool explicit_groups) {
  SGDOptions o = defaults_;
  o.lr = group.lr.value_or(o.lr);
  o.momentum = group.momentum.value_or(o.momentum);
  o.dampening = group.dampening.value_or(o.dampening);
  o.weight_decay = group.weight_decay.value_or(o.weight_decay);
  o.nesterov = group.nesterov.value_or(o.nesterov);
  const std::string where = group_label(group_count(), explicit_groups);
  check_option(o.lr >= 0 && std::isfinite(o.lr), "lr", "finite and >= 0", o.lr, where);
  check_option(o.momentum >= 0 && std::isfinite(o.momentum), "momentum", "finite and >= 0", o.momentum, where);
  check_option(std::isfinite(o.dampening), "dampening", "finite", o.dampening, where);
  check_option(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "weight_decay", "finite and >= 0",
               o.weight_decay, where);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
    throw InvalidArgument("SGD: nesterov needs momentum > 0 and dampening 0, got momentum " + format(o.momentum) +
                          " and dampening " + format(o.dampening) + where);
  }
  std::vector<std::string> kinds;
  if (o.momentum != 0) kinds.push_back("momentum_buffer");
  add_group(std::move(group.params), o.lr, std::move(kinds));
  options_.push_back(o);
}

SGDOptions SGD::options(std::size_t group) const {
  const double rate = lr(group);  // throws for a group out of range
  SGDOptions o = options_[group];
  o.lr = rate;
  return o;
}

namespace {

// One parameter: torch.optim.SGD's _single_tensor_sgd, elementwise. The
// variants are template arguments, so that each loop is straight-line code
// the compiler can vectorize; `buf` is null without momentum, and `first`
// (the parameter's first step) starts the buffer at the gradient.
template <class T, bool kL2, bool kMomentum, bool kNesterov>
void sgd_update(T* __restrict p, const T* __restrict g, T* __restrict buf, std::int64_t n, const SGDOptions& o,
                double lr, bool first) {
  const T wd = static_cast<T>(o.weight_decay), mu = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1 - o.dampening), step = static_cast<T>(lr);
  for (std::int64_t j = 0; j < n; ++j) {
    T d = g[j];
    if constexpr (kL2) d += wd * p[j];  // d_p = d_p.add(param, alpha=weight_decay)
    if constexpr (kMomentum) {
      const T b = first ? d : buf[j] * mu + keep * d;  // buf = clone(d_p), then buf.mul_(μ).add_(d_p, alpha=1-τ)
      buf[j] = b;
      d = kNesterov ? d + mu * b : b;  // d_p = d_p.add(buf, alpha=μ), or d_p = buf
    }
    p[j] -= step * d;  // param.add_(d_p, alpha=-lr)
  }
}

template <class T, bool kL2>
void sgd_dispatch(T* p, const T* g, T* buf, std::int64_t n, const SGDOptions& o, double lr, bool first) {
  if (o.momentum == 0) sgd_update<T, kL2, false, false>(p, g, buf, n, o, lr, first);
  else if (o.nesterov) sgd_update<T, kL2, true, true>(p, g, buf, n, o, lr, first);
  else sgd_update<T, kL2, true, false>(p, g, buf, n, o, lr, first);
}

}  // namespace

void SGD::step() {
  NoGrad no_grad;
  check_step();
  Update u;
  for (std::size_t g = 0; g < group_count(); ++g) {
    const SGDOptions& o = options_[g];
    const double rate = lr(g);
    for (std::size_t i = 0; i < params(g).size(); ++i) {
      if (!prepare(g, i, u)) continue;
      dispatch_floating(u.param.dtype(), name().c_str(), [&]<class T>() {
        T* buf = u.state.empty() ? nullptr : u.state[0].mutable_data<T>();
        T* p = u.param.mutable_data<T>();
        if (o.weight_decay != 0) sgd_dispatch<T, true>(p, u.grad.data<T>(), buf, u.param.numel(), o, rate, u.fresh);
        else sgd_dispatch<T, false>(p, u.grad.data<T>(), buf, u.param.numel(), o, rate, u.fresh);
      });
    }
  }
  count_step();
}

}  // namespace tg::optim
