#include "tapegrad/optim/adagrad.hpp"

#include <algorithm>
#include <cmath>

#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Optimizer("Adagrad"), defaults_(options) {
  add(AdagradGroup{.params = std::move(params)}, false);
  check_not_empty();
}

Adagrad::Adagrad(std::vector<AdagradGroup> groups, const AdagradOptions& defaults)
    : Optimizer("Adagrad"), defaults_(defaults) {
  for (AdagradGroup& group : groups) add(std::move(group), true);
  check_not_empty();
}

void Adagrad::add_param_group(AdagradGroup group) { add(std::move(group), true); }

void Adagrad::add(AdagradGroup group, bool explicit_groups) {
  AdagradOptions o = defaults_;
  o.lr = group.lr.value_or(o.lr);
  o.lr_decay = group.lr_decay.value_or(o.lr_decay);
  o.weight_decay = group.weight_decay.value_or(o.weight_decay);
  o.initial_accumulator_value = group.initial_accumulator_value.value_or(o.initial_accumulator_value);
  o.eps = group.eps.value_or(o.eps);
  const std::string where = group_label(group_count(), explicit_groups);
  check_option(o.lr >= 0 && std::isfinite(o.lr), "lr", "finite and >= 0", o.lr, where);
  check_option(o.lr_decay >= 0 && std::isfinite(o.lr_decay), "lr_decay", "finite and >= 0", o.lr_decay, where);
  check_option(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "weight_decay", "finite and >= 0",
               o.weight_decay, where);
  check_option(o.initial_accumulator_value >= 0 && std::isfinite(o.initial_accumulator_value),
               "initial_accumulator_value", "finite and >= 0", o.initial_accumulator_value, where);
  check_option(o.eps >= 0 && std::isfinite(o.eps), "eps", "finite and >= 0", o.eps, where);
  add_group(std::move(group.params), o.lr, {"step", "sum"});
  options_.push_back(o);
}

AdagradOptions Adagrad::options(std::size_t group) const {
  const double rate = lr(group);  // throws for a group out of range
  AdagradOptions o = options_[group];
  o.lr = rate;
  return o;
}

namespace {

// One parameter at its step t: torch.optim.Adagrad's _single_tensor_adagrad,
// elementwise, with step size clr = lr / (1 + (t − 1)·lr_decay). Weight
// decay is a template argument, so that the loop is straight-line code.
template <class T, bool kL2>
void adagrad_update(T* __restrict p, const T* __restrict grad, T* __restrict sum, std::int64_t n, T clr, T wd,
                    T eps) {
  for (std::int64_t j = 0; j < n; ++j) {
    T g = grad[j];
    if constexpr (kL2) g += wd * p[j];       // grad = grad.add(param, alpha=weight_decay)
    const T s = sum[j] + g * g;              // state_sum.addcmul_(grad, grad, value=1)
    sum[j] = s;
    const T denom = std::sqrt(s) + eps;      // std = state_sum.sqrt().add_(eps)
    p[j] += -clr * (g / denom);              // param.addcdiv_(grad, std, value=-clr)
  }
}

}  // namespace

void Adagrad::step() {
  NoGrad no_grad;
  check_step();
  Update u;
  for (std::size_t g = 0; g < group_count(); ++g) {
    const AdagradOptions& o = options_[g];
    const double rate = lr(g);
    for (std::size_t i = 0; i < params(g).size(); ++i) {
      if (!prepare(g, i, u)) continue;
      const std::int64_t t = ++u.state[0].mutable_data<std::int64_t>()[0];
      dispatch_floating(u.param.dtype(), name().c_str(), [&]<class T>() {
        T* sum = u.state[1].mutable_data<T>();
        // PyTorch fills the sum with initial_accumulator_value when it makes the state.
        if (u.fresh) std::fill_n(sum, u.param.numel(), static_cast<T>(o.initial_accumulator_value));
        const T clr = static_cast<T>(rate / (1 + static_cast<double>(t - 1) * o.lr_decay));
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
        T* p = u.param.mutable_data<T>();
        if (o.weight_decay != 0) adagrad_update<T, true>(p, u.grad.data<T>(), sum, u.param.numel(), clr, wd, eps);
        else adagrad_update<T, false>(p, u.grad.data<T>(), sum, u.param.numel(), clr, wd, eps);
      });
    }
  }
  count_step();
}

}  // namespace tg::optim
