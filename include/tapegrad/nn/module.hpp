// Module: the base of every layer and model. A module owns named parameters,
// buffers and submodules; its forward pass composes taped ops, so the tape
// differentiates it and no module writes a backward pass.
//
// tests/reliability/test_bad_input.cpp finds the layers of include/tapegrad/nn
// from their `class Name : public Base` (or `struct Name : Base`) lines and
// requires a bad-input case for each (see tests/reliability/public_api.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../autodiff/tensor.hpp"

namespace tg::nn {

class Module;

/// A shared handle to a module: containers and parents hold their children
/// this way, so a child can be kept and reused after it is registered.
using ModulePtr = std::shared_ptr<Module>;

/// A tensor with its dotted path in the module tree ("0.weight", "fc1.bias").
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// A module with its dotted path ("" for the root).
struct NamedModule {
  std::string name;
  Module* module;
};

/// Sees every call of a module after its forward pass: the module, its input
/// and its output. The diagnostics and summary() build on these.
using ForwardHook = std::function<void(const Module& module, const Tensor& input, const Tensor& output)>;

/// Sees the gradients of one call of a module as backward computes them:
/// `grad_input` with respect to the module's input (undefined when the input
/// requires no grad) and `grad_output` with respect to its output. A defined
/// result replaces grad_input. PyTorch's full backward hook, for modules of
/// one input and one output (all of tapegrad's).
using BackwardHook =
    std::function<Tensor(const Module& module, const Tensor& grad_input, const Tensor& grad_output)>;

/// Removes the hook it was returned for; removing twice, or after the module
/// is gone, does nothing.
class HookHandle {
 public:
  HookHandle() = default;
  void remove();

 private:
  friend class Module;
  HookHandle(std::weak_ptr<std::vector<std::pair<std::uint64_t, ForwardHook>>> hooks, std::uint64_t id)
      : hooks_(std::move(hooks)), id_(id) {}
  std::weak_ptr<std::vector<std::pair<std::uint64_t, ForwardHook>>> hooks_;
  std::uint64_t id_ = 0;
};

/// The base of layers and models. Subclass it, register what the module
/// owns in the constructor, and write forward() with taped ops:
///
///     struct TwoLayer : nn::Module {
///       std::shared_ptr<nn::Linear> fc1, fc2;
///       TwoLayer() : Module("TwoLayer") {
///         fc1 = register_module("fc1", nn::Linear(784, 128));
///         fc2 = register_module("fc2", nn::Linear(128, 10));
///       }
///       Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))); }
///     };
///
/// Modules move but do not copy (a copy would share its parameters
/// silently). Parameters and buffers are Tensor handles: a layer keeps its
/// own handle (`weight`) to the same tensor the registry holds, and to(),
/// loading and optimizers change them in place, so every handle stays valid.
class Module {
 public:
  explicit Module(std::string type_name);
  virtual ~Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The forward pass: subclasses define it.
  virtual Tensor forward(const Tensor& input) = 0;
  /// Runs forward(), then this module's forward hooks.
  Tensor operator()(const Tensor& input);

  // --- registration (from a subclass's constructor) ---------------------------
  /// Registers a trainable tensor under `name` (marked requires_grad unless
  /// `requires_grad` is false) and returns a handle to it.
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  /// Registers state that is saved and moved with the module but not trained
  /// (BatchNorm's running mean).
  Tensor register_buffer(const std::string& name, Tensor value);
  /// Registers a submodule; a module passed by value is moved into a shared
  /// handle, which is returned.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  template <class M>
    requires std::is_base_of_v<Module, std::decay_t<M>> && (!std::is_lvalue_reference_v<M>)
  std::shared_ptr<std::decay_t<M>> register_module(const std::string& name, M&& module) {
    return register_module(name, std::make_shared<std::decay_t<M>>(std::move(module)));
  }

  // --- what the module holds ----------------------------------------------------
  /// Every parameter of this module and (with `recurse`) its submodules, in
  /// registration order, each once even when shared.
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  /// The direct submodules.
  std::vector<std::pair<std::string, ModulePtr>> named_children() const;
  /// This module ("") and every submodule below it, depth first, in
  /// registration order.
  std::vector<NamedModule> named_modules() const;
  /// The parameter or buffer at a dotted path; throws naming the path and
  /// what exists when there is none.
  Tensor find(const std::string& path) const;
  /// Total number of parameter elements (recursive).
  std::int64_t parameter_count() const;

  // --- state ---------------------------------------------------------------------
  /// Training mode (dropout drops, batch norm uses batch statistics) or, with
  /// false, evaluation mode; applies to every submodule.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Drops every parameter's gradient.
  void zero_grad();
  /// Converts every floating parameter and buffer to `dtype` in place (e.g.
  /// float64 for gradcheck); handles held elsewhere see the change.
  Module& to(Dtype dtype);
  /// The dtype of the first parameter (float32 when there is none).
  Dtype dtype() const;

  // --- diagnostics ---------------------------------------------------------------
  /// Calls `hook` after every forward pass of this module until the handle
  /// is removed.
  HookHandle register_forward_hook(ForwardHook hook);
  /// Calls `hook` with the gradients in and out of each call of this module
  /// made while grad mode records (Note [Module backward hooks] in
  /// module.cpp), until the handle is removed. The module must outlive the
  /// backward passes of the graphs it took part in while the hook is on.
  RemovableHandle register_full_backward_hook(BackwardHook hook);
  /// A Keras-style table: every submodule's path and type, its output shape
  /// for an input of `input_shape` (batch axis included), its parameter
  /// count, and the totals. Runs one forward pass on zeros in evaluation
  /// mode without recording; the module's mode is restored afterwards.
  std::string summary(const Shape& input_shape);
  /// The same table for a given example input, for models that do not take
  /// floats of the model's dtype (an Embedding takes int64 indices).
  std::string summary(const Tensor& example_input);

  /// The type ("Linear"), as given to the constructor.
  const std::string& type_name() const { return type_name_; }
  /// The configuration in a few words ("784 -> 256, bias"); "" by default.
  virtual std::string describe() const { return ""; }

 private:
  void add_child(const std::string& name, ModulePtr child);
  void check_new_name(const std::string& name, const char* what) const;
  template <class Visit>
  void visit_tensors(bool parameters, bool recurse, Visit&& visit) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, ModulePtr>> children_;
  // Shared with HookHandles (weakly), so a handle outliving the module is harmless.
  std::shared_ptr<std::vector<std::pair<std::uint64_t, ForwardHook>>> hooks_;
  std::shared_ptr<std::vector<std::pair<std::uint64_t, BackwardHook>>> backward_hooks_;
  std::uint64_t next_hook_id_ = 1;
};

/// The module's type and configuration, then its children indented, like
/// PyTorch's printout.
std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace tg::nn
