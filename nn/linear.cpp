// Linear, Flatten and Dropout: each a few taped ops.
#include "tapegrad/nn/linear.hpp"

#include <sstream>

#include "layer_support.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

Linear::Linear(std::int64_t in, std::int64_t out, const LinearOptions& options)
    : Module("Linear"), in_features(in), out_features(out) {
  if (in <= 0 || out <= 0) {
    throw InvalidArgument("Linear: in_features and out_features must be positive, got " + std::to_string(in) +
                          " and " + std::to_string(out));
  }
  weight = register_parameter("weight", detail::initialized({out, in}, options.init, options.dtype, options.generator));
  if (options.bias) bias = register_parameter("bias", zeros({out}, options.dtype));
}

Tensor Linear::forward(const Tensor& x) {
  const auto expected = [&] { return "an input (..., " + std::to_string(in_features) + ")"; };
  detail::check_rank(x, 1, true, *this, expected);
  if (x.size(-1) != in_features) {
    throw ShapeError(detail::layer_name(*this) + ": expected " + expected() + " with " + std::to_string(in_features) +
                     " features on the last axis, got " + x.shape().str());
  }
  // (..., in) folds into one (rows, in) gemm; a vector is one row.
  const Shape& s = x.shape();
  const Tensor rows = s.rank() == 2 ? x : reshape(x, {x.numel() / in_features, in_features});
  // With a bias, the product accumulates onto it in the gemm (addmm).
  Tensor y = bias.defined() ? addmm(bias, rows, weight, false, true) : matmul(rows, weight, false, true);
  if (s.rank() == 2) return y;
  std::vector<std::int64_t> out(s.begin(), s.end());
  out.back() = out_features;
  return reshape(y, Shape(out));
}

std::string Linear::describe() const {
  return std::to_string(in_features) + " -> " + std::to_string(out_features) + (bias.defined() ? "" : ", no bias");
}

Flatten::Flatten(int start) : Module("Flatten"), start_axis(start) {}

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_axis); }

std::string Flatten::describe() const { return "from axis " + std::to_string(start_axis); }

Dropout::Dropout(double p_in, Generator* generator) : Module("Dropout"), p(p_in), generator_(generator) {
  if (!(p >= 0 && p <= 1)) {
    std::ostringstream got;
    got << p;
    throw InvalidArgument("Dropout: p must be in [0, 1], got " + got.str());
  }
}

Tensor Dropout::forward(const Tensor& x) {
  return dropout(x, p, generator_ ? *generator_ : default_generator(), is_training());
}

std::string Dropout::describe() const {
  std::ostringstream out;
  out << "p = " << p;
  return out.str();
}

}  // namespace tg::nn
