// Module: registration, traversal, mode, dtype and hooks.
#include "tapegrad/nn/module.hpp"

#include <algorithm>
#include <ostream>
#include <set>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"
#include "tapegrad/autodiff/views.hpp"

namespace tg::nn {

void HookHandle::remove() {
  if (auto hooks = hooks_.lock()) {
    std::erase_if(*hooks, [&](const auto& entry) { return entry.first == id_; });
  }
  hooks_.reset();
}

Module::Module(std::string type_name)
    : type_name_(std::move(type_name)),
      hooks_(std::make_shared<std::vector<std::pair<std::uint64_t, ForwardHook>>>()),
      backward_hooks_(std::make_shared<std::vector<std::pair<std::uint64_t, BackwardHook>>>()) {}

// Note [Module backward hooks]
// A call with backward hooks wraps its input and its output in a fresh
// recorded view each (reshape to the same shape: no copy), so that a tensor
// hook (Note [Hooks] in autodiff/hooks.cpp) on each sees exactly this call's
// gradient, whatever else uses the input or the output. Backward reaches the
// output first: its hook keeps grad_output, and, when the input requires no
// grad, calls the module's hooks with an undefined grad_input. Then the
// input's hook calls them with grad_input and may pass a replacement on.
Tensor Module::operator()(const Tensor& input) {
  const bool hooked = !backward_hooks_->empty() && is_grad_enabled();
  const bool input_grad = hooked && input.defined() && input.requires_grad();
  const Tensor in = input_grad ? reshape(input, input.shape()) : input;
  Tensor output = forward(in);
  if (!hooks_->empty()) {
    // A copy: a hook may remove itself (or another) while it runs.
    const auto hooks = *hooks_;
    for (const auto& entry : hooks) entry.second(*this, input, output);
  }
  if (!hooked || !output.defined() || !output.requires_grad()) return output;
  struct Call {
    Tensor grad_output;
  };
  auto call = std::make_shared<Call>();
  auto run = [this, weak = std::weak_ptr(backward_hooks_), call](Tensor grad_input) {
    const auto list = weak.lock();
    if (!list) return grad_input;
    const auto hooks = *list;
    for (const auto& [id, hook] : hooks) {
      Tensor replaced = hook(*this, grad_input, call->grad_output);
      if (replaced.defined()) grad_input = std::move(replaced);
    }
    return grad_input;
  };
  output = reshape(output, output.shape());
  output.register_hook([call, run, input_grad](const Tensor& g) {
    call->grad_output = g;
    if (!input_grad) run(Tensor());
    return Tensor();
  });
  if (input_grad) in.register_hook([run](const Tensor& g) { return run(g); });
  return output;
}

void Module::check_new_name(const std::string& name, const char* what) const {
  const std::string where = type_name_ + "::register_" + what + ": ";
  if (name.empty() || name.find('.') != std::string::npos) {
    throw InvalidArgument(where + "the name '" + name + "' must be non-empty and contain no '.'");
  }
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& entry) {
      if constexpr (requires { entry.name; }) {
        return entry.name == name;
      } else {
        return entry.first == name;
      }
    });
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_)) {
    throw InvalidArgument(where + "'" + name + "' is already registered in this " + type_name_);
  }
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name, "parameter");
  if (!value.defined()) throw InvalidArgument(type_name_ + "::register_parameter: '" + name + "' is undefined");
  if (!value.is_leaf()) {
    throw GraphError(type_name_ + "::register_parameter: '" + name + "' is the result of '" + value.op_name() +
                     "'; a parameter must be a leaf (pass value.detach())");
  }
  if (requires_grad) value.requires_grad_();
  parameters_.push_back({name, value});
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "buffer");
  if (!value.defined()) throw InvalidArgument(type_name_ + "::register_buffer: '" + name + "' is undefined");
  buffers_.push_back({name, value});
  return value;
}

void Module::add_child(const std::string& name, ModulePtr child) {
  check_new_name(name, "module");
  if (!child) throw InvalidArgument(type_name_ + "::register_module: '" + name + "' is null");
  // A cycle would make every walk of the tree endless: parameters(),
  // train(), named_modules().
  if (child.get() == this) {
    throw InvalidArgument(type_name_ + "::register_module: '" + name +
                          "' is this module itself; a module cannot contain itself");
  }
  for (const NamedModule& below : child->named_modules()) {
    if (below.module == this) {
      throw InvalidArgument(type_name_ + "::register_module: '" + name + "' would make a cycle: this module is " +
                            "already inside it as '" + below.name + "'");
    }
  }
  children_.emplace_back(name, std::move(child));
}

