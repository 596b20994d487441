// The method forms of the ops: each calls the function of the same name,
// qualified, since inside Tensor the method itself would be found first.
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"
#include "tapegrad/autodiff/views.hpp"

namespace tg {

Tensor Tensor::sum(const Axes& axes, bool keepdims, Site site) const { return tg::sum(*this, axes, keepdims, site); }
Tensor Tensor::mean(const Axes& axes, bool keepdims, Site site) const { return tg::mean(*this, axes, keepdims, site); }
Tensor Tensor::max(const Axes& axes, bool keepdims, Site site) const { return tg::max(*this, axes, keepdims, site); }
Tensor Tensor::min(const Axes& axes, bool keepdims, Site site) const { return tg::min(*this, axes, keepdims, site); }
Tensor Tensor::logsumexp(const Axes& axes, bool keepdims, Site site) const {
  return tg::logsumexp(*this, axes, keepdims, site);
}
Tensor Tensor::neg(Site site) const { return tg::neg(*this, site); }
Tensor Tensor::exp(Site site) const { return tg::exp(*this, site); }
Tensor Tensor::log(Site site) const { return tg::log(*this, site); }
Tensor Tensor::sqrt(Site site) const { return tg::sqrt(*this, site); }
Tensor Tensor::abs(Site site) const { return tg::abs(*this, site); }
Tensor Tensor::sin(Site site) const { return tg::sin(*this, site); }
Tensor Tensor::cos(Site site) const { return tg::cos(*this, site); }
Tensor Tensor::tanh(Site site) const { return tg::tanh(*this, site); }
Tensor Tensor::sigmoid(Site site) const { return tg::sigmoid(*this, site); }
Tensor Tensor::relu(Site site) const { return tg::relu(*this, site); }
Tensor Tensor::pow(double exponent, Site site) const { return tg::pow(*this, exponent, site); }
Tensor Tensor::pow(const Tensor& exponent, Site site) const { return tg::pow(*this, exponent, site); }
Tensor Tensor::clamp(double lo, double hi, Site site) const { return tg::clamp(*this, lo, hi, site); }
Tensor Tensor::add(const Tensor& other, Site site) const { return tg::add(*this, other, site); }
Tensor Tensor::sub(const Tensor& other, Site site) const { return tg::sub(*this, other, site); }
Tensor Tensor::mul(const Tensor& other, Site site) const { return tg::mul(*this, other, site); }
Tensor Tensor::div(const Tensor& other, Site site) const { return tg::div(*this, other, site); }
Tensor Tensor::matmul(const Tensor& other, Site site) const { return tg::matmul(*this, other, site); }
Tensor Tensor::softmax(int axis, Site site) const { return tg::softmax(*this, axis, 1.0, site); }
Tensor Tensor::log_softmax(int axis, Site site) const { return tg::log_softmax(*this, axis, 1.0, site); }
Tensor Tensor::reshape(const Shape& shape, Site site) const { return tg::reshape(*this, shape, site); }
Tensor Tensor::view(const Shape& shape, Site site) const { return tg::view(*this, shape, site); }
Tensor Tensor::permute(const std::vector<int>& dims, Site site) const { return tg::permute(*this, dims, site); }
Tensor Tensor::transpose(int axis0, int axis1, Site site) const { return tg::transpose(*this, axis0, axis1, site); }
Tensor Tensor::t(Site site) const { return tg::t(*this, site); }
Tensor Tensor::slice(int axis, std::int64_t start, std::int64_t stop, std::int64_t step, Site site) const {
  return tg::slice(*this, axis, start, stop, step, site);
}
Tensor Tensor::narrow(int axis, std::int64_t start, std::int64_t length, Site site) const {
  return tg::narrow(*this, axis, start, length, site);
}
Tensor Tensor::select(int axis, std::int64_t index, Site site) const { return tg::select(*this, axis, index, site); }
Tensor Tensor::squeeze(int axis, Site site) const { return tg::squeeze(*this, axis, site); }
Tensor Tensor::unsqueeze(int axis, Site site) const { return tg::unsqueeze(*this, axis, site); }
Tensor Tensor::flatten(int start_axis, int end_axis, Site site) const {
  return tg::flatten(*this, start_axis, end_axis, site);
}
Tensor Tensor::expand(const Shape& shape, Site site) const { return tg::expand(*this, shape, site); }
Tensor Tensor::broadcast_to(const Shape& shape, Site site) const { return tg::broadcast_to(*this, shape, site); }
Tensor Tensor::diagonal(std::int64_t offset, int axis0, int axis1, Site site) const {
  return tg::diagonal(*this, offset, axis0, axis1, site);
}
Tensor Tensor::to(Dtype dtype, Site site) const { return tg::to_dtype(*this, dtype, site); }

}  // namespace tg
