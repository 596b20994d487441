// Operators on tensors and scalars, as compositions of the named ops.
#include "common.hpp"

namespace tg {

Tensor operator-(At x) { return neg(x.tensor, x.site); }
Tensor operator+(At a, const Tensor& b) { return add(a.tensor, b, a.site); }
Tensor operator-(At a, const Tensor& b) { return sub(a.tensor, b, a.site); }
Tensor operator*(At a, const Tensor& b) { return mul(a.tensor, b, a.site); }
Tensor operator/(At a, const Tensor& b) { return div(a.tensor, b, a.site); }
Tensor operator+(At a, double b) { return add(a.tensor, b, a.site); }
Tensor operator-(At a, double b) { return add(a.tensor, -b, a.site); }
Tensor operator*(At a, double b) { return mul(a.tensor, b, a.site); }
Tensor operator/(At a, double b) { return div(a.tensor, b, a.site); }
Tensor operator+(double a, At b) { return add(b.tensor, a, b.site); }
Tensor operator-(double a, At b) {
  ops::check_float(b.tensor, "sub", b.site);
  return sub(scalar(a, b.tensor.dtype()), b.tensor, b.site);
}
Tensor operator*(double a, At b) { return mul(b.tensor, a, b.site); }
Tensor operator/(double a, At b) {
  ops::check_float(b.tensor, "div", b.site);
  return div(scalar(a, b.tensor.dtype()), b.tensor, b.site);
}

}  // namespace tg
