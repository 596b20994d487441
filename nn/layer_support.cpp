#include "layer_support.hpp"

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/nn/init.hpp"

namespace tg::nn::detail {

Tensor initialized(const Shape& shape, std::string_view init, Dtype dtype, Generator* generator) {
  const init::Initializer fill = init::by_name(init);
  Tensor t = zeros(shape, dtype);
  NoGrad no_grad;
  fill(t, generator ? *generator : default_generator());
  return t;
}

std::string layer_name(const Module& layer) { return layer.type_name() + "(" + layer.describe() + ")"; }

void throw_rank_error(const Tensor& x, const std::string& layer, const std::string& expected) {
  if (!x.defined()) throw InvalidArgument(layer + ": the input is undefined");
  throw ShapeError(layer + ": expected " + expected + ", got " + x.shape().str());
}

}  // namespace tg::nn::detail
