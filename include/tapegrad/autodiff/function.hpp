// Custom autograd functions: an op with a forward and a backward of your own,
// shaped like libtorch's torch::autograd::Function.
//
//   struct Clip : tg::Function<Clip> {
//     static constexpr const char* name = "Clip";          // optional: the name in errors and graphs
//     static tg::Tensor forward(tg::FunctionCtx& ctx, const tg::Tensor& x, double bound) {
//       ctx.save_for_backward({x});
//       ctx.saved_data["bound"] = bound;
//       return tg::clamp(x, -bound, bound);
//     }
//     static std::vector<tg::Tensor> backward(tg::FunctionCtx& ctx, std::vector<tg::Tensor> grads) {
//       const tg::Tensor x = ctx.saved()[0];
//       const double bound = std::any_cast<double>(ctx.saved_data["bound"]);
//       return {grads[0] * tg::le(tg::abs(x), tg::scalar(bound, x.dtype()))};
//     }
//   };
//   tg::Tensor y = Clip::apply(x, 1.0);
//
// See Note [Custom functions] in autodiff/function.cpp.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "tensor.hpp"

namespace tg {

namespace detail {
struct CustomState;
struct CustomAccess;
}  // namespace detail

/// What forward and backward of a custom function share: the saved tensors
/// (version-checked, like every op's), which inputs need a gradient, and any
/// other state in `saved_data`.
class FunctionCtx {
 public:
  FunctionCtx();
  /// Keeps tensors for backward; an in-place change or set_data after this
  /// makes saved() throw, naming the function.
  void save_for_backward(const std::vector<Tensor>& tensors);
  /// The tensors given to save_for_backward, in order. A saved input that
  /// requires grad is itself (so a backward in taped ops differentiates
  /// again with respect to it); a saved output is a constant.
  std::vector<Tensor> saved() const;
  /// Whether the gradient of the i-th tensor argument is wanted.
  bool needs_input_grad(std::size_t i) const;
  /// Outputs that get no gradient (an argmax index, a mask): they do not
  /// require grad, and backward sees an undefined gradient for them.
  void mark_non_differentiable(const std::vector<Tensor>& outputs);
  /// The function's name, as errors, to_dot and tape_report show it.
  const std::string& name() const;
  /// Any other state backward needs (libtorch's saved_data).
  std::map<std::string, std::any> saved_data;

 private:
  friend struct detail::CustomAccess;
  std::shared_ptr<detail::CustomState> state_;
};

/// Options of custom_op.
struct CustomOptions {
  /// The backward is not written in taped ops (plain loops, a library call):
  /// it runs, but differentiating its result again throws a GraphError.
  bool once_differentiable = false;
};

using CustomForward = std::function<std::vector<Tensor>(FunctionCtx&, const std::vector<Tensor>&)>;
using CustomBackward = std::function<std::vector<Tensor>(FunctionCtx&, std::vector<Tensor>)>;

/// The lambda form: runs `forward(ctx, inputs)` without recording and
/// records one op named `name` whose VJP is `backward(ctx, grad_outputs)`:
/// one gradient per output in, one per input out (undefined: none).
std::vector<Tensor> custom_op(std::string_view name, const std::vector<Tensor>& inputs, const CustomForward& forward,
                              const CustomBackward& backward, CustomOptions options = {},
                              Site site = Site::current());

namespace detail {

/// The first tensor argument of Function<T>::apply, carrying the caller's line.
struct FirstTensor {
  FirstTensor(const Tensor& t, Site where = Site::current()) : tensor(t), site(where) {}  // NOLINT: implicit
  const Tensor& tensor;
  Site site;
};

/// The name of T as written in the source ("MyOp", "ns::MyOp").
std::string type_name(const std::type_info& type);

template <class A>
void collect_tensor(std::vector<Tensor>& out, const A& arg) {
  if constexpr (std::is_same_v<std::remove_cvref_t<A>, Tensor>) out.push_back(arg);
}

}  // namespace detail

/// Base of a custom autograd function T (CRTP), as libtorch's: T defines
/// `static R forward(FunctionCtx&, args...)` (R: Tensor or
/// std::vector<Tensor>; the first argument a Tensor) and
/// `static std::vector<Tensor> backward(FunctionCtx&, std::vector<Tensor>)`
/// (one gradient per tensor argument, in order; undefined for none). Optional
/// members: `static constexpr const char* name` and
/// `static constexpr bool once_differentiable = true`.
template <class T>
struct Function {
  template <class... Args>
  static auto apply(detail::FirstTensor first, Args&&... args) {
    std::vector<Tensor> inputs{first.tensor};
    (detail::collect_tensor(inputs, args), ...);
    using Result = decltype(T::forward(std::declval<FunctionCtx&>(), first.tensor, std::forward<Args>(args)...));
    static_assert(std::is_same_v<Result, Tensor> || std::is_same_v<Result, std::vector<Tensor>>,
                  "Function<T>: T::forward must return a tg::Tensor or a std::vector<tg::Tensor>");
    const Tensor& x = first.tensor;
    CustomForward forward = [&](FunctionCtx& ctx, const std::vector<Tensor>&) -> std::vector<Tensor> {
      if constexpr (std::is_same_v<Result, Tensor>) {
        return {T::forward(ctx, x, std::forward<Args>(args)...)};
      } else {
        return T::forward(ctx, x, std::forward<Args>(args)...);
      }
    };
    CustomOptions options;
    if constexpr (requires { T::once_differentiable; }) options.once_differentiable = T::once_differentiable;
    std::vector<Tensor> out = custom_op(function_name(), inputs, forward, &T::backward, options, first.site);
    if constexpr (std::is_same_v<Result, Tensor>) {
      return out[0];
    } else {
      return out;
    }
  }

 private:
  static const std::string& function_name() {
    static const std::string n = [] {
      if constexpr (requires { T::name; }) return std::string(T::name);
      else return detail::type_name(typeid(T));
    }();
    return n;
  }
};

}  // namespace tg
