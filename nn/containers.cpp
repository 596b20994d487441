#include "tapegrad/nn/containers.hpp"

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

Lambda::Lambda(std::string type_name, Function function, std::string description)
    : Module(std::move(type_name)), function_(std::move(function)), description_(std::move(description)) {
  if (!function_) throw InvalidArgument(this->type_name() + ": the function is empty");
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const ModulePtr& layer : layers_) h = (*layer)(h);
  return h;
}

ModulePtr Sequential::operator[](std::size_t i) const {
  if (i >= layers_.size()) {
    throw AxisError("Sequential: index " + std::to_string(i) + " is out of range for " + std::to_string(layers_.size()) +
                    " modules");
  }
  return layers_[i];
}

Tensor Residual::forward(const Tensor& x) {
  const Tensor fx = (*body_)(x);
  const Tensor skip = projection_ ? (*projection_)(x) : x;
  if (fx.shape() != skip.shape()) {
    throw ShapeError(std::string("Residual: the body maps ") + x.shape().str() + " to " + fx.shape().str() +
                     (projection_ ? ", but the projection gives " + skip.shape().str()
                                  : ", a different shape: pass a projection, e.g. Residual(body, Linear(in, out)) "
                                    "or Residual(body, Conv2d(in, out, 1))"));
  }
  return fx + skip;
}

}  // namespace tg::nn