template <class Visit>
void Module::visit_tensors(bool parameters, bool recurse, Visit&& visit) const {
  // Each tensor once, by identity, even when modules share it; an explicit
  // stack, so a deep model never recurses.
  std::set<const TensorImpl*> seen;
  std::vector<std::pair<std::string, const Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, module] = stack.back();
    stack.pop_back();
    for (const NamedTensor& t : parameters ? module->parameters_ : module->buffers_) {
      if (seen.insert(t.tensor.impl()).second) visit(prefix + t.name, t.tensor);
    }
    if (!recurse) break;
    for (auto it = module->children_.rbegin(); it != module->children_.rend(); ++it) {
      stack.emplace_back(prefix + it->first + ".", it->second.get());
    }
  }
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  visit_tensors(true, recurse, [&](const std::string&, const Tensor& t) { out.push_back(t); });
  return out;
}

std::vector<NamedTensor> Module::named_parameters(bool recurse) const {
  std::vector<NamedTensor> out;
  visit_tensors(true, recurse, [&](const std::string& name, const Tensor& t) { out.push_back({name, t}); });
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  visit_tensors(false, recurse, [&](const std::string&, const Tensor& t) { out.push_back(t); });
  return out;
}

std::vector<NamedTensor> Module::named_buffers(bool recurse) const {
  std::vector<NamedTensor> out;
  visit_tensors(false, recurse, [&](const std::string& name, const Tensor& t) { out.push_back({name, t}); });
  return out;
}

std::vector<std::pair<std::string, ModulePtr>> Module::named_children() const { return children_; }

std::vector<NamedModule> Module::named_modules() const {
  std::vector<NamedModule> out;
  std::vector<NamedModule> stack{{"", const_cast<Module*>(this)}};
  while (!stack.empty()) {
    NamedModule current = stack.back();
    stack.pop_back();
    out.push_back(current);
    const auto& children = current.module->children_;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      stack.push_back({current.name.empty() ? it->first : current.name + "." + it->first, it->second.get()});
    }
  }
  return out;
}

Tensor Module::find(const std::string& path) const {
  for (const NamedTensor& t : named_parameters()) {
    if (t.name == path) return t.tensor;
  }
  for (const NamedTensor& t : named_buffers()) {
    if (t.name == path) return t.tensor;
  }
  std::string known;
  for (const NamedTensor& t : named_parameters()) known += (known.empty() ? "" : ", ") + t.name;
  for (const NamedTensor& t : named_buffers()) known += (known.empty() ? "" : ", ") + t.name;
  throw InvalidArgument(type_name_ + "::find: no parameter or buffer '" + path + "'; the module has: " +
                        (known.empty() ? "none" : known));
}

std::int64_t Module::parameter_count() const {
  std::int64_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

void Module::train(bool on) {
  for (const NamedModule& m : named_modules()) m.module->training_ = on;
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

Module& Module::to(Dtype dtype) {
  if (!is_floating(dtype)) {
    throw DtypeError(type_name_ + "::to: modules hold float32 or float64 values, got " + dtype_name(dtype));
  }
  NoGrad no_grad;
  auto convert = [&](Tensor t) {
    if (is_floating(t.dtype()) && t.dtype() != dtype) t.set_data(to_dtype(t.detach(), dtype));
  };
  for (const Tensor& p : parameters()) convert(p);
  for (const Tensor& b : buffers()) convert(b);
  return *this;
}

Dtype Module::dtype() const {
  const auto params = parameters();
  return params.empty() ? f32 : params.front().dtype();
}

RemovableHandle Module::register_full_backward_hook(BackwardHook hook) {
  if (!hook) throw InvalidArgument(type_name_ + "::register_full_backward_hook: the hook is empty");
  const std::uint64_t id = next_hook_id_++;
  backward_hooks_->emplace_back(id, std::move(hook));
  return RemovableHandle([weak = std::weak_ptr(backward_hooks_), id] {
    if (const auto hooks = weak.lock()) std::erase_if(*hooks, [id](const auto& entry) { return entry.first == id; });
  });
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
  if (!hook) throw InvalidArgument(type_name_ + "::register_forward_hook: the hook is empty");
  const std::uint64_t id = next_hook_id_++;
  hooks_->emplace_back(id, std::move(hook));
  return HookHandle(hooks_, id);
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  // Depth-first with an explicit stack of (name, module, depth).
  struct Entry {
    std::string name;
    const Module* module;
    int depth;
  };
  std::vector<Entry> stack{{"", &module, 0}};
  while (!stack.empty()) {
    const Entry e = stack.back();
    stack.pop_back();
    out << std::string(static_cast<std::size_t>(2 * e.depth), ' ');
    if (!e.name.empty()) out << "(" << e.name << "): ";
    out << e.module->type_name();
    const std::string config = e.module->describe();
    if (!config.empty()) out << "(" << config << ")";
    out << "\n";
    const auto children = e.module->named_children();
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      stack.push_back({it->first, it->second.get(), e.depth + 1});
    }
  }
  return out;
}

}  // namespace tg::nn
