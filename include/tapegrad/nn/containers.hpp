// Modules made of other modules (Sequential, Residual) or of a function
// (Lambda): the short paths to a custom model.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "module.hpp"

namespace tg::nn {

/// A module from a function of one tensor, in a line:
/// `nn::Lambda("Square", [](const Tensor& x) { return x * x; })`.
/// The function must use taped ops (it is differentiated by the tape).
class Lambda : public Module {
 public:
  using Function = std::function<Tensor(const Tensor&)>;
  Lambda(std::string type_name, Function function, std::string description = "");
  Tensor forward(const Tensor& x) override { return function_(x); }
  std::string describe() const override { return description_; }

 private:
  Function function_;
  std::string description_;
};

/// Runs its children in order, each one's output the next one's input:
/// `nn::Sequential model(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));`
/// Children are named "0", "1", ... in the parameter paths ("0.weight").
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <class... M>
    requires(sizeof...(M) > 0)
  explicit Sequential(M&&... modules) : Module("Sequential") {
    (push_back(std::forward<M>(modules)), ...);
  }

  /// Appends a module (moved in, or shared when passed as a handle).
  template <class M>
  void push_back(M&& module) {
    layers_.push_back(register_module(std::to_string(layers_.size()), std::forward<M>(module)));
  }
  Tensor forward(const Tensor& x) override;
  std::size_t size() const { return layers_.size(); }
  /// The i-th child; throws when i is out of range.
  ModulePtr operator[](std::size_t i) const;

 private:
  std::vector<ModulePtr> layers_;
};

/// A skip connection, y = f(x) + x (He et al., 2016, "Deep Residual
/// Learning"). When f changes the shape, pass a projection p (e.g.
/// nn::Linear(in, out, {.bias = false}) or nn::Conv2d(in, out, 1)) and
/// y = f(x) + p(x); without one, a shape change is an error that says so.
class Residual : public Module {
 public:
  template <class F>
  explicit Residual(F&& body) : Module("Residual") {
    body_ = register_module("body", std::forward<F>(body));
  }
  template <class F, class P>
  Residual(F&& body, P&& projection) : Module("Residual") {
    body_ = register_module("body", std::forward<F>(body));
    projection_ = register_module("projection", std::forward<P>(projection));
  }
  Tensor forward(const Tensor& x) override;

 private:
  ModulePtr body_, projection_;
};

}  // namespace tg::nn
