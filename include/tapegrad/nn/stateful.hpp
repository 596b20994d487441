// Stateful: what nn's checkpoints save and restore beside a model's
// parameters without knowing what it is. optim::Optimizer implements it, so
// nn::save(model, path, {.optimizer = &adam}) works while nn/ knows nothing
// of optim/ (the layers depend one way: autodiff <- nn <- optim).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "../autodiff/tensor.hpp"

namespace tg::nn {

/// An object whose state is a list of named tensors.
class Stateful {
 public:
  virtual ~Stateful() = default;

  /// Its kind ("Adam"), saved as metadata and checked on load.
  virtual const std::string& name() const = 0;
  /// Everything needed to resume it exactly, by stable names. The tensors
  /// may be its own (shared handles).
  virtual std::vector<std::pair<std::string, Tensor>> state() const = 0;
  /// Restores a state() of an object of the same kind; checks everything
  /// before changing anything and throws InvalidArgument naming the entry.
  virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& state) = 0;

 protected:
  Stateful() = default;
  Stateful(const Stateful&) = default;
  Stateful& operator=(const Stateful&) = default;
  Stateful(Stateful&&) = default;
  Stateful& operator=(Stateful&&) = default;
};

}  // namespace tg::nn
