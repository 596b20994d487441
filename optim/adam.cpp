#include "tapegrad/optim/adam.hpp"

#include <cmath>

#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::optim {
namespace {

AdamOptions as_adam(const AdamWOptions& o) {
  return {.lr = o.lr, .betas = o.betas, .eps = o.eps, .weight_decay = o.weight_decay, .amsgrad = o.amsgrad};
}

std::vector<AdamGroup> one_group(std::vector<Tensor> params) {
  std::vector<AdamGroup> groups(1);
  groups[0].params = std::move(params);
  return groups;
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam("Adam", false, one_group(std::move(params)), options, false) {}

Adam::Adam(std::vector<AdamGroup> groups, const AdamOptions& defaults)
    : Adam("Adam", false, std::move(groups), defaults, true) {}

Adam::Adam(const char* name, bool decoupled, std::vector<AdamGroup> groups, const AdamOptions& defaults,
           bool explicit_groups)
    : Optimizer(name), decoupled_(decoupled), defaults_(defaults) {
  for (AdamGroup& group : groups) add(std::move(group), explicit_groups);
  check_not_empty();
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : Adam("AdamW", true, one_group(std::move(params)), as_adam(options), false) {}

AdamW::AdamW(std::vector<AdamWGroup> groups, const AdamWOptions& defaults)
    : Adam("AdamW", true, std::move(groups), as_adam(defaults), true) {}

void Adam::add_param_group(AdamGroup group) { add(std::move(group), true); }

void Adam::add(AdamGroup group, bool explicit_groups) {
  AdamOptions o = defaults_;
  o.lr = group.lr.value_or(o.lr);
  o.betas = group.betas.value_or(o.betas);
  o.eps = group.eps.value_or(o.eps);
  o.weight_decay = group.weight_decay.value_or(o.weight_decay);
  o.amsgrad = group.amsgrad.value_or(o.amsgrad);
  const std::string where = group_label(group_count(), explicit_groups);
  check_option(o.lr >= 0 && std::isfinite(o.lr), "lr", "finite and >= 0", o.lr, where);
  check_option(o.betas.first >= 0 && o.betas.first < 1, "betas[0]", "in [0, 1)", o.betas.first, where);
  check_option(o.betas.second >= 0 && o.betas.second < 1, "betas[1]", "in [0, 1)", o.betas.second, where);
  check_option(o.eps >= 0 && std::isfinite(o.eps), "eps", "finite and >= 0", o.eps, where);
  check_option(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "weight_decay", "finite and >= 0",
               o.weight_decay, where);
  std::vector<std::string> kinds{"step", "exp_avg", "exp_avg_sq"};
  if (o.amsgrad) kinds.push_back("max_exp_avg_sq");
  add_group(std::move(group.params), o.lr, std::move(kinds));
  options_.push_back(o);
}

AdamOptions Adam::options(std::size_t group) const {
  const double rate = lr(group);  // throws for a group out of range
  AdamOptions o = options_[group];
  o.lr = rate;
  return o;
}

AdamWOptions AdamW::options(std::size_t group) const {
  const AdamOptions o = Adam::options(group);
  return {.lr = o.lr, .betas = o.betas, .eps = o.eps, .weight_decay = o.weight_decay, .amsgrad = o.amsgrad};
}

namespace {

// The coefficients of one parameter's update at its step t.
template <class T>
struct AdamCoefficients {
  T w1, b2, w2, eps, wd, shrink, step_size, bc2_sqrt;
  bool lerp_from_start;  // torch.lerp's form for a weight below 0.5
};

// One parameter: torch.optim.Adam's and AdamW's _single_tensor_adam(w),
// elementwise. The variants are template arguments, so that each loop is
// straight-line code the compiler can vectorize.
template <class T, bool kL2, bool kDecoupled, bool kAmsgrad>
void adam_update(T* __restrict p, const T* __restrict grad, T* __restrict exp_avg, T* __restrict exp_avg_sq,
                 T* __restrict max_sq, std::int64_t n, const AdamCoefficients<T>& c) {
  for (std::int64_t j = 0; j < n; ++j) {
    T theta = p[j];
    if constexpr (kDecoupled) theta *= c.shrink;  // AdamW: param.mul_(1 - lr * weight_decay)
    T g = grad[j];
    if constexpr (kL2) g += c.wd * theta;  // Adam: grad = grad.add(param, alpha=weight_decay)
    const T m = exp_avg[j], diff = g - m;  // exp_avg.lerp_(grad, 1 - β1), as torch.lerp computes it
    const T m_new = c.lerp_from_start ? m + c.w1 * diff : g - diff * (T(1) - c.w1);
    exp_avg[j] = m_new;
    T second = exp_avg_sq[j] * c.b2 + c.w2 * (g * g);  // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 - β2)
    exp_avg_sq[j] = second;
    if constexpr (kAmsgrad) {  // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq), NaN propagating
      const T largest = max_sq[j];
      second = largest >= second ? largest : second;
      max_sq[j] = second;
    }
    const T denom = std::sqrt(second) / c.bc2_sqrt + c.eps;  // (sqrt / bias_correction2_sqrt).add_(eps)
    p[j] = theta + -c.step_size * (m_new / denom);          // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

template <class T, bool kL2, bool kDecoupled>
void adam_dispatch(bool amsgrad, T* p, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_sq, std::int64_t n,
                   const AdamCoefficients<T>& c) {
  if (amsgrad) adam_update<T, kL2, kDecoupled, true>(p, grad, exp_avg, exp_avg_sq, max_sq, n, c);
  else adam_update<T, kL2, kDecoupled, false>(p, grad, exp_avg, exp_avg_sq, max_sq, n, c);
}

}  // namespace

void Adam::step() {
  NoGrad no_grad;
  check_step();
  Update u;
  for (std::size_t g = 0; g < group_count(); ++g) {
    const AdamOptions& o = options_[g];
    const double rate = lr(g);
    for (std::size_t i = 0; i < params(g).size(); ++i) {
      if (!prepare(g, i, u)) continue;
      const std::int64_t t = ++u.state[0].mutable_data<std::int64_t>()[0];
      const double beta1 = o.betas.first, beta2 = o.betas.second;  // not a structured binding: clang 14 cannot capture one
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(t));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(t));
      const bool decay = o.weight_decay != 0;
      dispatch_floating(u.param.dtype(), name().c_str(), [&]<class T>() {
        const AdamCoefficients<T> c{.w1 = static_cast<T>(1 - beta1),
                                    .b2 = static_cast<T>(beta2),
                                    .w2 = static_cast<T>(1 - beta2),
                                    .eps = static_cast<T>(o.eps),
                                    .wd = static_cast<T>(o.weight_decay),
                                    .shrink = static_cast<T>(1 - rate * o.weight_decay),
                                    .step_size = static_cast<T>(rate / bias_correction1),
                                    .bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2)),
                                    .lerp_from_start = 1 - beta1 < 0.5};
        T* p = u.param.mutable_data<T>();
        const T* grad = u.grad.data<T>();
        T* m = u.state[1].mutable_data<T>();
        T* v = u.state[2].mutable_data<T>();
        T* max_sq = o.amsgrad ? u.state[3].mutable_data<T>() : nullptr;
        const std::int64_t n = u.param.numel();
        if (decay && decoupled_) adam_dispatch<T, false, true>(o.amsgrad, p, grad, m, v, max_sq, n, c);
        else if (decay) adam_dispatch<T, true, false>(o.amsgrad, p, grad, m, v, max_sq, n, c);
        else adam_dispatch<T, false, false>(o.amsgrad, p, grad, m, v, max_sq, n, c);
      });
    }
  }
  count_step();
}

}  // namespace tg::optim
