// Tensor::register_hook, register_post_accumulate_grad_hook, retain_grad.
//
// Note [Hooks]
// A hook belongs to where the gradient it sees is complete:
// - On a non-leaf, to the tensor's record (Node::hooks): the engine runs the
//   hooks on the record's summed output gradient before the VJP reads it, so
//   a replacement flows on to every input. retain_grad() is the record
//   keeping a weak handle on the tensor, whose .grad then takes the gradient
//   after the hooks (PyTorch runs the retains-grad hook last too).
// - On a leaf, to its TensorImpl. A leaf's gradient arrives once per use, so
//   a backward pass that reaches a leaf with hooks sums its gradient apart
//   from .grad, counting the leaf's edges; when the last one has delivered,
//   the hooks run once on the sum, the result goes into .grad (tg::grad
//   captures it instead), and then the post-accumulate hooks run with the
//   leaf: while the rest of the pass goes on, so a bucket's allreduce can
//   start early. Such a leaf is never summed into in place by a VJP (Note
//   [Accumulating in place]), which would bypass its hooks.
// Hooks run in registration order on a copy of the list, so a hook may
// remove itself. A replacement must keep the gradient's shape and dtype
// (GraphError otherwise). Leaves without hooks cost one test of a null
// pointer per edge; records without hooks one per record.
// What it refuses: a hook on a tensor that does not require grad (it could
// never run), a post-accumulate hook on a non-leaf, an empty function.
#include "node.hpp"

namespace tg {

namespace {

detail::GradHooks& hooks_of(std::unique_ptr<detail::GradHooks>& slot) {
  if (!slot) slot = std::make_unique<detail::GradHooks>();
  return *slot;
}

template <class F>
RemovableHandle add_hook(detail::GradHooks& hooks, std::shared_ptr<detail::GradHooks::List<F>>& list, F hook) {
  const std::uint64_t id = hooks.next_id++;
  list->emplace_back(id, std::move(hook));
  return RemovableHandle([weak = std::weak_ptr<detail::GradHooks::List<F>>(list), id] {
    if (const auto l = weak.lock()) std::erase_if(*l, [id](const auto& entry) { return entry.first == id; });
  });
}

TensorImpl& hookable(const Tensor& t, const char* what) {
  if (!t.defined()) throw std::logic_error(std::string("Tensor::") + what + ": the tensor is undefined");
  if (!t.requires_grad()) {  // also brings a view's record up to date (Note [In-place ops])
    throw GraphError(std::string(what) + ": the tensor " + t.shape().str() +
                     " does not require grad, so no gradient will reach a hook on it");
  }
  return *t.impl();
}

}  // namespace

RemovableHandle Tensor::register_hook(TensorHook hook) const {
  TensorImpl& impl = hookable(*this, "register_hook");
  if (!hook) throw InvalidArgument("register_hook: the hook is empty");
  detail::GradHooks& hooks = impl.grad_fn ? hooks_of(impl.grad_fn->hooks) : hooks_of(impl.hooks);
  return add_hook(hooks, hooks.pre, std::move(hook));
}

RemovableHandle Tensor::register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const {
  TensorImpl& impl = hookable(*this, "register_post_accumulate_grad_hook");
  if (!hook) throw InvalidArgument("register_post_accumulate_grad_hook: the hook is empty");
  if (impl.grad_fn) {
    throw GraphError("register_post_accumulate_grad_hook: the tensor " + impl.shape.str() + " is the result of '" +
                     impl.grad_fn->name + "', not a leaf; only a leaf accumulates a gradient (use register_hook)");
  }
  detail::GradHooks& hooks = hooks_of(impl.hooks);
  return add_hook(hooks, hooks.post, std::move(hook));
}

void Tensor::retain_grad() const {
  TensorImpl& impl = hookable(*this, "retain_grad");
  if (!impl.grad_fn) return;  // a leaf keeps its gradient anyway
  hooks_of(impl.grad_fn->hooks).retained = impl_;
}

bool Tensor::retains_grad() const {
  if (!impl_ || !impl_->grad_fn || !impl_->grad_fn->hooks) return false;
  return impl_->grad_fn->hooks->retained.lock() == impl_;
}

}  // namespace tg
